// Where a spec comes from, on the real API server: a ClusterSpecification applied with kubectl
// is served without a repository (and told it is not served by an installation that serves a
// repository), and a second repository cannot take over a spec another one manages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { testCluster } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import type { GitServer } from '../support/git-server.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import type { PassOptions, PassResult } from '../../src/reconcile/pass.ts';
import { createLogger } from '../../src/log.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import { main } from '../../src/cli/main.ts';
import type { ClusterSpecification, ComplianceReport, DriftReport } from '../../src/api/types.ts';

type Skippable = Parameters<typeof testCluster>[0] & { after(fn: () => Promise<void>): void };

interface Fixture {
  cluster: TestCluster;
  ns: string;
  id: string;
  objects: KubernetesObjectApi;
  store: KspecStore;
  git: GitServer;
  pass(opts?: Partial<PassOptions> & { repo?: string }): Promise<PassResult>;
  /** kubectl apply of a YAML document. */
  apply(yaml: string): Promise<void>;
  policy(name: string): Promise<(KubernetesObject & { spec: Record<string, unknown> }) | undefined>;
  events(name: string): Promise<string[]>;
}

async function setup(t: Skippable): Promise<Fixture | undefined> {
  const cluster = await testCluster(t);
  if (!cluster) return undefined;
  const ns = await cluster.namespace('src');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  return {
    cluster, ns, id, objects, git,
    store: new KspecStore(cluster.kc),
    pass: ({ repo, ...opts } = {}) =>
      reconcilePass({
        ...(repo ? { source: { repo: git.repoUrl(repo), ref: 'main', cacheDir, token: git.token, username: git.username } } : {}),
        namespace: ns,
        management: cluster.kc,
        dryRun: false,
        log: createLogger({ level: 'error' }),
        ...opts,
      }),
    apply: async (yaml) => {
      await objects.patch(parse(yaml) as KubernetesObject, undefined, undefined, 'kubectl', true, 'application/apply-patch+yaml');
    },
    policy: async (name) => {
      try {
        return (await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } })) as KubernetesObject & { spec: Record<string, unknown> };
      } catch {
        return undefined;
      }
    },
    events: async (name) => {
      const list = await cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns });
      return list.items.filter((e) => e.involvedObject.name === name).map((e) => `${e.type}/${e.reason}: ${e.message}`);
    },
  };
}

const outcome = (r: PassResult, name: string) => r.specs.find((s) => s.plan.name === name)!;
const ready = (spec: ClusterSpecification | undefined) => spec?.status?.conditions?.find((c) => c.type === 'Ready');

test('a ClusterSpecification applied with kubectl is served without a repository: policies, status, reports; an invalid one gets a clear status error and changes nothing', async (t) => {
  const f = await setup(t);
  if (!f) return;
  await f.apply(inClusterTarget(f.ns));
  await f.apply(specYaml(`kc-${f.id}`, f.ns, { mode: 'monitor', checks: { a: policyYaml(`kc-a-${f.id}`, { namespace: f.ns }) } }));

  const first = await f.pass();
  const served = outcome(first, `kc-${f.id}`);
  assert.equal(served.phase, 'Active', served.errors.join('\n'));
  assert.deepEqual(served.actions.map((a) => [a.drift.type, a.action]), [['missing', 'created']]);
  assert.equal((await f.policy(`kc-a-${f.id}`))?.spec.validationFailureAction, 'Audit');
  const spec = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `kc-${f.id}`);
  assert.equal(spec?.status?.phase, 'Active');
  assert.equal(ready(spec)?.status, 'True');
  assert.equal(spec?.status?.observedGeneration, spec?.metadata.generation);
  assert.equal(spec?.metadata.annotations?.['kspec.io/source'], undefined, 'kspec does not turn the applied object into a mirror');
  assert.equal(spec?.metadata.labels?.['app.kubernetes.io/managed-by'], undefined);
  assert.ok(await f.store.get<DriftReport>('DriftReport', f.ns, `kc-${f.id}-local`));
  assert.equal((await f.store.get<ComplianceReport>('ComplianceReport', f.ns, `kc-${f.id}-local`))?.status?.source, 'engine');

  // Its own desired state: an edit with kubectl is applied on the next pass, a removed check pruned.
  await f.apply(specYaml(`kc-${f.id}`, f.ns, { mode: 'enforce', checks: { b: policyYaml(`kc-b-${f.id}`, { namespace: f.ns }) } }));
  const edited = outcome(await f.pass(), `kc-${f.id}`);
  assert.deepEqual(edited.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]).sort(), [['extra', `kc-a-${f.id}`, 'deleted'], ['missing', `kc-b-${f.id}`, 'created']]);
  assert.equal((await f.policy(`kc-b-${f.id}`))?.spec.validationFailureAction, 'Enforce');

  // An invalid check: the spec fails with the object, field and reason, and nothing is touched
  // (there is no last good state to hold, and nothing may be pruned on a broken spec).
  await f.apply(specYaml(`kc-${f.id}`, f.ns, { mode: 'enforce', checks: { c: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}' } }));
  const broken = outcome(await f.pass(), `kc-${f.id}`);
  assert.equal(broken.phase, 'Failed');
  assert.deepEqual(broken.actions, []);
  assert.ok(await f.policy(`kc-b-${f.id}`), 'a broken spec prunes nothing');
  const failed = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `kc-${f.id}`);
  assert.equal(ready(failed)?.reason, 'InvalidSpec');
  assert.match(ready(failed)?.message ?? '', new RegExp(`^ClusterSpecification ${f.ns}/kc-${f.id}: spec\\.policies\\[0\\]\\.checks\\[0\\]\\.kyvernoPolicy: only kyverno\\.io/v1 ClusterPolicy or Policy`));
});

test('with a repository, a spec applied to the cluster is NotManaged (naming the repository) unless --cluster-specs serves it too', async (t) => {
  const f = await setup(t);
  if (!f) return;
  await f.git.createRepo(`repo-${f.id}`, {
    'targets/local.yaml': inClusterTarget(f.ns),
    'specs/git.yaml': specYaml(`git-${f.id}`, f.ns, { checks: { a: policyYaml(`git-a-${f.id}`, { namespace: f.ns }) } }),
  });
  await f.apply(specYaml(`kc-${f.id}`, f.ns, { checks: { b: policyYaml(`kc-b-${f.id}`, { namespace: f.ns }) } }));

  const result = await f.pass({ repo: `repo-${f.id}` });
  assert.equal(outcome(result, `git-${f.id}`).phase, 'Active');
  const refused = outcome(result, `kc-${f.id}`);
  assert.equal(refused.phase, 'Failed');
  assert.equal(await f.policy(`kc-b-${f.id}`), undefined, 'a spec that is not served gets no policies');
  const spec = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `kc-${f.id}`);
  assert.equal(ready(spec)?.reason, 'NotManaged');
  assert.match(ready(spec)?.message ?? '', new RegExp(`serves only ${f.git.repoUrl(`repo-${f.id}`).replace(/[.?]/g, '\\$&')}#: commit it there, or run kspec with --cluster-specs`));
  assert.equal(await f.store.get('DriftReport', f.ns, `kc-${f.id}-local`), undefined, 'no reports for a spec that is not served');
  // Said once, not on every pass.
  await f.pass({ repo: `repo-${f.id}` });
  assert.equal((await f.events(`kc-${f.id}`)).filter((e) => e.startsWith('Warning/NotManaged')).length, 1);

  const both = await f.pass({ repo: `repo-${f.id}`, serveAppliedSpecs: true });
  assert.equal(outcome(both, `kc-${f.id}`).phase, 'Active', outcome(both, `kc-${f.id}`).errors.join('\n'));
  assert.ok(await f.policy(`kc-b-${f.id}`));
  assert.ok(await f.policy(`git-a-${f.id}`));
  assert.equal(ready(await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `kc-${f.id}`))?.status, 'True');
});

test('a second repository cannot take over a spec another one manages, unless --take-over is given', async (t) => {
  const f = await setup(t);
  if (!f) return;
  const name = `shared-${f.id}`;
  await f.git.createRepo(`a-${f.id}`, { 'targets/local.yaml': inClusterTarget(f.ns), 'specs/s.yaml': specYaml(name, f.ns, { checks: { a: policyYaml(`from-a-${f.id}`, { namespace: f.ns }) } }) });
  await f.git.createRepo(`b-${f.id}`, { 'targets/local.yaml': inClusterTarget(f.ns), 'specs/s.yaml': specYaml(name, f.ns, { checks: { b: policyYaml(`from-b-${f.id}`, { namespace: f.ns }) } }) });
  const a = await f.pass({ repo: `a-${f.id}` });
  assert.equal(outcome(a, name).phase, 'Active');
  const sourceA = (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name))?.metadata.annotations?.['kspec.io/source'];
  assert.match(sourceA ?? '', new RegExp(`a-${f.id}`));
  const reportA = await f.store.get<DriftReport>('DriftReport', f.ns, `${name}-local`);

  // B is refused: A's mirror, policies and reports stay as A left them; the spec says why.
  const env = { KSPEC_KUBECONFIG: f.cluster.kubeconfigPath, KSPEC_NAMESPACE: f.ns, KSPEC_GIT_TOKEN: f.git.token, KSPEC_GIT_USERNAME: f.git.username, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error' };
  let out = '';
  const code = await main(['reconcile', '--repo', f.git.repoUrl(`b-${f.id}`)], { stdout: (s) => void (out += s), stderr: (s) => void (out += s), env: { ...process.env, ...env } });
  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`specs/s\\.yaml defines ClusterSpecification ${f.ns}/${name}, which repository \\S*a-${f.id}\\.git# manages; \\S*b-${f.id}\\.git# does not take it over\\. .*--take-over`));
  assert.ok(await f.policy(`from-a-${f.id}`), 'A\'s policy is not pruned');
  assert.equal(await f.policy(`from-b-${f.id}`), undefined, 'B\'s policy is not applied');
  const refused = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name);
  assert.equal(refused?.metadata.annotations?.['kspec.io/source'], sourceA, 'the mirror still records A');
  assert.equal(refused?.spec.policies[0].checks[0].id, 'a');
  assert.equal(ready(refused)?.reason, 'SourceConflict');
  assert.equal(refused?.status?.sourceCommit, a.commit, 'A\'s commit stays in the status');
  assert.deepEqual((await f.store.get<DriftReport>('DriftReport', f.ns, `${name}-local`))?.spec, reportA?.spec, 'A\'s report is not overwritten');
  assert.equal((await f.events(name)).filter((e) => e.startsWith('Warning/SourceConflict')).length, 1);

  // A keeps serving it.
  assert.equal(outcome(await f.pass({ repo: `a-${f.id}` }), name).phase, 'Active');
  assert.equal(ready(await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name))?.status, 'True');

  // --take-over moves it to B: B's policy applied, A's pruned, and now A is the one refused.
  const taken = outcome(await f.pass({ repo: `b-${f.id}`, takeOver: true }), name);
  assert.equal(taken.phase, 'Active', taken.errors.join('\n'));
  assert.ok(await f.policy(`from-b-${f.id}`));
  assert.equal(await f.policy(`from-a-${f.id}`), undefined);
  assert.match((await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name))?.metadata.annotations?.['kspec.io/source'] ?? '', new RegExp(`b-${f.id}`));
  assert.equal((await f.events(name)).filter((e) => e.startsWith('Normal/SourceTakenOver')).length, 1);
  const back = outcome(await f.pass({ repo: `a-${f.id}` }), name);
  assert.equal(back.plan.refusal?.reason, 'SourceConflict');
  assert.ok(await f.policy(`from-b-${f.id}`), 'A does not undo the take-over');

  // A spec applied with kubectl is refused to a repository the same way.
  await f.apply(specYaml(`kc-${f.id}`, f.ns, { checks: { c: policyYaml(`kc-c-${f.id}`, { namespace: f.ns }) } }));
  await f.git.commit(`b-${f.id}`, { 'specs/kc.yaml': specYaml(`kc-${f.id}`, f.ns, { checks: { d: policyYaml(`kc-d-${f.id}`, { namespace: f.ns }) } }) }, 'Claim the applied spec');
  const claimed = outcome(await f.pass({ repo: `b-${f.id}` }), `kc-${f.id}`);
  assert.match(claimed.errors.join('\n'), /which the ClusterSpecification applied to the cluster \(kubectl, Argo CD or Flux: it has no kspec\.io\/source\) manages/);
  assert.equal(await f.policy(`kc-d-${f.id}`), undefined);
});
