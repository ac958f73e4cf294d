import { parseArgs } from 'node:util';

/** One CLI command: a file under src/cli/commands exports one of these as default. */
export interface Command {
  name: string;
  usage: string;
  /** Returns the process exit code. Writes its output through `io`. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress bars); the process's own stderr when not said. */
  stderrIsTTY?: boolean;
  /** How long work runs before a progress bar appears (tests set 0). */
  progressDelayMs?: number;
}

export const processIO: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** A usage error: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
}

/**
 * Parses flags; every flag can also come from the environment as KSPEC_<FLAG_NAME>
 * (`--reports-branch` reads `KSPEC_REPORTS_BRANCH`). A flag on the command line wins.
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  argv: string[],
  spec: T,
  env: NodeJS.ProcessEnv,
): { flags: { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string | undefined }; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, flag] of Object.entries(spec)) {
    options[name] = { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec)) {
    const given = parsed.values[name];
    if (given !== undefined) { flags[name] = given; continue; }
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined && fromEnv !== '') {
      flags[name] = flag.type === 'boolean' ? /^(1|true|yes|on)$/i.test(fromEnv) : fromEnv;
      continue;
    }
    flags[name] = flag.default ?? (flag.type === 'boolean' ? false : undefined);
  }
  return { flags: flags as never, positionals: parsed.positionals };
}

export function envName(flag: string): string {
  return 'KSPEC_' + flag.replace(/-/g, '_').toUpperCase();
}

/** The flag's value when it is one of `allowed`; otherwise a usage error that lists them. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value as string)) return value as T;
  const list = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  throw new UsageError(`${flag} must be ${list}, not ${JSON.stringify(value)}`);
}
