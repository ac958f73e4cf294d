// `kspec --help` and `kspec COMMAND --help`, written from the command table and each command's
// flag table, so that help, parsing and shell completion cannot disagree.
import type { Command, FlagSpec } from './command.ts';
import { envName } from './command.ts';

export const HELP_FLAG = { type: 'boolean', short: 'h', description: 'Print this help' } satisfies FlagSpec;

export function programHelp(commands: Record<string, { summary: string }>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)}   ${summary}`);
  return [
    'kspec keeps Kubernetes clusters compliant with Kyverno policies committed to Git.',
    '',
    'Usage:',
    '  kspec COMMAND [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Flags:',
    '  -h, --help      Print this help; kspec COMMAND --help lists that command\'s flags and examples',
    '      --version   Print the version (kspec version -o json for all of it)',
    '',
    'Every flag can also be set as KSPEC_<FLAG> in the environment (--reports-branch: KSPEC_REPORTS_BRANCH).',
    '',
  ].join('\n');
}

export function commandHelp(summary: string, command: Command): string {
  const flags = Object.entries({ ...command.flags, help: HELP_FLAG }).map(([name, flag]) => ({ left: flagSynopsis(name, flag), right: flagLine(name, flag) }));
  const width = Math.max(...flags.map((f) => f.left.length));
  return [
    `${summary}.`,
    '',
    'Usage:',
    ...command.usage.split('\n').map((line) => `  ${line}`),
    '',
    'Flags:',
    ...flags.map(({ left, right }) => `  ${left.padEnd(width)}   ${right}`),
    '',
    'Examples:',
    ...command.examples.flatMap(({ what, command }) => [`  # ${what}`, `  ${command}`, '']),
  ].join('\n');
}

/** `-o, --output table|yaml|json`, `    --repo URL`. */
export function flagSynopsis(name: string, flag: FlagSpec): string {
  const short = flag.short ? `-${flag.short}, ` : '    ';
  const value = flag.type === 'boolean' ? '' : ` ${flag.values ? flag.values.join('|') : flag.value ?? 'VALUE'}`;
  return `${short}--${name}${value}${flag.multiple ? ' ...' : ''}`;
}

function flagLine(name: string, flag: FlagSpec): string {
  if (name === 'help') return flag.description;
  const notes = [
    ...(flag.default !== undefined && flag.default !== false ? [`default ${/\s/.test(String(flag.default)) ? `'${flag.default}'` : flag.default}`] : []),
    `env ${envName(name)}${flag.type === 'boolean' ? '=true' : ''}`,
  ];
  return `${flag.description} (${notes.join(', ')})`;
}
