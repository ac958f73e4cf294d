import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Command } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import { checkRepository, errorLine, repositoryFlags } from '../check-repository.ts';
import type { KyvernoPolicy } from '../../render/desired-policy.ts';

const render: Command = {
  name: 'render',
  usage: 'kspec render PATH|URL [--ref REF] [-o DIR] [--allow-rule-types T,...] [--allow-policy-namespaces NS,...] [--max-file-bytes SIZE] [--max-documents N] [--max-repo-bytes SIZE] [--max-expanded-bytes SIZE] [--cache-dir DIR]',
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { 'output-dir': { type: 'string', short: 'o' }, ...repositoryFlags }, io.env);
    if (positionals.length !== 1) throw new UsageError('render takes exactly one PATH');
    const { rendered, errors } = await checkRepository(positionals[0], flags, io.env);
    for (const error of errors) io.stderr(errorLine(error));
    const documents: string[] = [];
    for (const { loaded, policies } of rendered.values()) {
      for (const policy of policies) {
        const text = stringify(policy.object, { lineWidth: 0 });
        if (flags['output-dir']) {
          // One folder per spec and one file per policy, each unique within a cluster, so that
          // same-name specs or Policies of two namespaces never overwrite each other.
          const dir = join(flags['output-dir'], loaded.spec.metadata.namespace!, loaded.spec.metadata.name);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, policyFileName(policy.object)), text);
        }
        documents.push(text);
      }
    }
    if (flags['output-dir']) io.stdout(`wrote ${documents.length} policies to ${flags['output-dir']}\n`);
    else io.stdout(documents.join('---\n'));
    return errors.length ? 1 : 0;
  },
};

function policyFileName(policy: KyvernoPolicy): string {
  const kind = policy.kind.toLowerCase();
  return policy.kind === 'Policy' ? `${kind}-${policy.metadata.namespace}_${policy.metadata.name}.yaml` : `${kind}-${policy.metadata.name}.yaml`;
}

export default render;
