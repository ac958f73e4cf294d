// Shell completion, driven in the real shells: bash through its completion variables
// (COMP_WORDS, COMP_CWORD, COMPREPLY), fish through `complete --do-complete`; zsh is loaded with
// compinit and must register the function. Each shell's test skips where it is not installed.
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

/** What bash offers for the command line `words` (the last one is the word being completed). */
function bashComplete(file: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _kspec; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter(Boolean).sort();
}

test('bash: commands, every flag of every command, and the values of enumerated flags', { skip: !has('bash') && 'bash is not installed' }, async () => {
  const file = await script('bash');
  assert.deepEqual(bashComplete(file, ['kspec', '']), [...Object.keys(COMMANDS), '--help', '--version'].sort());
  assert.deepEqual(bashComplete(file, ['kspec', 're']), ['reconcile', 'render']);
  assert.deepEqual(bashComplete(file, ['kspec', 'pl']), ['plan']);
  for (const { command } of await loadCommands()) {
    const longFlags = [...Object.keys(command.flags), 'help'].map((f) => `--${f}`).sort();
    assert.deepEqual(bashComplete(file, ['kspec', command.name, '--']), longFlags, command.name);
    for (const [name, flag] of Object.entries(command.flags)) {
      if (flag.values) assert.deepEqual(bashComplete(file, ['kspec', command.name, `--${name}`, '']), [...flag.values].sort(), `${command.name} --${name}`);
    }
  }
  assert.deepEqual(bashComplete(file, ['kspec', 'reconcile', '--re']), ['--repo', '--report-refresh', '--reports-branch']);
  assert.deepEqual(bashComplete(file, ['kspec', 'plan', '-o', '']), ['json', 'table', 'yaml']);
  assert.deepEqual(bashComplete(file, ['kspec', 'render', '.', '-o', 'j']), ['json']);
  assert.deepEqual(bashComplete(file, ['kspec', 'scan', '--spec', 'x', '--fail-on', '']), ['any', 'enforce', 'none']);
  assert.deepEqual(bashComplete(file, ['kspec', 'test', '-o', 'j']), ['json', 'junit']);
  // --flag=value: bash splits the word at '='.
  assert.deepEqual(bashComplete(file, ['kspec', 'plan', '--output', '=', '']), ['json', 'table', 'yaml']);
  assert.deepEqual(bashComplete(file, ['kspec', 'plan', '--output', '=', 'y']), ['yaml']);
  assert.deepEqual(bashComplete(file, ['kspec', 'completion', '']), ['bash', 'fish', 'zsh']);
  // A free value (a path, a URL) is left to bash's file name completion.
  assert.deepEqual(bashComplete(file, ['kspec', 'plan', '--repo', '']), []);
  // Flags before the command do not hide it.
  assert.deepEqual(bashComplete(file, ['kspec', 'version', '-o', '']), ['json', 'text', 'yaml']);
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
  assert.deepEqual(complete('kspec reconcile --re'), ['--repo', '--report-refresh', '--reports-branch']);
});

test('zsh: the script parses, and loaded after compinit it registers the kspec completion', { skip: !has('zsh') && 'zsh is not installed' }, async () => {
  const file = await script('zsh');
  const parse = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
  assert.equal(parse.status, 0, parse.stderr);
  const home = mkdtempSync(join(tmpdir(), 'kspec-zsh-'));
  const loaded = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d '${home}/zcompdump' && source '${file}' && print -r -- $_comps[kspec]`], { encoding: 'utf8', env: { ...process.env, HOME: home } });
  assert.equal(loaded.status, 0, loaded.stderr);
  assert.equal(loaded.stdout.trim(), '_kspec');
});
