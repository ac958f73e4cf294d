// `kspec version` (and `kspec --version`): loads no library, so it answers even where the
// Kubernetes client or a dependency is broken or missing.
import type { Command, FlagSpec } from '../command.ts';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { versionInfo } from '../../version.ts';
import type { VersionInfo } from '../../version.ts';

const FORMATS = ['text', 'json', 'yaml'] as const;

const flagSpec = {
  output: { type: 'string', short: 'o', value: 'FORMAT', values: FORMATS, default: 'text', description: 'Output format' },
} satisfies Record<string, FlagSpec>;

const version: Command = {
  name: 'version',
  usage: 'kspec version [flags]',
  flags: flagSpec,
  examples: [
    { what: "kspec's version and commit, Node.js and the libraries", command: 'kspec version' },
    { what: 'The same for a bug report or a script', command: 'kspec version -o json' },
  ],
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length) throw new UsageError(`version takes no arguments, not ${JSON.stringify(positionals[0])}`);
    const format = oneOf('--output', flags.output, FORMATS);
    const info = versionInfo();
    if (format === 'json') io.stdout(JSON.stringify(info, null, 2) + '\n');
    else if (format === 'yaml') io.stdout((await import('../format.ts')).serialize(info, 'yaml'));
    else io.stdout(versionText(info));
    return 0;
  },
};

function versionText(info: VersionInfo): string {
  const width = Math.max(...Object.keys(info.libraries).map((n) => n.length));
  return [
    `kspec ${info.kspec.version} (commit ${info.kspec.commit})`,
    `Node.js ${info.node} (${info.platform})`,
    'Libraries:',
    ...Object.entries(info.libraries).map(([name, v]) => `  ${name.padEnd(width)}  ${v}`),
    '',
  ].join('\n');
}

export default version;
