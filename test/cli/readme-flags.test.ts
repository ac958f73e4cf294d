// The README and docs/ show commands a user will copy: every `kspec COMMAND --flag` written there
// must be a flag that command takes, every flag named on its own must be one some command
// takes, every KSPEC_ variable must be one kspec reads, and the README must name every command
// `kspec --help` lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, loadCommands } from '../../src/cli/command-table.ts';
import { envName } from '../../src/cli/command.ts';
import type { FlagSpec } from '../../src/cli/command.ts';
import { cli } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The code of a Markdown file: each line of its fenced blocks and each inline code span. */
export function codeOf(markdown: string): string[] {
  const code: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) { fenced = !fenced; continue; }
    if (fenced) code.push(line);
    else for (const [, span] of line.matchAll(/`([^`]+)`/g)) code.push(span);
  }
  // A span can wrap onto the next line of a paragraph: join the paragraph and look again.
  for (const paragraph of markdown.split(/\n\s*\n/)) {
    if (!paragraph.trimStart().startsWith('```')) for (const [, span] of paragraph.replace(/\n/g, ' ').matchAll(/`([^`]+)`/g)) if (span.includes('kspec ')) code.push(span);
  }
  return code;
}

interface Invocation { command: string; flags: string[] }

/**
 * `kspec plan --repo . -o json  # comment` → plan, [--repo, -o]: a command line starts the code,
 * or follows npx, a pipe, `&&` or `(`; prose in a span (an error message such as `a link;
 * kspec does not follow links`) is not one.
 */
export function invocations(code: string): Invocation[] {
  const found: Invocation[] = [];
  const uncommented = code.replace(/(^|\s)#\s.*$/, '');
  for (const match of uncommented.matchAll(/(?:^|[|&(]|\bnpx)\s*kspec((?:\s+[^\s|;&>`]+)*)/g)) {
    const words = match[1].trim().split(/\s+/).filter(Boolean);
    // `kspec COMMAND --help` names no command.
    if (words[0] && /^[A-Z]+$/.test(words[0])) continue;
    const command = words[0] && !words[0].startsWith('-') ? words[0] : '';
    const rest = command ? words.slice(1) : words;
    const flags: string[] = [];
    for (const word of rest) {
      if (word === '--') break;
      const flag = /^\[?(--?[a-zA-Z][\w-]*)/.exec(word)?.[1];
      if (flag) flags.push(flag);
    }
    found.push({ command, flags });
  }
  return found;
}

function takes(flags: Record<string, FlagSpec>, flag: string): boolean {
  if (flag === '--help' || flag === '-h') return true;
  if (flag.startsWith('--')) return Object.hasOwn(flags, flag.slice(2));
  return Object.values(flags).some((f) => `-${f.short}` === flag);
}

test('every kspec command and flag written in README.md and docs/*.md exists in that command\'s flag table', async () => {
  const commands = new Map((await loadCommands()).map(({ command }) => [command.name, command]));
  const allFlags: Record<string, FlagSpec> = Object.assign({}, ...[...commands.values()].map((c) => c.flags));
  const wrong: string[] = [];
  let checked = 0;
  for (const file of DOCS) {
    for (const code of codeOf(readFileSync(join(ROOT, file), 'utf8'))) {
      for (const { command, flags } of invocations(code)) {
        checked++;
        if (!command) {
          for (const flag of flags) if (!['--help', '-h', '--version'].includes(flag)) wrong.push(`${file}: kspec ${flag} (no such top-level flag)`);
          continue;
        }
        const table = commands.get(command);
        if (!table) { wrong.push(`${file}: kspec ${command} (no such command) in \`${code.trim()}\``); continue; }
        for (const flag of flags) if (!takes(table.flags, flag)) wrong.push(`${file}: kspec ${command} ${flag} (${command} has no such flag) in \`${code.trim()}\``);
      }
      // A flag named on its own, as in "Common flags: `--kubeconfig`".
      const alone = /^(--[a-z][\w-]*)(?:[ =][^\s]*)?$/.exec(code.trim());
      if (alone && !takes(allFlags, alone[1])) wrong.push(`${file}: \`${code.trim()}\` is no kspec flag`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked > 40, `only ${checked} kspec command lines found: the parser is broken`);
});

test('every KSPEC_ variable in README.md and docs/*.md is a flag\'s variable or one kspec reads', async () => {
  const flagVariables = new Set((await loadCommands()).flatMap(({ command }) => Object.keys(command.flags).map(envName)));
  const read = new Set(sources(['src', 'bench', 'scripts']).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bKSPEC_[A-Z][A-Z0-9_]*/g)].map((m) => m[0])));
  const unknown = DOCS.flatMap((file) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bKSPEC_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => `${file}: ${m[0]}`))
    .filter((entry) => { const name = entry.split(': ')[1]; return !flagVariables.has(name) && !read.has(name); });
  assert.deepEqual([...new Set(unknown)], []);
});

function sources(dirs: string[]): string[] {
  return dirs.flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name)));
}

test('the README names every command kspec --help lists, and no other', async () => {
  const help = (await cli(['--help'])).out;
  const listed = [...help.matchAll(/^  ([a-z]+) {2,}/gm)].map((m) => m[1]);
  assert.deepEqual(listed, Object.keys(COMMANDS));
  const readme = new Set(codeOf(readFileSync(join(ROOT, 'README.md'), 'utf8')).flatMap((code) => invocations(code).map((i) => i.command)).filter(Boolean));
  assert.deepEqual([...readme].sort(), [...listed].sort());
});

test('the checker sees a wrong flag, a wrong command and a flag of another command', () => {
  assert.deepEqual(invocations('npx kspec plan --repoo . -o json  # note --not-this'), [{ command: 'plan', flags: ['--repoo', '-o'] }]);
  assert.deepEqual(invocations('kubectl -n kspec-system get cspec && kspec --version'), [{ command: '', flags: ['--version'] }]);
  assert.deepEqual(invocations('source <(npx kspec completion bash)'), [{ command: 'completion', flags: [] }]);
  assert.deepEqual(invocations('is a symbolic link; kspec does not follow links'), []);
  assert.deepEqual(invocations('the error kspec prints'), []);
  assert.deepEqual(invocations("kspec run --schedule '*/5 * * * *' [--dry-run]").map((i) => i.flags), [['--schedule', '--dry-run']]);
  assert.ok(codeOf('text `kspec plan\n--repo x` more').some((c) => c === 'kspec plan --repo x'));
});
