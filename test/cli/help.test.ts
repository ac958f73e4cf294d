// Help, parsing and errors come from one table per command: every flag a command takes is in
// its --help with a line, its default and its environment variable, and a mistyped flag or
// command is answered with the closest real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../support/cli.ts';
import { COMMANDS, loadCommands } from '../../src/cli/command-table.ts';
import { envName } from '../../src/cli/command.ts';
import { closest } from '../../src/util/closest.ts';

test('kspec --help lists every command with its summary, version and completion included', async () => {
  const { code, out } = await cli(['--help']);
  assert.equal(code, 0);
  for (const [name, { summary }] of Object.entries(COMMANDS)) assert.match(out, new RegExp(`^  ${name} +${escape(summary)}$`, 'm'));
  assert.ok(['version', 'completion'].every((name) => name in COMMANDS));
  assert.match(out, /^ +--version +Print the version/m);
});

test('kspec COMMAND --help lists every flag of the command with a line, its short form, default and environment variable, and examples', async () => {
  for (const { command, summary } of await loadCommands()) {
    const { code, out } = await cli([command.name, '--help']);
    assert.equal(code, 0, command.name);
    assert.ok(out.startsWith(`${summary}.\n\nUsage:\n  kspec ${command.name}`), out);
    for (const [name, flag] of Object.entries(command.flags)) {
      assert.ok(flag.description.length > 10 && !flag.description.includes('\n'), `${command.name} --${name} has a one-line description`);
      const line = out.split('\n').find((l) => new RegExp(`^  ${flag.short ? `-${flag.short}, ` : '    '}--${name}\\b`).test(l));
      assert.ok(line, `kspec ${command.name} --help shows --${name}:\n${out}`);
      assert.ok(line.includes(flag.description), line);
      assert.ok(line.includes(`env ${envName(name)}`), line);
      if (typeof flag.default === 'string') assert.ok(line.includes(`default ${/\s/.test(flag.default) ? `'${flag.default}'` : flag.default}`), line);
      for (const value of flag.values ?? []) assert.ok(line.includes(value), line);
    }
    assert.match(out, /^  -h, --help +Print this help$/m);
    // Two or three examples, each a kspec command line using only flags the command has.
    assert.ok(command.examples.length >= 2 && command.examples.length <= 3, `${command.name} has ${command.examples.length} examples`);
    for (const { what, command: line } of command.examples) {
      assert.ok(out.includes(`  # ${what}\n  ${line}\n`), `${command.name} --help shows the example ${line}`);
      assert.match(line, new RegExp(`\\bkspec ${command.name}\\b`));
      for (const [, flag] of line.matchAll(/(?<=\s)--([a-z-]+)/g)) assert.ok(flag in command.flags, `example of ${command.name} uses --${flag}, which it does not take`);
    }
  }
});

test('flags named in kspec plan --help are the issue\'s undiscoverable ones too', async () => {
  const plan = (await cli(['plan', '--help'])).out;
  const run = (await cli(['run', '--help'])).out;
  const reconcile = (await cli(['reconcile', '--help'])).out;
  for (const flag of ['--kubeconfig', '--context', '-n, --namespace', '--cache-dir']) assert.ok(plan.includes(flag), flag);
  for (const flag of ['--lease-name', '--reports-branch', '--adopt']) assert.ok(run.includes(flag), flag);
  assert.match(reconcile, /--once +No longer needed/);
  // `help plan` is `plan --help`.
  assert.equal((await cli(['help', 'plan'])).out, plan);
});

test('an unknown flag is named with the closest valid one, in plain words', async () => {
  const typo = await cli(['plan', '--repoo', 'x']);
  assert.equal(typo.code, 2);
  const [first] = typo.err.split('\n');
  assert.equal(first, 'kspec plan: unknown flag --repoo; did you mean --repo?');
  assert.match(typo.err, /Run 'kspec plan --help' for its flags and examples\./);
  assert.doesNotMatch(typo.err, /Unknown option|To specify a positional/);
  assert.match((await cli(['reconcile', '--dryrun'])).err, /unknown flag --dryrun; did you mean --dry-run\?/);
  assert.match((await cli(['run', '--leader-election'])).err, /unknown flag --leader-election; did you mean --leader-elect\?/);
  assert.match((await cli(['scan', '--fail-onn', 'any'])).err, /unknown flag --fail-onn; did you mean --fail-on\?/);
  // Nothing close: no guess.
  const far = await cli(['validate', '--frobnicate', '.']);
  assert.equal(far.code, 2);
  assert.match(far.err, /^kspec validate: unknown flag --frobnicate\n/);
  const short = await cli(['test', '-x', '.']);
  assert.match(short.err, /^kspec test: unknown flag -x; the short flags are -o \(--output\), -v \(--detailed\)\n/);
});

test('a flag without its value, or a switch given one, is a usage error that says so', async () => {
  const missing = await cli(['validate', '--ref']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^kspec validate: flag --ref needs a value \(REF\)$/m);
  // The next flag is not taken as the value.
  assert.match((await cli(['validate', '--ref', '--max-documents', '3', '.'])).err, /flag --ref needs a value/);
  assert.match((await cli(['validate', '.', '-o'])).err, /flag -o \(--output\) needs a value \(FORMAT\)/);
  assert.match((await cli(['test', '.', '--allow-outside=yes'])).err, /flag --allow-outside takes no value/);
  // A value starting with a dash can still be given inline.
  assert.match((await cli(['validate', '.', '--max-documents=-3'])).err, /--max-documents takes a positive whole number, not "-3"/);
});

test('an unknown command is named with the closest command', async () => {
  const typo = await cli(['reconile']);
  assert.equal(typo.code, 2);
  assert.equal(typo.err, 'kspec: unknown command "reconile"; did you mean reconcile?\nRun \'kspec --help\' for the commands.\n');
  assert.match((await cli(['verison'])).err, /did you mean version\?/);
  assert.match((await cli(['--repo', 'x'])).err, /^kspec: unknown flag --repo\n/);
  assert.doesNotMatch((await cli(['frobnicate'])).err, /did you mean/);
});

test('closest: a typo, a swap or a prefix is matched; an unrelated word is not', () => {
  const flags = ['repo', 'branch', 'path', 'report-refresh', 'reports-branch', 'dry-run'];
  assert.equal(closest('repoo', flags), 'repo');
  assert.equal(closest('brnach', flags), 'branch');
  assert.equal(closest('dryrun', flags), 'dry-run');
  assert.equal(closest('reports-b', flags), 'reports-branch');
  assert.equal(closest('xyz', flags), undefined);
  assert.equal(closest('kubeconfig', flags), undefined);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
