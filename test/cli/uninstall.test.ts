// `kspec uninstall --policies delete|keep` on the real API server: the policies an installation
// put in place go or stay by the operator's choice, only that installation's (and only the named
// spec's), never while a kspec that would undo it still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { cli } from '../support/cli.ts';
import { testCluster, uniqueName, type TestCluster } from '../support/cluster.ts';
import { inClusterTarget, policyYaml, specYaml, startKspecRun, waitFor } from '../support/operator.ts';

type Policy = { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

/** A Git repository with one in-cluster target and the given specs, committed. */
function specRepo(ns: string, specs: Record<string, string[]>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-uninstall-'));
  mkdirSync(path.join(dir, 'specs'));
  writeFileSync(path.join(dir, 'specs/target.yaml'), inClusterTarget(ns));
  for (const [spec, policies] of Object.entries(specs)) {
    writeFileSync(path.join(dir, `specs/${spec}.yaml`), specYaml(spec, ns, { mode: 'monitor', checks: Object.fromEntries(policies.map((p) => [p, policyYaml(p, { namespace: ns })])) }));
  }
  for (const args of [['init', '-q', '-b', 'main'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'specs']]) execFileSync('git', args, { cwd: dir });
  return dir;
}

async function clusterPolicy(cluster: TestCluster, name: string): Promise<Policy | undefined> {
  try {
    return (await cluster.kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies', name })) as Policy;
  } catch {
    return undefined;
  }
}

/** Installs two specs of one installation (namespace ns) and a third spec of another installation. */
async function installed(cluster: TestCluster) {
  const ns = await cluster.namespace('uninst');
  const other = await cluster.namespace('uninst-other');
  const id = uniqueName('u');
  const names = { a1: `${id}-a1`, a2: `${id}-a2`, b1: `${id}-b1`, other: `${id}-other` };
  const repo = specRepo(ns, { [`${id}-a`]: [names.a1, names.a2], [`${id}-b`]: [names.b1] });
  const otherRepo = specRepo(other, { [`${id}-o`]: [names.other] });
  for (const [r, n] of [[repo, ns], [otherRepo, other]]) {
    const run = await cli(['reconcile', '--once', '--repo', r, '--kubeconfig', cluster.kubeconfigPath, '-n', n, '--cache-dir', mkdtempSync(path.join(tmpdir(), 'kspec-cache-'))]);
    assert.equal(run.code, 0, run.out + run.err);
  }
  for (const name of Object.values(names)) assert.ok(await clusterPolicy(cluster, name), `${name} installed`);
  return { ns, other, id, names, repo };
}

test('uninstall: --policies is required, and says what each choice does', async () => {
  const res = await cli(['uninstall']);
  assert.equal(res.code, 2);
  assert.match(res.err, /--policies is required: delete \(remove the Kyverno policies kspec installed\) or keep \(leave them in place, no longer managed by kspec\)/);
  const bad = await cli(['uninstall', '--policies', 'maybe']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--policies must be delete or keep, not "maybe"/);
});

test('uninstall --policies delete removes this installation\'s policies only; --dry-run changes nothing', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const { ns, names } = await installed(cluster);
  const args = ['uninstall', '--policies', 'delete', '--kubeconfig', cluster.kubeconfigPath, '-n', ns];

  const dry = await cli([...args, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /3 policies deleted \(dry run: nothing changed\)/);
  for (const name of [names.a1, names.a2, names.b1]) assert.ok(await clusterPolicy(cluster, name), `${name} still there after the dry run`);

  const res = await cli(args);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, new RegExp(`^local\\s+\\S+-a\\s+ClusterPolicy/${names.a1}\\s+deleted$`, 'm'));
  assert.match(res.out, /^3 policies deleted$/m);
  for (const name of [names.a1, names.a2, names.b1]) assert.equal(await clusterPolicy(cluster, name), undefined, `${name} deleted`);
  assert.ok(await clusterPolicy(cluster, names.other), "another installation's policy is untouched");
});

test('uninstall --policies keep --spec: that spec\'s policies stay, released from kspec, once the spec itself is gone', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const { ns, id, names } = await installed(cluster);
  const args = ['uninstall', '--policies', 'keep', '--spec', `${id}-a`, '--kubeconfig', cluster.kubeconfigPath, '-n', ns];

  const refused = await cli(args);
  assert.equal(refused.code, 2);
  assert.match(refused.err, new RegExp(`ClusterSpecification ${ns}/${id}-a still exists; kspec would undo this at its next pass`));
  assert.equal((await clusterPolicy(cluster, names.a1))!.metadata.labels!['app.kubernetes.io/managed-by'], 'kspec', 'nothing changed');

  await cluster.kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: 'kspec.io', version: 'v1alpha1', namespace: ns, plural: 'clusterspecifications', name: `${id}-a` });
  const res = await cli(args);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^2 policies kept and released from kspec$/m);
  for (const name of [names.a1, names.a2]) {
    const kept: Policy = (await clusterPolicy(cluster, name))!;
    assert.deepEqual(Object.keys(kept.metadata.labels ?? {}).filter((l) => l.startsWith('kspec.io/') || l === 'app.kubernetes.io/managed-by'), [], `${name} carries no kspec label`);
    assert.ok(kept.metadata.annotations?.['kspec.io/source-commit'], 'provenance annotations stay');
  }
  assert.equal((await clusterPolicy(cluster, names.b1))!.metadata.labels!['kspec.io/spec'], `${id}-b`, 'the other spec of the installation is untouched');
});

test('uninstall refuses while kspec still runs (it holds its Lease), and goes ahead once it stopped', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const { ns, names, repo } = await installed(cluster);
  const operator = await startKspecRun(t, ['--repo', repo, '--schedule', '0 0 1 1 *', '--leader-elect', '--cache-dir', mkdtempSync(path.join(tmpdir(), 'kspec-cache-'))], {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath,
    KSPEC_NAMESPACE: ns,
    POD_NAME: uniqueName('kspec'),
  });
  await waitFor('the operator to lead', 60_000, async () => (await operator.gauge('kspec_leader')) === 1);
  const args = ['uninstall', '--policies', 'delete', '--kubeconfig', cluster.kubeconfigPath, '-n', ns];

  const refused = await cli(args);
  assert.equal(refused.code, 2);
  assert.match(refused.err, new RegExp(`Lease ${ns}/kspec-leader is held by \\S+, renewed \\d+ s ago; kspec would undo this at its next pass`));
  assert.match(refused.err, new RegExp(`Stop kspec first: kubectl -n ${ns} scale deployment kspec --replicas=0`));
  assert.ok(await clusterPolicy(cluster, names.a1), 'nothing deleted');

  operator.child.kill('SIGTERM'); // a clean stop releases the Lease
  assert.equal(await operator.exited, 0);
  const res = await cli(args);
  assert.equal(res.code, 0, res.err);
  assert.equal(await clusterPolicy(cluster, names.a1), undefined);
});
