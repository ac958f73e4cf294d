import type { Command, FlagSpec } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import type { SpecError } from '../../spec/errors.ts';
import { danglingTargetRefs } from '../../spec/target-refs.ts';
import { outputFlag, outputFormat } from '../common-flags.ts';
import { serialize } from '../format.ts';
import { checkRepository, errorLine, repositoryFlags } from '../check-repository.ts';

const flagSpec = {
  ...outputFlag,
  'targets-from-cluster': { type: 'boolean', description: 'A targetClusterRef naming no ClusterTarget of the repository is a note, not an error (targets applied to the cluster)' },
  ...repositoryFlags,
} satisfies Record<string, FlagSpec>;

/** Exit 0 when everything loads and renders, 1 with file:line:field errors. */
const validate: Command = {
  name: 'validate',
  usage: 'kspec validate PATH|URL [flags]',
  flags: flagSpec,
  examples: [
    { what: 'Check the example specs and targets (a pre-commit hook can run `kspec validate .`)', command: 'kspec validate examples/repo' },
    { what: 'Check the main branch of the enclosing repository instead of the files on disk', command: 'kspec validate . --ref main' },
    { what: 'Errors as JSON, with targets kept in the cluster rather than in Git', command: 'kspec validate . --targets-from-cluster -o json' },
  ],
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    const format = outputFormat(flags.output);
    if (positionals.length !== 1) throw new UsageError('validate takes exactly one PATH');
    const { snapshot, load, rendered, errors } = await checkRepository(positionals[0], flags, io.env);
    // A spec must name a ClusterTarget of this repository, unless the targets are applied to the
    // cluster instead (kspec run reads them there too): then the reference is only a note.
    const notes: SpecError[] = [];
    for (const dangling of danglingTargetRefs(load, snapshot.files)) {
      if (flags['targets-from-cluster']) notes.push({ ...dangling, message: `${dangling.message}: expected from the cluster` });
      else errors.push({ ...dangling, message: `${dangling.message}; pass --targets-from-cluster if it is applied to the cluster instead` });
    }
    const checks = [...rendered.values()].reduce((n, r) => n + r.policies.length, 0);
    if (format !== 'table') {
      io.stdout(serialize({ specifications: load.specs.length, targets: load.targets.length, checks, errors, ...(notes.length ? { notes } : {}) }, format));
      return errors.length ? 1 : 0;
    }
    for (const note of notes) io.stderr(`note: ${errorLine(note)}`);
    for (const error of errors) io.stderr(errorLine(error));
    io.stdout(`${load.specs.length} specifications, ${load.targets.length} targets, ${checks} checks, ${errors.length} errors\n`);
    return errors.length ? 1 : 0;
  },
};

export default validate;
