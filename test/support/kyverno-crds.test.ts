// The Kyverno stand-in CRDs (deploy/kyverno-crds) against the suite's real API server: they
// install, and the server applies the same schema defaults a Kyverno 1.13 install applies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/control-plane.ts';
import { kubeRequest, KubeHttpError } from '../../scripts/lib/kube-http.ts';
import { serverSideApply } from '../../scripts/lib/kube-setup.ts';
import { testCluster, uniqueName } from './cluster.ts';

const CRD_DIR = path.join(REPO_ROOT, 'deploy', 'kyverno-crds');

function policy(kind: 'ClusterPolicy' | 'Policy', name: string, namespace?: string) {
  return {
    apiVersion: 'kyverno.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels: { 'app.kubernetes.io/managed-by': 'kspec' } },
    spec: {
      rules: [
        {
          name: 'require-team',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          context: [{ name: 'nss', apiCall: { urlPath: '/api/v1/namespaces', jmesPath: 'items | length(@)' } }],
          validate: {
            message: 'label team is required',
            pattern: { metadata: { labels: { team: '?*' } } },
          },
        },
        {
          name: 'signed',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [{ imageReferences: ['ghcr.io/example/*'], attestors: [{ entries: [{ keys: { publicKeys: 'k' } }] }] }],
        },
      ],
    },
  };
}

describe('deploy/kyverno-crds', () => {
  it('installs ClusterPolicy, Policy, PolicyReport and ClusterPolicyReport with their short names', async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    // Applying again is a no-op; the suite's bootstrap applied them already.
    await cluster.applyManifests(readdirSync(CRD_DIR).map((f) => path.join(CRD_DIR, f)));
    const want: Record<string, [string, boolean, string[]]> = {
      'kyverno.io/v1': ['ClusterPolicy', false, ['cpol']],
      'wgpolicyk8s.io/v1alpha2': ['PolicyReport', true, ['polr']],
    };
    for (const [gv, [kind, namespaced, short]] of Object.entries(want)) {
      const res: any = (await kubeRequest(cluster.endpoint, 'GET', `/apis/${gv}`)).json();
      const r: any = res.resources.find((x: any) => x.kind === kind);
      assert.ok(r, `${kind} served`);
      assert.equal(r.namespaced, namespaced);
      assert.deepEqual(r.shortNames, short);
    }
    const kyverno = (await kubeRequest(cluster.endpoint, 'GET', '/apis/kyverno.io/v1')).json();
    const pol = kyverno.resources.find((x: any) => x.kind === 'Policy');
    assert.equal(pol.namespaced, true);
    assert.deepEqual(pol.shortNames, ['pol']);
    assert.ok(kyverno.resources.some((x: any) => x.name === 'clusterpolicies/status'), 'status subresource');
    const wg = (await kubeRequest(cluster.endpoint, 'GET', '/apis/wgpolicyk8s.io/v1alpha2')).json();
    const cpolr = wg.resources.find((x: any) => x.kind === 'ClusterPolicyReport');
    assert.equal(cpolr.namespaced, false);
    assert.deepEqual(cpolr.shortNames, ['cpolr']);
  });

  it("serves Kyverno's ValidatingPolicy CRD at v1alpha1, v1beta1 and v1, with its defaults and enums", async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    for (const version of ['v1alpha1', 'v1beta1', 'v1']) {
      const res: any = (await kubeRequest(cluster.endpoint, 'GET', `/apis/policies.kyverno.io/${version}`)).json();
      const vpol = res.resources.find((x: any) => x.kind === 'ValidatingPolicy');
      assert.equal(vpol?.namespaced, false, version);
      assert.deepEqual(vpol?.shortNames, ['vpol']);
    }
    const name = uniqueName('vpol');
    const vpol = (validationActions: string[]) => ({
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ValidatingPolicy',
      metadata: { name },
      spec: {
        validationActions,
        evaluation: { background: {} },
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        validations: [{ expression: "object.metadata.name != 'x'", message: 'no x' }],
      },
    });
    try {
      const live = await serverSideApply(cluster.endpoint, vpol(['Deny']));
      assert.deepEqual(live.spec.validationActions, ['Deny']);
      assert.equal(live.spec.evaluation.background.enabled, true, 'the CRD defaults background.enabled');
      assert.deepEqual(live.spec.validations, [{ expression: "object.metadata.name != 'x'", message: 'no x' }]);
      const older: any = (await kubeRequest(cluster.endpoint, 'GET', `/apis/policies.kyverno.io/v1alpha1/validatingpolicies/${name}`)).json();
      assert.equal(older.apiVersion, 'policies.kyverno.io/v1alpha1');
      assert.deepEqual(older.spec.validations, live.spec.validations, 'every version serves the same object');
      await assert.rejects(serverSideApply(cluster.endpoint, vpol(['Block'])), (err: unknown) => err instanceof KubeHttpError && err.status === 422 && /validationActions/.test(err.message));
    } finally {
      await kubeRequest(cluster.endpoint, 'DELETE', `/apis/policies.kyverno.io/v1/validatingpolicies/${name}`, { allow: [404] });
    }
  });

  it('defaults a ClusterPolicy the way Kyverno 1.13 does and keeps rule internals', async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    const name = uniqueName('cpol');
    try {
      const live = await serverSideApply(cluster.endpoint, policy('ClusterPolicy', name));
      assert.equal(live.spec.background, true);
      assert.equal(live.spec.admission, true);
      assert.equal(live.spec.emitWarning, false);
      assert.equal(live.spec.validationFailureAction, 'Audit');
      const [validate, verify] = live.spec.rules;
      assert.equal(validate.skipBackgroundRequests, true);
      assert.equal(validate.validate.allowExistingViolations, true);
      assert.equal(validate.context[0].apiCall.method, 'GET');
      assert.deepEqual(validate.validate.pattern, { metadata: { labels: { team: '?*' } } });
      assert.equal(validate.validate.message, 'label team is required');
      assert.deepEqual(verify.verifyImages[0], {
        imageReferences: ['ghcr.io/example/*'],
        attestors: [{ entries: [{ keys: { publicKeys: 'k' } }] }],
        mutateDigest: true,
        required: true,
        useCache: true,
        verifyDigest: true,
      });
      assert.equal(verify.skipBackgroundRequests, true);
      assert.equal('validate' in verify, false, 'no defaults for absent blocks');
    } finally {
      await kubeRequest(cluster.endpoint, 'DELETE', `/apis/kyverno.io/v1/clusterpolicies/${name}`, { allow: [404] });
    }
  });

  it('keeps explicit values and validates the enums', async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    const ns = await cluster.namespace('pol');
    const p = policy('Policy', uniqueName('pol'), ns);
    const spec = p.spec as Record<string, unknown>;
    spec.background = false;
    spec.validationFailureAction = 'Enforce';
    const live = await serverSideApply(cluster.endpoint, p);
    assert.equal(live.spec.background, false);
    assert.equal(live.spec.validationFailureAction, 'Enforce');
    assert.equal(live.spec.admission, true);

    spec.validationFailureAction = 'Block';
    await assert.rejects(serverSideApply(cluster.endpoint, p), (err: unknown) => {
      assert.ok(err instanceof KubeHttpError);
      assert.equal(err.status, 422);
      assert.match(err.message, /validationFailureAction/);
      return true;
    });
    await kubeRequest(cluster.endpoint, 'DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('stores PolicyReport results and summaries and rejects unknown results', async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    const ns = await cluster.namespace('polr');
    const report = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: uniqueName('polr'), namespace: ns },
      scope: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: ns },
      summary: { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 },
      results: [
        {
          source: 'kyverno',
          policy: 'require-team',
          rule: 'require-team',
          result: 'fail',
          message: 'label team is required',
          scored: true,
          severity: 'medium',
          category: 'Best Practices',
          timestamp: { seconds: 1700000000, nanos: 0 },
          resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: ns, uid: 'u-1' }],
          properties: { process: 'background scan' },
        },
        { policy: 'require-team', rule: 'require-team', result: 'pass', resources: [{ kind: 'Pod', name: 'api', namespace: ns }] },
      ],
    };
    const live = await serverSideApply(cluster.endpoint, report);
    assert.deepEqual(live.results, report.results);
    assert.deepEqual(live.summary, report.summary);
    report.results[1].result = 'passed';
    await assert.rejects(serverSideApply(cluster.endpoint, report), /results\[1\]\.result|Unsupported value/);
    await kubeRequest(cluster.endpoint, 'DELETE', `/api/v1/namespaces/${ns}`);
  });
});
