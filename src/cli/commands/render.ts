import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Command } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import { fetchSnapshot } from '../../source/git-source.ts';
import { loadSpecs } from '../../spec/load.ts';
import { renderSpec } from '../../render/render.ts';
import { formatSpecError } from '../../spec/errors.ts';

const render: Command = {
  name: 'render',
  usage: 'kspec render PATH [-o DIR]',
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { 'output-dir': { type: 'string', short: 'o' } }, io.env);
    if (positionals.length !== 1) throw new UsageError('render takes exactly one PATH');
    const snapshot = await fetchSnapshot({ repo: positionals[0], cacheDir: '' });
    const load = loadSpecs(snapshot.files);
    let failed = load.errors.length > 0;
    for (const error of load.errors) io.stderr(`${formatSpecError(error)}\n`);
    const documents: string[] = [];
    for (const spec of load.specs) {
      const result = renderSpec(spec, snapshot.commit);
      for (const error of result.errors) io.stderr(`${formatSpecError(error)}\n`);
      failed ||= result.errors.length > 0;
      for (const policy of result.policies) {
        const text = stringify(policy.object, { lineWidth: 0 });
        if (flags['output-dir']) {
          const dir = join(flags['output-dir'], spec.spec.metadata.name);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, `${policy.object.kind.toLowerCase()}-${policy.object.metadata.name}.yaml`), text);
        }
        documents.push(text);
      }
    }
    if (flags['output-dir']) io.stdout(`wrote ${documents.length} policies to ${flags['output-dir']}\n`);
    else io.stdout(documents.join('---\n'));
    return failed ? 1 : 0;
  },
};

export default render;
