// deploy/: every manifest parses, every kustomization lists exactly the files that exist, RBAC
// stays least-privilege, the Deployment is hardened, and `kubectl kustomize` renders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseShard } from '../../src/shard/static-shard.ts';
import { KUBECTL, kustomize } from '../support/kubectl.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = path.join(ROOT, 'deploy');

type Obj = Record<string, any>;

function docs(file: string): Obj[] {
  const parsed = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Obj[] = [];
  for (const d of parsed) {
    if (d.errors.length) throw new Error(`${path.relative(ROOT, file)}: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v as Obj);
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const yamlFiles = walk(DEPLOY).filter((f) => /\.ya?ml$/.test(f));
const kustomizations = yamlFiles.filter((f) => path.basename(f) === 'kustomization.yaml');

function one(file: string, kind: string): Obj {
  const found = docs(path.join(DEPLOY, file)).filter((d) => d.kind === kind);
  assert.equal(found.length, 1, `${file} holds one ${kind}`);
  return found[0];
}

describe('deploy manifests', () => {
  test('every YAML file parses and every object has apiVersion, kind and metadata.name', () => {
    assert.ok(yamlFiles.length > 10);
    for (const f of yamlFiles) {
      for (const d of docs(f)) {
        assert.ok(d.apiVersion, `${f}: apiVersion`);
        assert.ok(d.kind, `${f}: kind`);
        if (path.basename(f) !== 'kustomization.yaml') assert.ok(d.metadata?.name, `${f}: metadata.name`);
      }
    }
  });

  test('each kustomization lists exactly the manifest files and folders beside it', () => {
    for (const k of kustomizations) {
      const dir = path.dirname(k);
      const kz = docs(k)[0];
      const listed = new Set<string>();
      for (const r of [...(kz.resources ?? []), ...(kz.components ?? [])] as string[]) {
        const target = path.resolve(dir, r);
        assert.ok(existsSync(target), `${path.relative(ROOT, k)} lists ${r}, which does not exist`);
        listed.add(target);
      }
      for (const g of (kz.configMapGenerator ?? []) as Obj[]) {
        for (const f of (g.files ?? []) as string[]) {
          const file = f.includes('=') ? f.slice(f.indexOf('=') + 1) : f;
          assert.ok(existsSync(path.resolve(dir, file)), `${path.relative(ROOT, k)} generates from ${file}, which does not exist`);
          listed.add(path.resolve(dir, file));
        }
      }
      for (const p of (kz.patches ?? []) as Obj[]) if (p.path) listed.add(path.resolve(dir, p.path));
      // Files beside the kustomization: every manifest must be listed, directly or as a folder.
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (p === k) continue;
        const isDir = statSync(p).isDirectory();
        if (isDir && !existsSync(path.join(p, 'kustomization.yaml'))) continue;
        if (!isDir && !/\.(ya?ml|json)$/.test(name)) continue;
        // The base deliberately leaves out optional parts that need CRDs or other tools.
        if (dir === DEPLOY && ['monitoring', 'argocd', 'flux'].includes(name)) continue;
        assert.ok(listed.has(p), `${path.relative(ROOT, k)} does not list ${name}`);
      }
    }
  });

  test('the base includes crds, namespace, rbac and manager, and not monitoring', () => {
    const kz = docs(path.join(DEPLOY, 'kustomization.yaml'))[0];
    const res = (kz.resources as string[]).map((r) => r.replace(/\/$/, ''));
    for (const r of ['crds', 'namespace.yaml', 'rbac', 'manager']) assert.ok(res.includes(r), `base lists ${r}`);
    assert.ok(!res.includes('monitoring'));
  });

  test('RBAC: no wildcards; exact rights for kyverno, reports, kspec and the namespace Role', () => {
    const cr = one('rbac/cluster_role.yaml', 'ClusterRole');
    const role = one('rbac/role.yaml', 'Role');
    for (const rule of [...cr.rules, ...role.rules] as Obj[]) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) {
        for (const v of (rule[field] ?? []) as string[]) assert.ok(!v.includes('*'), `wildcard in ${field}: ${JSON.stringify(rule)}`);
      }
    }
    const verbsFor = (rules: Obj[], group: string, resource: string): Set<string> =>
      new Set(rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs as string[]));
    const write = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
    for (const res of ['clusterpolicies', 'policies']) assert.deepEqual([...verbsFor(cr.rules, 'kyverno.io', res)].sort(), [...write].sort());
    assert.deepEqual([...verbsFor(cr.rules, 'policies.kyverno.io', 'validatingpolicies')].sort(), [...write].sort());
    for (const [g, res] of [['wgpolicyk8s.io', 'policyreports'], ['wgpolicyk8s.io', 'clusterpolicyreports'], ['openreports.io', 'reports'], ['openreports.io', 'clusterreports']]) {
      assert.deepEqual([...verbsFor(cr.rules, g, res)].sort(), ['get', 'list', 'watch']);
    }
    for (const kind of ['clusterspecifications', 'clustertargets', 'compliancereports', 'driftreports']) {
      const v = verbsFor(cr.rules, 'kspec.io', kind);
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'update']) assert.ok(v.has(verb), `${kind} ${verb}`);
      const s = verbsFor(cr.rules, 'kspec.io', `${kind}/status`);
      for (const verb of ['get', 'patch', 'update']) assert.ok(s.has(verb), `${kind}/status ${verb}`);
    }
    // Specs removed from Git are retired (their mirror and reports deleted); targets never are.
    for (const kind of ['clusterspecifications', 'compliancereports', 'driftreports']) assert.ok(verbsFor(cr.rules, 'kspec.io', kind).has('delete'), `${kind} delete`);
    assert.ok(!verbsFor(cr.rules, 'kspec.io', 'clustertargets').has('delete'), 'targets are never deleted by kspec');
    assert.deepEqual([...verbsFor(cr.rules, '', 'events')].sort(), ['create', 'patch']);
    assert.deepEqual([...verbsFor(cr.rules, '', 'namespaces')].sort(), ['get', 'list', 'watch']);
    for (const [g, res] of [['', 'pods'], ['apps', 'deployments'], ['apps', 'daemonsets'], ['apps', 'statefulsets'], ['apps', 'replicasets'], ['batch', 'jobs'], ['batch', 'cronjobs'], ['', 'services'], ['networking.k8s.io', 'ingresses'], ['networking.k8s.io', 'networkpolicies']]) {
      assert.deepEqual([...verbsFor(cr.rules, g, res)].sort(), ['get', 'list', 'watch'], `${g}/${res} read-only`);
    }
    // Cluster-wide: no secrets, no configmaps.
    assert.equal(verbsFor(cr.rules, '', 'secrets').size, 0);
    assert.equal(verbsFor(cr.rules, '', 'configmaps').size, 0);
    // Namespaced Role: leases and secrets only.
    assert.equal(role.metadata.namespace, 'kspec-system');
    const leases = verbsFor(role.rules, 'coordination.k8s.io', 'leases');
    // Sharding names Leases after pods and targets, so the rights cannot be narrowed by name; still no watch.
    assert.deepEqual([...leases].sort(), ['create', 'delete', 'get', 'list', 'update']);
    assert.deepEqual([...verbsFor(role.rules, '', 'secrets')], ['get']);
    const sa = one('rbac/service_account.yaml', 'ServiceAccount');
    assert.equal(sa.metadata.name, 'kspec');
    assert.equal(sa.metadata.namespace, 'kspec-system');
    for (const [file, kind] of [['rbac/cluster_role_binding.yaml', 'ClusterRoleBinding'], ['rbac/role_binding.yaml', 'RoleBinding']]) {
      const b = one(file, kind);
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'kspec', namespace: 'kspec-system' }]);
    }
  });

  test('Deployment: 2 replicas, leader election, probes, restricted security context, cache volume, optional git token', () => {
    const d = one('manager/deployment.yaml', 'Deployment');
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'kspec');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    const c = pod.containers[0];
    assert.equal(c.args[0], 'run');
    assert.ok(c.args.includes('--leader-elect'));
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.deepEqual(c.ports.map((p: Obj) => [p.name, p.containerPort]), [['http-metrics', 8080]]);
    const sc = c.securityContext;
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.runAsNonRoot, true);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    assert.equal(sc.seccompProfile.type, 'RuntimeDefault');
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    const cacheMount = c.volumeMounts.find((m: Obj) => m.mountPath === '/var/cache/kspec');
    assert.ok(cacheMount);
    assert.ok(pod.volumes.find((v: Obj) => v.name === cacheMount.name).emptyDir);
    const token = c.env.find((e: Obj) => e.name === 'KSPEC_GIT_TOKEN');
    assert.deepEqual(token.valueFrom.secretKeyRef, { name: 'kspec-git', key: 'token', optional: true });
    assert.ok(pod.terminationGracePeriodSeconds >= 30);
  });

  test('Service exposes 8080 as http-metrics; NetworkPolicy opens only 8080 in, DNS and 443/6443 out', () => {
    const svc = one('manager/service.yaml', 'Service');
    assert.deepEqual(svc.spec.ports.map((p: Obj) => [p.name, p.port]), [['http-metrics', 8080]]);
    const np = one('manager/networkpolicy.yaml', 'NetworkPolicy');
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    const inPorts = (np.spec.ingress as Obj[]).flatMap((r) => r.ports.map((p: Obj) => p.port));
    assert.deepEqual([...new Set(inPorts)], [8080]);
    for (const r of np.spec.ingress as Obj[]) assert.ok(r.from?.length > 0, 'ingress restricted to sources');
    const outPorts = new Set((np.spec.egress as Obj[]).flatMap((r) => r.ports.map((p: Obj) => p.port)));
    assert.deepEqual([...outPorts].sort((a, b) => a - b), [53, 443, 6443]);
  });

  test('Argo CD and Flux examples have the expected kinds; the argocd-cm patch holds the same Lua as the file', () => {
    const cm = one('argocd/argocd-cm-patch.yaml', 'ConfigMap');
    assert.equal(cm.metadata.name, 'argocd-cm');
    const lua = cm.data['resource.customizations.health.kspec.io_ClusterSpecification'] as string;
    assert.equal(lua.trim(), readFileSync(path.join(DEPLOY, 'argocd/health-clusterspecification.lua'), 'utf8').trim());
    assert.equal(one('argocd/application.yaml', 'Application').apiVersion, 'argoproj.io/v1alpha1');
    assert.equal(one('flux/gitrepository.yaml', 'GitRepository').apiVersion, 'source.toolkit.fluxcd.io/v1');
    const ks = docs(path.join(DEPLOY, 'flux/kspec-kustomization.yaml'));
    assert.ok(ks.every((k) => k.kind === 'Kustomization' && k.apiVersion === 'kustomize.toolkit.fluxcd.io/v1'));
    assert.deepEqual(ks.map((k) => k.spec.path), ['./deploy', './deploy/monitoring']);
  });
});

describe('kubectl kustomize', () => {
  const render = kustomize;

  test('deploy/ renders: CRDs, namespace, RBAC, manager; everything namespaced lands in kspec-system', { skip: KUBECTL ? false : 'kubectl not found' }, async () => {
    const objs = await render(DEPLOY);
    const kinds = objs.map((o) => o.kind).sort();
    for (const k of ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'NetworkPolicy', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']) {
      assert.ok(kinds.includes(k), `renders a ${k}`);
    }
    assert.equal(objs.filter((o) => o.kind === 'CustomResourceDefinition').length, 4);
    assert.ok(!kinds.includes('ServiceMonitor') && !kinds.includes('PrometheusRule'), 'base needs no Prometheus Operator CRDs');
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
    for (const o of objs) {
      if (!clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, 'kspec-system', `${o.kind}/${o.metadata.name}`);
    }
    // The generated ConfigMap's hashed name is wired into the Deployment.
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    const dep = objs.find((o) => o.kind === 'Deployment')!;
    assert.equal(dep.spec.template.spec.containers[0].envFrom[0].configMapRef.name, cm.metadata.name);
    assert.match(dep.spec.template.spec.containers[0].image, /^ghcr\.io\/example\/kspec:/);
    // The base runs its replicas sharded: each reconciles its own share of the targets.
    assert.equal(cm.data.KSPEC_SHARDING, 'auto');
    assert.ok(dep.spec.template.spec.containers[0].args.includes('--leader-elect'), 'auto sharding holds targets through Leases');
  });

  test('examples/static-shards renders the base with a StatefulSet of 3 static shards in place of the Deployment', { skip: KUBECTL ? false : 'kubectl not found' }, async () => {
    const objs = await render(path.join(ROOT, 'examples/static-shards'));
    assert.ok(!objs.some((o) => o.kind === 'Deployment'), 'no Deployment');
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(cm.data.KSPEC_SHARDING, 'static');
    const shard = parseShard(cm.data.KSPEC_SHARD, `${sts.metadata.name}-${sts.spec.replicas - 1}`);
    assert.deepEqual(shard, { index: sts.spec.replicas - 1, count: sts.spec.replicas }, 'the last pod is the last shard: M matches the replicas');
    assert.equal(sts.spec.template.spec.containers[0].envFrom[0].configMapRef.name, cm.metadata.name);
    assert.ok(objs.some((o) => o.kind === 'Service' && o.metadata.name === sts.spec.serviceName), 'the governing Service exists');
    // The same pod as the base's Deployment, so the two do not drift apart.
    // (The generated ConfigMap's hashed name differs with its content: compare without it.)
    const base = (await render(DEPLOY)).find((o) => o.kind === 'Deployment')!;
    const unhashed = (template: Obj) => JSON.parse(JSON.stringify(template).replace(/kspec-config-[a-z0-9]+/g, 'kspec-config'));
    assert.deepEqual(unhashed(sts.spec.template), unhashed(base.spec.template));
    assert.ok(objs.some((o) => o.kind === 'Role'), 'RBAC comes with it');
  });

  test('deploy/monitoring renders on its own', { skip: KUBECTL ? false : 'kubectl not found' }, async () => {
    const objs = await render(path.join(DEPLOY, 'monitoring'));
    assert.deepEqual(objs.map((o) => o.kind).sort(), ['ConfigMap', 'PrometheusRule', 'ServiceMonitor']);
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    JSON.parse(cm.data['kspec-overview.json']);
  });
});
