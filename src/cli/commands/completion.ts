// `kspec completion bash|zsh|fish`: the completion script, from the same tables as parsing and help.
import type { Command, FlagSpec } from '../command.ts';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { completionScript, SHELLS } from '../completion.ts';
import { loadCommands } from '../command-table.ts';

const flagSpec = {} satisfies Record<string, FlagSpec>;

const completion: Command = {
  name: 'completion',
  usage: 'kspec completion bash|zsh|fish',
  flags: flagSpec,
  arguments: SHELLS,
  examples: [
    { what: 'Try it in this bash shell', command: 'source <(kspec completion bash)' },
    { what: 'bash, for every new shell (with the bash-completion package); generated once, so shells start fast', command: 'kspec completion bash > ~/.local/share/bash-completion/completions/kspec' },
    { what: 'zsh, for every new shell (fish: kspec completion fish > ~/.config/fish/completions/kspec.fish)', command: 'kspec completion zsh > "${fpath[1]}/_kspec"' },
  ],
  async run(argv, io) {
    const { positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length !== 1) throw new UsageError(`completion takes one shell: ${SHELLS.join(', ')}`);
    const shell = oneOf('shell', positionals[0], SHELLS);
    const commands = (await loadCommands()).map(({ command, summary }) => ({ name: command.name, summary, flags: command.flags, ...(command.arguments ? { arguments: command.arguments } : {}) }));
    io.stdout(completionScript(shell, commands));
    return 0;
  },
};

export default completion;
