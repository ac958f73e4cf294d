import type { Command, CommandIO } from './command.ts';
import { processIO, UsageError } from './command.ts';
import { redactSecrets, redactString } from '../redact.ts';
import { terminalSafeCell } from '../util/terminal-text.ts';

/**
 * Commands by name, with the one-line summary `kspec --help` shows. Each lives in its own file and
 * is loaded only when used: the summaries are here so that help loads none of them (a command
 * that reaches a cluster brings the Kubernetes client with it).
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  validate: { summary: 'Check ClusterSpecifications and ClusterTargets; exit 1 with file:line errors', load: () => import('./commands/validate.ts') },
  render: { summary: 'Print or write the Kyverno policies kspec would apply', load: () => import('./commands/render.ts') },
  plan: { summary: 'Show the drift between the repository and the cluster, changing nothing', load: () => import('./commands/plan.ts') },
  reconcile: { summary: 'Run one full pass: fetch, render, diff, enforce or report, publish', load: () => import('./commands/reconcile.ts') },
  run: { summary: 'Run the poller: reconcile on a schedule and on push webhooks, serve metrics', load: () => import('./commands/run.ts') },
  test: { summary: 'Run Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine', load: () => import('./commands/test.ts') },
  scan: { summary: 'Check manifests offline against a spec or Kyverno policies; exit 1 when an Enforce rule fails', load: () => import('./commands/scan.ts') },
};

export async function main(argv: string[], given: CommandIO = processIO): Promise<number> {
  const io = redactedIO(given);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`kspec: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const command = (await entry.load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${entry.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`kspec ${name}: ${terminalSafeCell(err.message)}\nUsage: ${command.usage}\n`);
      return 2;
    }
    // A path or URL from the user or the repository can be in the message.
    io.stderr(`kspec ${name}: ${terminalSafeCell((err as Error).message)}\n`);
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

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`);
  return `kspec keeps Kubernetes clusters compliant with Kyverno policies committed to Git.\n\nUsage: kspec COMMAND [flags]\n\nCommands:\n${lines.join('\n')}\n\nEvery flag can also be set as KSPEC_<FLAG> in the environment (--reports-branch: KSPEC_REPORTS_BRANCH).\n`;
}
