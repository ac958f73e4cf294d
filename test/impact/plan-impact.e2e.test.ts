// `kspec plan` tells what a commit does to the running workloads before it is merged: on the real
// API server, with live Pods, a real Git server and the OpenAPI-validating GitHub fake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { cli } from '../support/cli.ts';
import { testCluster } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';
import type { PolicyImpact } from '../../src/impact/policy-impact.ts';

/** A ClusterPolicy requiring the label team on the Pods of one namespace. */
const teamPolicy = (name: string, ns: string) => policyYaml(name, { namespace: ns, rule: 'need-team', message: 'label team is required' }).replace('app: "?*"', 'team: "?*"');

async function pods(cluster: TestCluster, ns: string, list: { name: string; labels: Record<string, string> }[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const { name, labels } of list) {
    await api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] } } as KubernetesObject);
  }
}

async function setup(t: { skip(message?: string): void; after(fn: () => Promise<void>): void }, prefix: string) {
  const cluster = await testCluster(t);
  if (!cluster) return undefined;
  const ns = await cluster.namespace(prefix);
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-impact-')) });
  t.after(() => git.stop());
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_GIT_TOKEN: git.token, KSPEC_GIT_USERNAME: git.username, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error' };
  return { cluster, ns, id, git, env, repo: git.repoUrl('specs') };
}

const impactOf = (json: string, spec: string): PolicyImpact[] => (JSON.parse(json) as { specs: { spec: string; impact?: PolicyImpact[] }[] }).specs.find((s) => s.spec === spec)?.impact ?? [];

test('a commit adding an Enforce policy that three live Pods violate: plan says it would deny those three, in JSON, in the table and in the PR comment', async (t) => {
  const s = await setup(t, 'impact');
  if (!s) return;
  const { cluster, ns, id, git, env } = s;
  const name = `imp-${id}`;
  await pods(cluster, ns, [
    { name: 'web', labels: { app: 'shop' } },
    { name: 'api', labels: { app: 'shop' } },
    { name: 'worker', labels: { app: 'shop' } },
    { name: 'owned', labels: { app: 'shop', team: 'payments' } },
  ]);
  // Reconciled as it is first: one policy every Pod already satisfies.
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), 'specs/spec.yaml': specYaml(name, ns, { mode: 'enforce', checks: { app: policyYaml(`app-${id}`, { namespace: ns }) } }) });
  const applied = await cli(['reconcile', '--once', '--repo', s.repo], env);
  assert.equal(applied.code, 0, applied.err + applied.out);

  // The pull request's commit adds a check requiring the label team.
  await git.commit('specs', { 'specs/spec.yaml': specYaml(name, ns, { mode: 'enforce', checks: { app: policyYaml(`app-${id}`, { namespace: ns }), team: teamPolicy(`team-${id}`, ns) } }) }, 'require a team label');
  const json = await cli(['plan', '--repo', s.repo, '-o', 'json'], env);
  assert.equal(json.code, 1, json.err);
  const impact = impactOf(json.out, name);
  assert.equal(impact.length, 1, 'only the added policy changes anything');
  const [team] = impact;
  assert.deepEqual({ policy: team.policy, change: team.change, mode: team.mode, violating: team.violating, wouldDeny: team.wouldDeny, noLongerReported: team.noLongerReported }, { policy: `team-${id}`, change: 'create', mode: 'enforce', violating: 3, wouldDeny: 3, noLongerReported: 0 });
  assert.deepEqual(team.examples.map((e) => `${e.kind} ${e.namespace}/${e.name}`), [`Pod ${ns}/api`, `Pod ${ns}/web`, `Pod ${ns}/worker`]);
  assert.match(team.examples[0].message, /label team is required/);

  const table = await cli(['plan', '--repo', s.repo], env);
  assert.match(table.out, new RegExp(`\\+ ClusterPolicy/team-${id}\\s+missing \\(create\\)\\s+would deny 3 of 3 violating`));
  for (const pod of ['api', 'web', 'worker']) assert.match(table.out, new RegExp(`denies Pod ${ns}/${pod}: need-team: .*label team is required`));
  assert.doesNotMatch(table.out, /owned/, 'the Pod with a team label is not named');

  const token = 'ghp_kspecImpactComment000000000000000';
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token });
  t.after(() => fake.stop());
  fake.pulls.push({ number: 7, title: 'Require team', body: '', state: 'open', head: 'team', base: 'main', draft: false, maintainer_can_modify: true, labels: [], created_at: '', updated_at: '', closed_at: null });
  const commented = await cli(['plan', '--repo', s.repo, '--comment-on-pr', '7'], { ...env, GITHUB_TOKEN: token, KSPEC_GITHUB_REPOSITORY: 'acme/specs', KSPEC_GITHUB_API_URL: fake.baseUrl });
  assert.match(commented.err, /plan comment created on pull request #7/);
  const body = fake.comments[0].body;
  assert.match(body, /### Impact on live resources/);
  assert.match(body, /would \*\*deny 3\*\* live resources/);
  assert.match(body, new RegExp(`\\| \`local\` \\| \`${name}\` \\| \`ClusterPolicy team-${id}\` \\| add \\| enforce \\| 3 \\| \\*\\*3\\*\\* \\| 0 \\|`));
  const folded = body.slice(body.indexOf('<details><summary>3 violating'), body.indexOf('</details>', body.indexOf('<details><summary>3 violating')));
  for (const pod of ['api', 'web', 'worker']) assert.ok(folded.includes(`${ns}/${pod}`), `${pod} is among the folded examples:\n${body}`);
  assert.deepEqual(fake.invalidRequests, []);
});

test('switching a clean monitor spec to enforce denies nothing; removing a policy says what it stops reporting', async (t) => {
  const s = await setup(t, 'promote');
  if (!s) return;
  const { cluster, ns, id, git, env } = s;
  const name = `mon-${id}`;
  await pods(cluster, ns, [{ name: 'a', labels: { app: 'x' } }, { name: 'b', labels: { app: 'y' } }]);
  const spec = (mode: string, checks: Record<string, string>) => ({ 'specs/spec.yaml': specYaml(name, ns, { mode, checks }) });
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), ...spec('monitor', { app: policyYaml(`app-${id}`, { namespace: ns }), team: teamPolicy(`team-${id}`, ns) }) });
  const applied = await cli(['reconcile', '--once', '--repo', s.repo], env);
  assert.equal(applied.code, 0, applied.err + applied.out);

  // monitor → enforce with only the policy every Pod satisfies left: it denies nothing, and the
  // removed team policy no longer reports the two Pods.
  await git.commit('specs', spec('enforce', { app: policyYaml(`app-${id}`, { namespace: ns }) }), 'enforce');
  const json = await cli(['plan', '--repo', s.repo, '-o', 'json'], env);
  const impact = impactOf(json.out, name);
  const app = impact.find((i) => i.policy === `app-${id}`)!;
  assert.deepEqual({ change: app.change, mode: app.mode, violating: app.violating, wouldDeny: app.wouldDeny }, { change: 'change', mode: 'enforce', violating: 0, wouldDeny: 0 });
  const team = impact.find((i) => i.policy === `team-${id}`)!;
  assert.deepEqual({ change: team.change, violating: team.violating, wouldDeny: team.wouldDeny, noLongerReported: team.noLongerReported }, { change: 'delete', violating: 0, wouldDeny: 0, noLongerReported: 2 });
  assert.deepEqual(team.noLongerReportedExamples?.map((e) => e.name), ['a', 'b']);
  const table = await cli(['plan', '--repo', s.repo], env);
  assert.match(table.out, new RegExp(`~ ClusterPolicy/app-${id}\\s+modified \\(revert\\)\\s+would deny 0: no live resource violates it`));
  assert.match(table.out, new RegExp(`- ClusterPolicy/team-${id}\\s+extra \\(delete\\)\\s+stops reporting 2`));
});
