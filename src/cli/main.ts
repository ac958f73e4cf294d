import type { CommandIO } from './command.ts';
import { processIO, UsageError } from './command.ts';
import { COMMANDS } from './command-table.ts';
import { commandHelp, programHelp } from './help.ts';
import { redactSecrets, redactString } from '../redact.ts';
import { terminalSafeCell } from '../util/terminal-text.ts';
import { closest } from '../util/closest.ts';

export async function main(argv: string[], given: CommandIO = processIO): Promise<number> {
  const io = redactedIO(given);
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    io.stdout(programHelp(COMMANDS));
    return first ? 0 : 2;
  }
  if (first === '--version') return main(['version', ...rest], given);
  // `kspec help plan` is `kspec plan --help`.
  const [name, args] = first === 'help' ? [rest[0], ['--help']] : [first, rest];
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const near = closest(name, Object.keys(COMMANDS));
    const what = name.startsWith('-') ? `unknown flag ${name}` : `unknown command ${JSON.stringify(name)}`;
    io.stderr(`kspec: ${terminalSafeCell(what)}${near ? `; did you mean ${near}?` : ''}\nRun 'kspec --help' for the commands.\n`);
    return 2;
  }
  const command = (await entry.load()).default;
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(commandHelp(entry.summary, command));
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`kspec ${name}: ${terminalSafeCell(err.message)}\nUsage: ${command.usage.split('\n')[0]}\nRun 'kspec ${name} --help' for its flags and examples.\n`);
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
