import { parseArgs } from 'node:util';
import { closest } from '../util/closest.ts';

/** One CLI command: a file under src/cli/commands exports one of these as default. */
export interface Command {
  name: string;
  /** The synopsis: what must be given; `[flags]` stands for the table below. */
  usage: string;
  /** Every flag the command takes: parsing, `--help`, shell completion and the README test read it. */
  flags: Record<string, FlagSpec>;
  /** The values the first argument takes, when it is one of a few (shell completion offers them). */
  arguments?: readonly string[];
  /** Two or three commands a user can copy, each with the line that says what it does. */
  examples: readonly Example[];
  /** Returns the process exit code. Writes its output through `io`. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface Example {
  what: string;
  command: string;
}

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress bars, log format); the process's own stderr when not said. */
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
  /** One line for `--help` and shell completion. */
  description: string;
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
  /** The value's placeholder in help (`--repo URL`); string flags only. */
  value?: string;
  /** The values the flag takes, when it is one of a few: help lists them, completion offers them. */
  values?: readonly string[];
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
  // Not strict: node:util's own errors are worded for programmers (and quote unevenly), so the
  // tokens are checked here and every mistake is said in the CLI's words.
  const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const flag = spec[token.name];
    if (!flag) throw new UsageError(unknownFlag(token.rawName, spec));
    // `--ref --max-documents 3`: a flag is not taken as the value of the one before it (write
    // `--commit-message=-x` for a value that starts with a dash).
    const missing = token.value === undefined || (token.inlineValue === false && token.value.startsWith('-') && token.value !== '-');
    if (flag.type === 'string' && missing) throw new UsageError(`flag ${displayName(token.name, flag, token.rawName)} needs a value${flag.value ? ` (${flag.value})` : ''}`);
    if (flag.type === 'boolean' && token.inlineValue) throw new UsageError(`flag --${token.name} takes no value (set it with --${token.name} alone)`);
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

function displayName(name: string, flag: FlagSpec, raw: string): string {
  return raw.startsWith('--') || !flag.short ? `--${name}` : `-${flag.short} (--${name})`;
}

/** `unknown flag --repoo; did you mean --repo?`, or the command's help when nothing is close. */
function unknownFlag(raw: string, spec: Record<string, FlagSpec>): string {
  if (!raw.startsWith('--')) {
    const shorts = Object.entries(spec).filter(([, f]) => f.short).map(([n, f]) => `-${f.short} (--${n})`);
    return `unknown flag ${raw}${shorts.length ? `; the short flags are ${shorts.join(', ')}` : ''}`;
  }
  const near = closest(raw.slice(2), Object.keys(spec));
  return `unknown flag ${raw}${near ? `; did you mean --${near}?` : ''}`;
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
