import type { Command } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import { fetchSnapshot } from '../../source/git-source.ts';
import { loadSpecs } from '../../spec/load.ts';
import { renderSpec } from '../../render/render.ts';
import { formatSpecError } from '../../spec/errors.ts';
import type { SpecError } from '../../spec/errors.ts';
import { danglingTargetRefs } from '../../spec/target-refs.ts';
import { findCrossSpecClashes } from '../../render/render.ts';
import { outputFlag, outputFormat } from '../common-flags.ts';
import { serialize } from '../format.ts';

const validate: Command = {
  name: 'validate',
  usage: 'kspec validate PATH [--targets-from-cluster] [-o table|yaml|json]',
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { ...outputFlag, 'targets-from-cluster': { type: 'boolean' } }, io.env);
    const format = outputFormat(flags.output);
    if (positionals.length !== 1) throw new UsageError('validate takes exactly one PATH');
    const snapshot = await fetchSnapshot({ repo: positionals[0], cacheDir: '' });
    const load = loadSpecs(snapshot.files);
    const errors = [...load.errors];
    const rendered = new Map<string, ReturnType<typeof renderSpec>['policies']>();
    for (const spec of load.specs) {
      const result = renderSpec(spec, snapshot.commit);
      errors.push(...result.errors);
      rendered.set(spec.spec.metadata.name, result.policies);
    }
    for (const [policy, specs] of findCrossSpecClashes(rendered)) {
      errors.push({ file: load.specs.find((s) => s.spec.metadata.name === specs[1])!.origin.file, document: 1, line: 1, message: `${policy} is rendered by specs ${specs.join(' and ')}` });
    }
    // A spec must name a ClusterTarget of this repository, unless the targets are applied to the
    // cluster instead (kspec run reads them there too): then the reference is only a note.
    const notes: SpecError[] = [];
    for (const dangling of danglingTargetRefs(load, snapshot.files)) {
      if (flags['targets-from-cluster']) notes.push({ ...dangling, message: `${dangling.message}: expected from the cluster` });
      else errors.push({ ...dangling, message: `${dangling.message}; pass --targets-from-cluster if it is applied to the cluster instead` });
    }
    const checks = [...rendered.values()].reduce((n, p) => n + p.length, 0);
    if (format !== 'table') {
      io.stdout(serialize({ specifications: load.specs.length, targets: load.targets.length, checks, errors, ...(notes.length ? { notes } : {}) }, format));
      return errors.length ? 1 : 0;
    }
    for (const note of notes) io.stderr(`note: ${formatSpecError(note)}\n`);
    for (const error of errors) io.stderr(`${formatSpecError(error)}\n`);
    io.stdout(`${load.specs.length} specifications, ${load.targets.length} targets, ${checks} checks, ${errors.length} errors\n`);
    return errors.length ? 1 : 0;
  },
};

export default validate;
