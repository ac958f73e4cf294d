// A problem inside a check's kyvernoPolicy text is reported at the repository file's line and
// column, with the file's line as the snippet, whatever the indentation of the block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { renderSpecs } from '../../src/render/render.ts';
import { formatSpecError } from '../../src/spec/errors.ts';

const SPEC_HEAD = `# Team policies
apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata: {name: team, namespace: x}
spec:
  targetClusterRef: {name: local}
  enforcementMode: enforce
  policies:
    - id: labels
      title: Labels
      severity: low
      checks:
        - id: fine
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: fine}
            spec:
              rules:
                - name: r
                  match: {any: [{resources: {kinds: [Pod]}}]}
                  validate: {message: m, pattern: {metadata: {name: "?*"}}}
        - id: broken
`;

const POLICY_LINES = [
  'apiVersion: kyverno.io/v1',
  'kind: ClusterPolicy',
  'metadata: {name: broken}',
  'spec:',
  '  rules:',
  '    - name: app-label',
  '      match: {any: [{resources: {kinds: [Pod]}}]',
  '      validate: {message: app label, pattern: {metadata: {labels: {app: "?*"}}}}',
];
const block = (indent: number) => POLICY_LINES.map((l) => ' '.repeat(indent) + l).join('\n') + '\n';

function errorsOf(text: string): string[] {
  const load = loadSpecs(new Map([['specs/team.yaml', text]]));
  return [...load.errors, ...[...renderSpecs(load.specs, 'c').values()].flatMap((r) => r.errors)].map(formatSpecError);
}

test('kspec validate on a committed file: a YAML error inside a kyvernoPolicy is at the file\'s line and column, with its line as the snippet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-embedded-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/target.yaml'), 'apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: local, namespace: x}\nspec: {inCluster: true, version: "1.20.2"}\n');
  writeFileSync(join(dir, 'specs/team.yaml'), `${SPEC_HEAD}          kyvernoPolicy: |\n${block(12)}`);
  git('add', '-A');
  git('commit', '-qm', 'specs');
  const lines = readFileSync(join(dir, 'specs/team.yaml'), 'utf8').split('\n');
  // The unclosed flow mapping is found where the parser gives up: the next line, at its first key.
  const at = lines.findIndex((l) => l.includes('validate: {message: app label')) + 1;
  const column = lines[at - 1].indexOf('validate') + 1;
  assert.equal(at, 32);
  for (const args of [['validate', dir], ['validate', dir, '--ref', 'main']]) {
    const run = await cli(args);
    assert.equal(run.code, 1);
    assert.equal(
      run.err,
      `specs/team.yaml:${at}:${column}: spec.policies[0].checks[1].kyvernoPolicy: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }\n` +
        `    ${at} | ${lines[at - 1]}\n` +
        `       | ${' '.repeat(column - 1)}^\n`,
    );
  }
  const json = JSON.parse((await cli(['validate', dir, '-o', 'json'])).out);
  assert.deepEqual(
    { file: json.errors[0].file, line: json.errors[0].line, column: json.errors[0].column, snippet: json.errors[0].snippet },
    { file: 'specs/team.yaml', line: at, column, snippet: lines[at - 1] },
  );
});

test('the file position holds for any indentation, a header comment, leading blank lines, |- and the block on the next line', () => {
  const expected = (line: number, column: number) => `specs/team.yaml:${line}:${column}: spec.policies[0].checks[1].kyvernoPolicy: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }`;
  assert.deepEqual(errorsOf(`${SPEC_HEAD}          kyvernoPolicy: |\n${block(12)}`), [expected(32, 19)]);
  assert.deepEqual(errorsOf(`${SPEC_HEAD}          kyvernoPolicy: |-\n${block(16)}`), [expected(32, 23)]);
  assert.deepEqual(errorsOf(`${SPEC_HEAD}          kyvernoPolicy: | # the policy\n${block(12)}`), [expected(32, 19)]);
  assert.deepEqual(errorsOf(`${SPEC_HEAD}          kyvernoPolicy: |\n\n   \n${block(12)}`), [expected(34, 19)]);
  assert.deepEqual(errorsOf(`${SPEC_HEAD}          kyvernoPolicy:\n            |\n${block(14)}`), [expected(33, 21)]);
  // In a document after the first, lines still count from the top of the file.
  assert.deepEqual(errorsOf(`other: doc\n---\n${SPEC_HEAD}          kyvernoPolicy: |\n${block(12)}`), [expected(34, 19).replace('34:19:', '34:19 (document 2):')]);
});

test('schema problems inside the policy get the file\'s line and column too', () => {
  const text = `${SPEC_HEAD}          kyvernoPolicy: |\n${block(12).replace('{name: broken}', '{name: Not_Valid}').replace('{kinds: [Pod]}}]', '{kinds: [Pod]}}]}')}`;
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('Not_Valid')) + 1;
  assert.deepEqual(errorsOf(text), [`specs/team.yaml:${line}:${lines[line - 1].indexOf('name: Not_Valid') + 1}: spec.policies[0].checks[1].kyvernoPolicy metadata.name: must be a lowercase DNS subdomain (dot-separated DNS labels, at most 253 characters)`]);
});

test('a folded or quoted kyvernoPolicy, whose lines are not the file\'s: the key\'s line, and where in the policy text', () => {
  const quoted = `${SPEC_HEAD}          kyvernoPolicy: ${JSON.stringify(POLICY_LINES.join('\n'))}\n`;
  assert.deepEqual(errorsOf(quoted), ['specs/team.yaml:24: spec.policies[0].checks[1].kyvernoPolicy: invalid YAML: Flow map in block collection must be sufficiently indented and end with a } (line 8, column 7 of the policy text)']);
  const indicator = `${SPEC_HEAD}          kyvernoPolicy: |2\n${block(12)}`;
  assert.match(errorsOf(indicator)[0], /^specs\/team\.yaml:24: .*\(line 8, column 7 of the policy text\)$/);
});
