// The CLI's Git and GitHub wiring on real parts: `kspec reconcile --write-back commit` pushes
// reports to the git http-backend server, and `kspec plan --comment-on-pr` keeps one comment on
// a pull request of the OpenAPI-validating GitHub fake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';

const files = (ns: string, id: string) => ({
  'targets/local.yaml': `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: local, namespace: ${ns}}\nspec: {inCluster: true, version: "1.20"}\n`,
  'specs/spec.yaml': `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata: {name: wb-${id}, namespace: ${ns}}
spec:
  targetClusterRef: {name: local}
  enforcementMode: enforce
  policies:
    - id: labels
      title: Labels
      severity: medium
      checks:
        - id: app
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: wb-${id}}
            spec:
              rules:
                - name: app-label
                  match: {any: [{resources: {kinds: [Pod], namespaces: [${ns}]}}]}
                  validate: {message: app label, pattern: {metadata: {labels: {app: "?*"}}}}
`,
});

test('reconcile --write-back commit pushes reports to the reports branch once, and not again when nothing changed', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('wb');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-wb-')) });
  t.after(() => git.stop());
  await git.createRepo('specs', files(ns, id));
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_GIT_TOKEN: git.token, KSPEC_GIT_USERNAME: git.username, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error' };
  const args = ['reconcile', '--repo', git.repoUrl('specs'), '--branch', 'main', '--write-back', 'commit'];
  // More Pods without the label than a ComplianceReport keeps as examples (50).
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  const pods = Array.from({ length: 55 }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${String(i).padStart(2, '0')}`, namespace: ns }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } }) as KubernetesObject);
  for (let i = 0; i < pods.length; i += 11) await Promise.all(pods.slice(i, i + 11).map((p) => api.create(p)));
  const first = await cli(args, env);
  assert.equal(first.code, 0, first.err + first.out);
  assert.match(first.out, /reports committed to kspec-reports/);
  // Git holds every violation; the cluster's report the first 50 and the true total.
  const committed = parse((await git.readFile('specs', 'kspec-reports', `reports/local/wb-${id}/compliance.yaml`))!);
  assert.equal(committed.status.policyResults[0].violations.length, 55);
  const inCluster = (await api.read({ apiVersion: 'kspec.io/v1alpha1', kind: 'ComplianceReport', metadata: { name: `wb-${id}-local`, namespace: ns } })) as unknown as { status: { policyResults: { violations: unknown[]; violationTotal: number }[] } };
  assert.deepEqual([inCluster.status.policyResults[0].violations.length, inCluster.status.policyResults[0].violationTotal], [50, 55]);
  const readme = await git.readFile('specs', 'kspec-reports', `reports/local/wb-${id}/README.md`);
  assert.ok(readme?.includes(`wb-${id}`), 'the README names the spec');
  assert.ok(await git.readFile('specs', 'kspec-reports', `reports/local/wb-${id}/drift.yaml`));
  const head = await git.headSha('specs', 'kspec-reports');
  const log = await git.log('specs', 'kspec-reports');
  const sourceCommit = await git.headSha('specs', 'main');
  assert.ok(log[0].message.includes(sourceCommit.slice(0, 7)), `the message names the source commit: ${log[0].message}`);
  assert.ok(log[0].message.includes('local'), 'and the cluster');

  // Second pass: the drift is gone (it was fixed), so the reports change once more...
  await cli(args, env);
  const afterFix = await git.headSha('specs', 'kspec-reports');
  // ...and a third pass with the same results makes no commit: timestamps alone are no change.
  const third = await cli(args, env);
  assert.equal(third.code, 0, third.err);
  assert.equal(await git.headSha('specs', 'kspec-reports'), afterFix);
  assert.notEqual(afterFix, head);
  assert.equal(await git.headSha('specs', 'main'), (await git.log('specs', 'main'))[0].sha, 'the watched branch is untouched');
  assert.equal((await git.log('specs', 'main')).length, 1);
});

test('plan --comment-on-pr posts the plan once and updates it in place; every request matches GitHub\'s OpenAPI description', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('pr');
  const id = ns.slice(-8);
  const token = 'ghp_kspecPlanCommentToken0000000000000';
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token });
  t.after(() => fake.stop());
  fake.pulls.push({ number: 12, title: 'Add label policy', body: '', state: 'open', head: 'feature', base: 'main', draft: false, maintainer_can_modify: true, labels: [], created_at: '', updated_at: '', closed_at: null });
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-pr-')) });
  t.after(() => git.stop());
  await git.createRepo('specs', files(ns, id));
  const env = {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_GIT_TOKEN: git.token, KSPEC_GIT_USERNAME: git.username,
    KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error',
    GITHUB_TOKEN: token, KSPEC_GITHUB_REPOSITORY: 'acme/specs', KSPEC_GITHUB_API_URL: fake.baseUrl,
  };
  const args = ['plan', '--repo', git.repoUrl('specs'), '--comment-on-pr', '12'];
  const first = await cli(args, env);
  assert.equal(first.code, 1, first.err);
  assert.match(first.err, /plan comment created on pull request #12/);
  const second = await cli(args, env);
  assert.match(second.err, /plan comment unchanged on pull request #12/);
  assert.equal(fake.comments.length, 1);
  assert.match(fake.comments[0].body, new RegExp(`add.*wb-${id}`, 's'));
  assert.deepEqual(fake.invalidRequests, []);
  assert.ok(!first.out.includes(token) && !first.err.includes(token));
});

test('reconcile --write-back pull-request: a drift PR is opened, updated with an adopt edit of only the check\'s lines, and closed when the drift is gone', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('drpr');
  const id = ns.slice(-8);
  const token = `ghp_kspecDriftPr${id}000000000000000`;
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-drpr-')), username: 'x-access-token', token });
  t.after(() => git.stop());
  const spec = files(ns, id)['specs/spec.yaml'].replace('enforcementMode: enforce', 'enforcementMode: monitor   # reviewed weekly\n  remediation: report');
  await git.createRepo('specs', { ...files(ns, id), 'specs/spec.yaml': spec });
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token, branchExists: async (b) => b in (await git.branches('specs')) });
  t.after(() => fake.stop());
  const env = {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error',
    KSPEC_GIT_TOKEN: token, GITHUB_TOKEN: token, KSPEC_GITHUB_REPOSITORY: 'acme/specs', KSPEC_GITHUB_API_URL: fake.baseUrl,
  };
  const args = ['reconcile', '--repo', git.repoUrl('specs'), '--branch', 'main', '--write-back', 'pull-request', '--adopt'];
  const branch = `kspec/drift/local/wb-${id}`;

  // 1. Remediation report installs nothing: the policy is missing, and a PR says so.
  const first = await cli(args, env);
  assert.match(first.out, new RegExp(`drift pull request opened`), first.err);
  assert.equal(fake.pulls.length, 1);
  assert.equal(fake.pulls[0].head, branch);
  assert.match(fake.pulls[0].body ?? '', new RegExp(`wb-${id}`));

  // 2. Someone installs the policy by hand with another message: modified, and adopted into the PR.
  const { KubernetesObjectApi } = await import('@kubernetes/client-node');
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  const labels = { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `wb-${id}`, 'kspec.io/spec-namespace': ns, 'kspec.io/policy': 'labels', 'kspec.io/check': 'app', 'kspec.io/severity': 'medium' };
  const annotations = { 'kspec.io/policy-title': 'Labels', 'policies.kyverno.io/severity': 'medium' };
  const rules = (message: string) => [{ name: 'app-label', match: { any: [{ resources: { kinds: ['Pod'], namespaces: [ns] } }] }, validate: { message, pattern: { metadata: { labels: { app: '?*' } } } } }];
  await api.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `wb-${id}`, labels, annotations }, spec: { validationFailureAction: 'Audit', rules: rules('every Pod needs an app label') } } as never);
  const second = await cli(args, env);
  assert.match(second.out, /drift pull request updated/, second.err);
  assert.equal(fake.pulls.length, 1, 'the same PR, updated in place');
  const proposed = await git.readFile('specs', branch, 'specs/spec.yaml');
  const before = spec.split('\n');
  const after = (proposed ?? '').split('\n');
  const block = before.findIndex((line) => line.includes('kyvernoPolicy: |'));
  assert.deepEqual(after.slice(0, block + 1), before.slice(0, block + 1), 'everything up to the check\'s block is byte for byte the same');
  assert.ok(after.slice(block + 1).every((line) => line === '' || line.startsWith('            ')), `the edit stays inside the block:\n${proposed}`);
  assert.ok(proposed?.includes('every Pod needs an app label'), 'the live message is proposed');
  assert.ok(proposed?.includes('enforcementMode: monitor   # reviewed weekly'), 'comments elsewhere survive byte for byte');

  // 3. The live policy is put back as the spec says: the drift is gone and the PR is closed.
  await api.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `wb-${id}` }, spec: { rules: rules('app label') } } as never, undefined, undefined, 'fixer', undefined, 'application/merge-patch+json');
  const third = await cli(args, env);
  assert.match(third.out, /drift pull request closed/, third.err + third.out);
  assert.equal(fake.pulls[0].state, 'closed');
  assert.ok(fake.comments.some((c) => c.issue_number === fake.pulls[0].number), 'closed with a comment');
  assert.deepEqual(fake.invalidRequests, []);
});
