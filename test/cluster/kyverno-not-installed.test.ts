// Kyverno is a prerequisite. On a real API server without it (a private control plane with only
// kspec's CRDs), `plan` and `reconcile` say so plainly, per spec, and the spec's status carries
// the same words; with a Kyverno too old for ValidatingPolicies, only the specs that need them fail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig, CustomObjectsApi } from '@kubernetes/client-node';
import { KUBECONFIG_ENV } from '../support/cluster.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { kspec } from '../support/kspec-cli.ts';
import { ensureNamespace } from '../../scripts/lib/kube-setup.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const crds = (dir: string, prefix: string) =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.startsWith(prefix))
    .map((f) => path.join(ROOT, dir, f));

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

// A private control plane: the suite's shared one has Kyverno's CRDs installed.
describe('without Kyverno', { skip: process.env[KUBECONFIG_ENV] ? false : 'no control plane: run npm test' }, () => {
  let work: string;
  let cp: ControlPlane;
  let repo: string;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'kspec-no-kyverno-'));
    cp = await startControlPlane({ dir: path.join(work, 'cluster') });
    await cp.applyManifests(crds('deploy/crds', 'kspec.io_'));
    await ensureNamespace(cp.endpoint, 'kspec-system');
    repo = path.join(work, 'repo');
    cpSync(path.join(ROOT, 'examples/repo'), repo, { recursive: true });
    for (const args of [['init', '-q', '-b', 'main'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'specs']]) {
      execFileSync('git', args, { cwd: repo });
    }
  });

  after(async () => {
    await cp?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function readyCondition(name: string): Promise<Condition> {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const spec = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'kspec.io', version: 'v1alpha1', namespace: 'kspec-system', plural: 'clusterspecifications', name })) as { status?: { conditions?: Condition[] } };
    return spec.status!.conditions!.find((c) => c.type === 'Ready')!;
  }

  test('plan exits 2 and says Kyverno is not installed, for every spec', async () => {
    const plan = await kspec(['plan', '--repo', repo, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(plan.code, 2, plan.stderr);
    const lines = plan.stdout.split('\n').filter((l) => l.includes('Kyverno is not installed in this cluster'));
    assert.equal(lines.length, 3, plan.stdout);
    assert.match(lines[0], /the API server does not serve kyverno\.io\/v1 ClusterPolicy; install Kyverno first \(docs\/install\.md\)/);
    assert.doesNotMatch(plan.stdout, /404 page not found/);
  });

  test('reconcile fails each spec with the same message in its Ready condition', async () => {
    const reconcile = await kspec(['reconcile', '--once', '--repo', repo, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(reconcile.code, 1, reconcile.stderr);
    const ready = await readyCondition('production-security');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'ObserveFailed');
    assert.match(ready.message, /Kyverno is not installed in this cluster/);
  });

  test('with Kyverno too old for ValidatingPolicies, only the spec that needs them fails, saying which version serves them', async () => {
    await cp.applyManifests(crds('deploy/kyverno-crds', 'kyverno.io_'));
    const reconcile = await kspec(['reconcile', '--once', '--repo', repo, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(reconcile.code, 1, reconcile.stderr);
    assert.equal((await readyCondition('production-security')).status, 'True');
    const cel = await readyCondition('workload-baseline-cel');
    assert.equal(cel.status, 'False');
    assert.match(cel.message, /does not serve policies\.kyverno\.io\/v1 ValidatingPolicy: Kyverno is not installed or older than the version that serves it/);
  });
});
