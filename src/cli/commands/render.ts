import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Command, FlagSpec } from '../command.ts';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { checkRepository, errorLine, repositoryFlags } from '../check-repository.ts';
import type { KyvernoPolicy } from '../../render/desired-policy.ts';

const FORMATS = ['yaml', 'json'] as const;

const flagSpec = {
  output: { type: 'string', short: 'o', value: 'FORMAT', values: FORMATS, default: 'yaml', description: 'Print the policies as a YAML stream or a JSON List (kubectl apply -f - takes either)' },
  'output-dir': { type: 'string', value: 'DIR', description: 'Write one file per policy (in the --output format) under DIR/<spec namespace>/<spec>/ instead of printing' },
  ...repositoryFlags,
} satisfies Record<string, FlagSpec>;

const render: Command = {
  name: 'render',
  usage: 'kspec render PATH|URL [flags]',
  flags: flagSpec,
  examples: [
    { what: 'The Kyverno policies kspec would apply for examples/repo, as YAML', command: 'kspec render examples/repo' },
    { what: 'One file per policy, for review or kubectl apply -R -f', command: 'kspec render examples/repo --output-dir rendered/' },
    { what: 'The policies of the main branch as JSON', command: 'kspec render . --ref main -o json' },
  ],
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length !== 1) throw new UsageError('render takes exactly one PATH');
    // -o used to name the folder: say where that went rather than only listing the formats.
    if (!(FORMATS as readonly string[]).includes(flags.output!)) {
      throw new UsageError(`--output (-o) is the format, yaml or json, not ${JSON.stringify(flags.output)}; to write files use --output-dir ${flags.output}`);
    }
    const format = oneOf('--output', flags.output, FORMATS);
    const { rendered, errors } = await checkRepository(positionals[0], flags, io.env);
    for (const error of errors) io.stderr(errorLine(error));
    const policies = [...rendered.values()].flatMap(({ loaded, policies }) => policies.map((policy) => ({ spec: loaded.spec.metadata, object: policy.object })));
    const outputDir = flags['output-dir'];
    if (outputDir) {
      for (const { spec, object } of policies) {
        // One folder per spec and one file per policy, each unique within a cluster, so that
        // same-name specs or Policies of two namespaces never overwrite each other.
        const dir = join(outputDir, spec.namespace!, spec.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, policyFileName(object, format)), format === 'json' ? JSON.stringify(object, null, 2) + '\n' : stringify(object, { lineWidth: 0 }));
      }
      io.stdout(`wrote ${policies.length} policies to ${outputDir}\n`);
    } else if (format === 'json') {
      io.stdout(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: policies.map((p) => p.object) }, null, 2) + '\n');
    } else {
      io.stdout(policies.map((p) => stringify(p.object, { lineWidth: 0 })).join('---\n'));
    }
    return errors.length ? 1 : 0;
  },
};

function policyFileName(policy: KyvernoPolicy, format: (typeof FORMATS)[number]): string {
  const kind = policy.kind.toLowerCase();
  return policy.kind === 'Policy' ? `${kind}-${policy.metadata.namespace}_${policy.metadata.name}.${format}` : `${kind}-${policy.metadata.name}.${format}`;
}

export default render;
