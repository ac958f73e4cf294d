// Hostile and broken repositories through the real `kspec` binary: one bad file is its own
// error with file and line, and every other spec carries on, in validate, render, scan and a
// reconcile pass on the real API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { kspec } from '../support/kspec-cli.ts';
import { inClusterTarget, policyYaml, specYaml as specWithChecks } from '../support/operator.ts';
import { kubeRequest } from '../../scripts/lib/kube-http.ts';

/** A spec with one check (`labels/app`), whose policy is `policy` (default: a ClusterPolicy named like the spec). */
const specYaml = (name: string, namespace: string, policy = policyYaml(name)) => specWithChecks(name, namespace, { checks: { app: policy } });

const policyOf = (kind: 'ClusterPolicy' | 'Policy', name: string, rule: string, namespace?: string) => `apiVersion: kyverno.io/v1
kind: ${kind}
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}
spec:
  rules:
    - name: rule
      match: {any: [{resources: {kinds: [Pod]}}]}
      ${rule}`;

function aliasBomb(): string {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (const [prev, next] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) text += `${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
  return text;
}

/** A repository with one good spec and target, and a file of each kind that used to stop everything. */
function hostileRepo(namespace: string, id: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-hostile-'));
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/target.yaml'), inClusterTarget(namespace));
  writeFileSync(join(dir, 'specs/good.yaml'), specYaml(`good-${id}`, namespace));
  writeFileSync(join(dir, 'specs/bomb.yaml'), aliasBomb());
  writeFileSync(join(dir, 'specs/huge.yaml'), `data: "${'x'.repeat(300_000)}"\n`);
  symlinkSync(join(dir, 'specs/nowhere.yaml'), join(dir, 'specs/dangling.yaml'));
  symlinkSync(join(dir, 'specs/loop2.yaml'), join(dir, 'specs/loop1.yaml'));
  symlinkSync(join(dir, 'specs/loop1.yaml'), join(dir, 'specs/loop2.yaml'));
  return dir;
}

const LIMIT = ['--max-file-bytes', '256KiB'];
const FILE_ERRORS = [
  /^specs\/bomb\.yaml:\d+:\d+: larger than 16 MiB once aliases are expanded \(limit --max-expanded-bytes\)$/m,
  /^specs\/dangling\.yaml:1: is a dangling symbolic link/m,
  /^specs\/huge\.yaml:1: file is 300009 bytes, more than 256 KiB \(limit --max-file-bytes\)$/m,
  /^specs\/loop1\.yaml:1: is a symbolic link loop$/m,
];

test('validate and render: each bad file is its own error with file and line; the good spec still counts and renders', async () => {
  const dir = hostileRepo('team-a', 'v');
  const validate = await kspec(['validate', dir, ...LIMIT]);
  assert.equal(validate.code, 1, validate.stderr);
  for (const expected of FILE_ERRORS) assert.match(validate.stderr, expected);
  assert.match(validate.stdout, /^1 specifications, 1 targets, 1 checks, 5 errors$/m);
  const render = await kspec(['render', dir, ...LIMIT]);
  assert.equal(render.code, 1);
  assert.match(render.stdout, /name: good-v\n/);
  for (const expected of FILE_ERRORS) assert.match(render.stderr, expected);
});

test('scan: bad spec files and manifests are errors with file and line, not a crash', async () => {
  const dir = hostileRepo('team-a', 's');
  const manifests = mkdtempSync(join(tmpdir(), 'kspec-scan-'));
  writeFileSync(join(manifests, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec: {containers: [{name: c, image: x}]}\n');
  const specs = join(dir, 'specs');
  const scan = await kspec(['scan', '--spec', specs, join(manifests, 'pod.yaml')]);
  assert.equal(scan.code, 2);
  assert.match(scan.stderr, new RegExp(`^${specs}/bomb\\.yaml:\\d+:\\d+: larger than 16 MiB once aliases are expanded`, 'm'));
  assert.match(scan.stderr, new RegExp(`^${specs}/dangling\\.yaml:1: is a dangling symbolic link`, 'm'));
  writeFileSync(join(manifests, 'bomb.yaml'), aliasBomb());
  const good = join(dir, 'specs/good.yaml');
  const bombed = await kspec(['scan', '--spec', good, manifests]);
  assert.equal(bombed.code, 2);
  assert.match(bombed.stderr, /bomb\.yaml:\d+: larger than 16 MiB once aliases are expanded/);
});

test('validate reads the working tree by default and a commit with --ref, also from a subfolder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-precommit-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/spec.yaml'), specYaml('pre', 'team-a'));
  writeFileSync(join(dir, 'specs/target.yaml'), inClusterTarget('team-a'));
  git('add', '-A');
  git('commit', '-qm', 'good');
  writeFileSync(join(dir, 'specs/spec.yaml'), specYaml('pre', 'team-a').replace('severity: high', 'severity: minor'));
  for (const path of [dir, join(dir, 'specs')]) {
    const edited = await kspec(['validate', '.'], { cwd: path });
    assert.equal(edited.code, 1, `${path}: the uncommitted edit is checked`);
    assert.match(edited.stderr, /spec\.yaml:13:\d+: spec\.policies\[0\]\.severity: must be one of/);
    const committed = await kspec(['validate', '.', '--ref', 'main'], { cwd: path });
    assert.equal(committed.code, 0, `${path}: ${committed.stderr}`);
  }
});

test('validate URL and render URL clone into the cache directory, never into the current one', async (t) => {
  const server = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-srv-')) });
  t.after(() => server.stop());
  await server.createRepo('specs', { 'specs/spec.yaml': specYaml('remote', 'team-a'), 'specs/target.yaml': inClusterTarget('team-a') });
  const cwd = mkdtempSync(join(tmpdir(), 'kspec-cwd-'));
  const cache = mkdtempSync(join(tmpdir(), 'kspec-xdg-'));
  const env = { XDG_CACHE_HOME: cache, KSPEC_GIT_TOKEN: server.token, KSPEC_GIT_USERNAME: server.username };
  const validate = await kspec(['validate', server.repoUrl('specs')], { cwd, env });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /1 specifications/);
  const render = await kspec(['render', server.repoUrl('specs')], { cwd, env });
  assert.equal(render.code, 0, render.stderr);
  assert.deepEqual(readdirSync(cwd), [], 'nothing written to the current directory');
  assert.equal(readdirSync(join(cache, 'kspec', 'repos')).length, 1, 'one clone in the cache');
});

test('render --output-dir DIR: same-name specs and Policies of two namespaces go to distinct files; validate tells them apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-ns-'));
  const policyIn = (ns: string) => policyOf('Policy', 'shared', 'validate: {message: m, pattern: {metadata: {name: "?*"}}}', ns);
  writeFileSync(join(dir, 'targets.yaml'), `${inClusterTarget('team-a')}---\n${inClusterTarget('team-b')}`);
  writeFileSync(join(dir, 'a.yaml'), specYaml('web', 'team-a', policyIn('team-a')));
  writeFileSync(join(dir, 'b.yaml'), specYaml('web', 'team-b', policyIn('team-b')));
  const validate = await kspec(['validate', dir]);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /^2 specifications/m);
  const out = mkdtempSync(join(tmpdir(), 'kspec-out-'));
  const render = await kspec(['render', dir, '--output-dir', out]);
  assert.equal(render.code, 0, render.stderr);
  assert.ok(existsSync(join(out, 'team-a/web/policy-team-a_shared.yaml')));
  assert.ok(existsSync(join(out, 'team-b/web/policy-team-b_shared.yaml')));
  // The same Policy from both specs is a clash that render reports, as the pass would.
  writeFileSync(join(dir, 'b.yaml'), specYaml('web', 'team-b', policyIn('team-a')));
  const clash = await kspec(['render', dir]);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^a\.yaml:16: Policy\/team-a\/shared is also rendered by team-b\/web$/m);
  assert.match(clash.stderr, /^b\.yaml:16: Policy\/team-a\/shared is also rendered by team-a\/web$/m);
});

test('only validate rules render unless the operator allows more, by flag or environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-rules-'));
  writeFileSync(join(dir, 'target.yaml'), inClusterTarget('team-a'));
  writeFileSync(join(dir, 'spec.yaml'), specYaml('gen', 'team-a', policyOf('ClusterPolicy', 'gen', 'generate: {kind: ClusterRoleBinding, name: everyone-admin, data: {}}')));
  const refused = await kspec(['validate', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /kyvernoPolicy spec\.rules\[0\]\.generate: rule "rule" is a generate rule; kspec renders validate rules only/);
  assert.equal((await kspec(['validate', dir, '--allow-rule-types', 'generate'])).code, 0);
  assert.equal((await kspec(['validate', dir], { env: { KSPEC_ALLOW_RULE_TYPES: 'mutate,generate' } })).code, 0);
  const bad = await kspec(['validate', dir, '--allow-rule-types', 'everything']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--allow-rule-types takes a list of validate, mutate, generate, verifyImages/);
  const bounded = await kspec(['validate', dir, '--allow-rule-types', 'generate', '--allow-policy-namespaces', 'apps-*']);
  assert.equal(bounded.code, 0, 'a ClusterPolicy is not bounded by Policy namespaces');
});

test('control characters from the repository reach the terminal escaped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-ctl-'));
  writeFileSync(join(dir, 'evil\x1b[2J\x1b]0;owned\x07.yaml'), 'apiVersion: kspec.io/v1alpha1\nkind: "Cluster\x1b[31mTarget"\n');
  writeFileSync(join(dir, 'spec.yaml'), specYaml('ok', 'team-a').replace('severity: high', 'severity: "\x1b[8mhigh"'));
  const { code, stderr: err, stdout: out } = await kspec(['validate', dir]);
  assert.equal(code, 1);
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(err + out), JSON.stringify(err));
  assert.match(err, /evil\\x1b\[2J\\x1b\]0;owned\\x07\.yaml:2:1: kind: unknown kspec\.io kind "Cluster\\u001b\[31mTarget"/);
});

test('limit flags take sizes; a bad value is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-lim-'));
  const bad = await kspec(['validate', dir, '--max-file-bytes', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-file-bytes takes a size such as 4MiB, 500KB or 1048576, not "lots"/);
  writeFileSync(join(dir, 'many.yaml'), 'a: 1\n---\n'.repeat(20));
  const many = await kspec(['validate', dir], { env: { KSPEC_MAX_DOCUMENTS: '10' } });
  assert.match(many.stderr, /^many\.yaml:21:1 \(document 11\): more than 10 YAML documents in one file \(limit --max-documents\)$/m);
});

test('reconcile on the real API server: the good spec is enforced although other files are broken', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('hostile');
  const id = ns.slice(-8);
  const repo = hostileRepo(ns, id);
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'error' };
  const pass = await kspec(['reconcile', '--repo', repo, ...LIMIT, '-o', 'json'], { env });
  assert.equal(pass.code, 1, 'the broken files make the pass report failure');
  const result = JSON.parse(pass.stdout);
  const good = result.specs.find((s: { name?: string; spec?: string }) => JSON.stringify(s).includes(`good-${id}`));
  assert.equal(good?.phase, 'Active', pass.stdout);
  const live = await kubeRequest(cluster.endpoint, 'GET', `/apis/kyverno.io/v1/clusterpolicies/good-${id}`);
  assert.equal(live.status, 200, 'the good spec\'s policy is applied');
});

test('a fatal error naming a hostile path reaches the terminal escaped', async () => {
  const { code, stderr: err } = await kspec(['validate', '/nonexistent/\x1b]0;owned\x07']);
  assert.equal(code, 2);
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(err.replace(/\n$/, '')), JSON.stringify(err));
  assert.match(err, /\\x1b\]0;owned\\x07 does not exist/);
});
