// kube-apiserver failing under a pass, on a private control plane (the suite's shared one is never
// touched): killed with SIGKILL and restarted while a pass is acting, and paused with SIGSTOP for
// longer than the request timeout. The pass fails cleanly (it returns, each spec Failed with the
// stage that failed), the next pass converges, and every spec ends with exactly one
// ComplianceReport and one DriftReport of the latest commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { ClusterSpecification, ComplianceReport, DriftReport } from '../../src/api/types.ts';
import { KspecKubeConfig } from '../../src/cluster/kube-config.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import { createLogger } from '../../src/log.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { startControlPlane } from '../support/control-plane.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';

const NS = 'faults';
const CHECKS = ['a', 'b', 'c'];
const SPECS = ['one', 'two'];

test('kube-apiserver killed mid-pass, then paused past the request timeout: each pass fails cleanly, the next converges, no report lost or duplicated', { timeout: 600_000 }, async (t) => {
  const cp = await startControlPlane({ dir: mkdtempSync(join(tmpdir(), 'kspec-apifaults-')), bootstrap: true });
  t.after(() => cp.stop());
  const management = new KspecKubeConfig();
  management.loadFromFile(cp.kubeconfigPath);
  management.requestTimeoutMs = 2_000;
  const fixtures = new KubeConfig();
  fixtures.loadFromFile(cp.kubeconfigPath);
  const objects = KubernetesObjectApi.makeApiClient(fixtures);
  await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-apifaults-git-')) });
  t.after(() => git.stop());
  const specFile = (spec: string, version: string) =>
    specYaml(`${spec}`, NS, { mode: 'enforce', checks: Object.fromEntries(CHECKS.map((c) => [c, policyYaml(`${spec}-${c}`, { namespace: NS, message: `v${version}` })])) });
  const files = (version: string) => Object.fromEntries(SPECS.map((s) => [`specs/${s}.yaml`, specFile(s, version)]));
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(NS), ...files('1') });

  // A fault is set off from the pass's own log: at its first policy created or updated, it is mid-pass.
  let onFirstAction: (() => void) | undefined;
  const log = createLogger({
    level: 'debug',
    sink: (line) => {
      if (onFirstAction && ['created policy', 'reverted policy'].includes(JSON.parse(line).msg)) {
        const fire = onFirstAction;
        onFirstAction = undefined;
        fire();
      }
    },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-apifaults-cache-'));
  const pass = () => reconcilePass({ source: { repo: git.repoUrl('specs'), ref: 'main', cacheDir, token: git.token, username: git.username }, namespace: NS, management, dryRun: false, log, metrics });
  const store = new KspecStore(management);
  const converged = async (result: PassResult, version: string) => {
    assert.equal(result.ok, true, result.specs.flatMap((s) => s.errors).join('\n'));
    for (const spec of SPECS) {
      for (const check of CHECKS) {
        const live = (await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `${spec}-${check}` } })) as { spec?: { rules?: { validate?: { message?: string } }[] } };
        assert.equal(live.spec?.rules?.[0]?.validate?.message, `v${version}`, `${spec}-${check} is at version ${version}`);
      }
      assert.equal((await store.get<ClusterSpecification>('ClusterSpecification', NS, spec))?.status?.phase, 'Active');
    }
    // Reports are named for their spec and cluster: exactly one of each kind per spec, of this commit.
    for (const kind of ['ComplianceReport', 'DriftReport'] as const) {
      const reports = (await store.listAll<ComplianceReport | DriftReport>(kind)).filter((r) => r.metadata.namespace === NS);
      assert.deepEqual(reports.map((r) => r.metadata.name).sort(), SPECS.map((s) => `${s}-local`), `${kind}s`);
      for (const r of reports) assert.equal(r.spec.sourceCommit, result.commit, `${kind} ${r.metadata.name} is of the latest commit`);
    }
  };

  // 1. Killed while acting: the pass returns, failed, and names the stages it could not do. It is
  //    started again once the pass is over (while it is down, every call is refused at once).
  let crashed: Promise<void> | undefined;
  onFirstAction = () => (crashed = cp.killApiserver());
  const killed = await pass();
  assert.ok(crashed, 'the fault fired mid-pass');
  await crashed;
  assert.equal(killed.ok, false);
  assert.ok(killed.specs.some((s) => s.phase === 'Failed' && s.failedStage !== undefined), killed.specs.map((s) => s.errors.join('; ')).join('\n'));
  await cp.startApiserver();
  await converged(await pass(), '1');

  // 2. Paused (SIGSTOP) while acting on a new commit: every call gives up at the request timeout,
  //    so the pass returns although the server never answers; resumed only after that.
  await git.commit('specs', files('2'), 'Version 2');
  let paused = false;
  onFirstAction = () => {
    cp.pauseApiserver();
    paused = true;
  };
  const stalled = await pass();
  assert.ok(paused, 'the fault fired mid-pass');
  cp.resumeApiserver();
  assert.equal(stalled.ok, false);
  const errors = stalled.specs.flatMap((s) => s.errors).join('\n');
  assert.match(errors, /timeout|timed out|aborted/i, errors);
  await converged(await pass(), '2');
  assert.match(await metrics.registry.metrics(), /kspec_pass_errors_total\{stage="(publish|confirm|assess|observe|act)"\} [1-9]/);
});
