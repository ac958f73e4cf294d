import type { Command, CommandIO } from './command.ts';
import { processIO, UsageError } from './command.ts';
import { redactSecrets, redactString } from '../redact.ts';

/** Commands by name; each lives in its own file and is loaded only when used. */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  validate: () => import('./commands/validate.ts'),
  render: () => import('./commands/render.ts'),
  plan: () => import('./commands/plan.ts'),
  reconcile: () => import('./commands/reconcile.ts'),
  run: () => import('./commands/run.ts'),
  test: () => import('./commands/test.ts'),
  scan: () => import('./commands/scan.ts'),
};

export async function main(argv: string[], given: CommandIO = processIO): Promise<number> {
  const io = redactedIO(given);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(await help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`kspec: unknown command "${name}"\n\n${await help()}`);
    return 2;
  }
  const command = (await load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`kspec ${name}: ${err.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    io.stderr(`kspec ${name}: ${(err as Error).message}\n`);
    return 2;
  }
}

/**
 * Every command writes through the program's redactor: registered secrets and URL credentials
 * never reach stdout (which is otherwise left as the command wrote it: a rendered policy's
 * `password:` field is content), and error text on stderr also loses credential-shaped values,
 * so a usage error cannot echo `https://user:token@host` or `?access_token=`.
 */
function redactedIO(io: CommandIO): CommandIO {
  return {
    ...io,
    stdout: (text) => io.stdout(redactSecrets(text)),
    stderr: (text) => io.stderr(redactString(text)),
    stderrIsTTY: io.stderrIsTTY ?? (io.stderr === processIO.stderr && process.stderr.isTTY === true),
  };
}

async function help(): Promise<string> {
  const lines = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).default.summary}`),
  );
  return `kspec keeps Kubernetes clusters compliant with Kyverno policies committed to Git.\n\nUsage: kspec COMMAND [flags]\n\nCommands:\n${lines.join('\n')}\n\nEvery flag can also be set as KSPEC_<FLAG> in the environment (--reports-branch: KSPEC_REPORTS_BRANCH).\n`;
}
