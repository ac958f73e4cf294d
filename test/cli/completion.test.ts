// Shell completion, driven in the real shells: bash through its completion variables
// (COMP_WORDS, COMP_CWORD, COMPREPLY), fish through `complete --do-complete`, zsh by typing Tab
// in an interactive zsh on a pseudo-terminal. Each shell's test skips where it is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { COMMANDS, loadCommands } from '../../src/cli/command-table.ts';

async function script(shell: string): Promise<string> {
  const { code, out, err } = await cli(['completion', shell]);
  assert.equal(code, 0, err);
  const file = join(mkdtempSync(join(tmpdir(), 'kspec-completion-')), `kspec.${shell}`);
  writeFileSync(file, out);
  return file;
}

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

/**
 * What bash offers for each command line (the last word is the one being completed), all asked of
 * one bash process.
 */
function bashCompletions(file: string, lines: string[][]): string[][] {
  const calls = lines.map((words) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _kspec; printf '%s\\n' "\${COMPREPLY[@]}"; echo '<end>'`);
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${file}'\n${calls.join('\n')}`], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('<end>\n').slice(0, -1).map((out) => out.split('\n').filter(Boolean).sort());
}

test('bash: commands, every flag of every command, and the values of enumerated flags', { skip: !has('bash') && 'bash is not installed' }, async () => {
  const file = await script('bash');
  const expected: [string[], string[]][] = [
    [['kspec', ''], [...Object.keys(COMMANDS), '--help', '--version'].sort()],
    [['kspec', 're'], ['reconcile', 'render']],
    [['kspec', 'pl'], ['plan']],
    [['kspec', 'reconcile', '--re'], ['--repo', '--report-refresh', '--reports-branch', '--request-timeout']],
    [['kspec', 'plan', '-o', ''], ['json', 'table', 'yaml']],
    [['kspec', 'render', '.', '-o', 'j'], ['json']],
    [['kspec', 'scan', '--spec', 'x', '--fail-on', ''], ['any', 'enforce', 'none']],
    [['kspec', 'test', '-o', 'j'], ['json', 'junit']],
    // --flag=value: bash splits the word at '='.
    [['kspec', 'plan', '--output', '=', ''], ['json', 'table', 'yaml']],
    [['kspec', 'plan', '--output', '=', 'y'], ['yaml']],
    [['kspec', 'completion', ''], ['bash', 'fish', 'zsh']],
    // A free value (a path, a URL) is left to bash's file name completion.
    [['kspec', 'plan', '--repo', ''], []],
    [['kspec', 'version', '-o', ''], ['json', 'text', 'yaml']],
  ];
  for (const { command } of await loadCommands()) {
    expected.push([['kspec', command.name, '--'], [...Object.keys(command.flags), 'help'].map((f) => `--${f}`).sort()]);
    for (const [name, flag] of Object.entries(command.flags)) {
      if (flag.values) expected.push([['kspec', command.name, `--${name}`, ''], [...flag.values].sort()]);
    }
  }
  const offered = bashCompletions(file, expected.map(([words]) => words));
  expected.forEach(([words, want], i) => assert.deepEqual(offered[i], want, words.join(' ')));
});

test('fish: the script loads and completes commands, flags and values', { skip: !has('fish') && 'fish is not installed' }, async () => {
  const file = await script('fish');
  const complete = (line: string) => {
    const result = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete --do-complete '${line}'`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    return result.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
  };
  assert.deepEqual(complete('kspec re'), ['reconcile', 'render']);
  assert.deepEqual(complete('kspec plan -o '), ['json', 'table', 'yaml']);
  assert.deepEqual(complete('kspec scan --fail-on '), ['any', 'enforce', 'none']);
  assert.deepEqual(complete('kspec completion '), ['bash', 'fish', 'zsh']);
  assert.ok(complete('kspec run --lea').includes('--leader-elect'));
  assert.deepEqual(complete('kspec reconcile --re'), ['--repo', '--report-refresh', '--reports-branch', '--request-timeout']);
});

test('zsh: the script parses, and typing Tab in a real interactive zsh completes commands, flags, values and files', { skip: !has('zsh') && 'zsh is not installed' }, async () => {
  const file = await script('zsh');
  const parse = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
  assert.equal(parse.status, 0, parse.stderr);
  const home = mkdtempSync(join(tmpdir(), 'kspec-zsh-home-'));
  const dir = mkdtempSync(join(tmpdir(), 'kspec-zsh-'));
  writeFileSync(join(dir, 'policies.yaml'), '');
  const expected: [string, string[]][] = [
    ['kspec re', ['reconcile', 'render']],
    ['kspec plan -o ', ['json', 'table', 'yaml']],
    ['kspec plan --output=', ['json', 'table', 'yaml']],
    ['kspec reconcile --re', ['--repo', '--report-refresh', '--reports-branch', '--request-timeout']],
    ['kspec scan --fail-on ', ['any', 'enforce', 'none']],
    ['kspec completion ', ['bash', 'fish', 'zsh']],
    ['kspec run --sharding ', ['auto', 'none', 'static']],
    ['kspec scan --policy ', ['policies.yaml']],
  ];
  // A pseudo-terminal session per line; the timeout only keeps a broken shell from hanging the run.
  const result = spawnSync('zsh', ['-f', join(import.meta.dirname, 'fixtures', 'zsh-complete.zsh'), file, join(home, 'zcompdump'), ...expected.map(([line]) => line)], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, HOME: home } });
  assert.equal(result.status, 0, result.stderr);
  const offered = result.stdout.split('<end>\n').slice(0, -1).map((out) => out.split('\n').filter(Boolean).sort());
  expected.forEach(([line, want], i) => assert.deepEqual(offered[i], want, line));
});
