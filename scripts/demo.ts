// The README's first command: a local control plane, examples/repo reconciled in both modes
// (production-security's policies installed in Enforce, platform-hygiene's in Audit), an
// out-of-band edit caught and reverted, and the kubectl commands to look at the results.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { up, REPO_ROOT } from './lib/control-plane.ts';
import { main } from '../src/cli/main.ts';

const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);

async function kspec(args: string[]): Promise<number> {
  process.stdout.write(`$ kspec ${args.join(' ')}\n`);
  return main(args);
}

say('Starting a local control plane (etcd + kube-apiserver, RBAC on)');
// Its own folder, which `npm run cluster:down -- --dir .kspec/demo` stops and removes (the control
// plane keeps running after the demo, for the commands it suggests).
const DEMO_DIR = path.join(REPO_ROOT, '.kspec', 'demo');
const cluster = await up({ dir: DEMO_DIR, log: (m) => process.stdout.write(`${m}\n`) });
process.env.KUBECONFIG = cluster.kubeconfigPath;
process.env.KSPEC_LOG_LEVEL ??= 'warn';

// The demo reads the examples from this checkout's HEAD commit, as kspec reads any Git repo.
const repo = ['--repo', REPO_ROOT, '--path', 'examples/repo'];

say('Deploying two workloads to assess: one that follows the specs, one that does not');
{
  const { KubernetesObjectApi, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const apply = (o: Record<string, unknown>) => api.patch(o as never, undefined, undefined, 'kspec-demo', true, 'application/apply-patch+yaml');
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await apply({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'checkout', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'checkout', team: 'payments' } },
    spec: {
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'app', image: 'registry.example.com/checkout:2.4.1', securityContext: { allowPrivilegeEscalation: false }, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } }],
    },
  });
  await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'legacy-cart', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'docker.io/library/nginx:latest' }] } });
  process.stdout.write('applied Namespace/shop, Pod shop/checkout (compliant), Pod shop/legacy-cart (not)\n');
}

say('1. Validate the specs repository');
await kspec(['validate', path.join(REPO_ROOT, 'examples/repo')]);

say('2. Plan: what kspec would do (exit 1 = drift, like kubectl diff)');
await kspec(['plan', ...repo]);

say('3. Reconcile once: production-security installs its policies in Enforce, platform-hygiene (monitor) in Audit');
await kspec(['reconcile', ...repo]);
const { KubernetesObjectApi, KubeConfig, PatchStrategy } = await import('@kubernetes/client-node');
const kc = new KubeConfig();
kc.loadFromFile(cluster.kubeconfigPath);
const api = KubernetesObjectApi.makeApiClient(kc);
await showFailureActions();

say('4. Someone weakens a policy out of band and deletes another');
const kubectl = (args: string[]) => {
  process.stdout.write(`$ kubectl ${args.join(' ')}\n`);
  try {
    process.stdout.write(execFileSync('kubectl', args, { encoding: 'utf8', env: process.env }));
  } catch {
    process.stdout.write('(kubectl is not installed here; kspec does the same through the API)\n');
  }
};
await api.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'require-run-as-non-root' }, spec: { validationFailureAction: 'Audit' } } as never, undefined, undefined, 'demo-user', undefined, PatchStrategy.MergePatch);
await api.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'disallow-latest-tag' } });
process.stdout.write('patched ClusterPolicy/require-run-as-non-root to Audit; deleted ClusterPolicy/disallow-latest-tag\n');

say('5. Plan shows the drift as a diff');
await kspec(['plan', ...repo]);

say('6. Reconcile reverts it');
await kspec(['reconcile', ...repo]);

say('7. Plan again: the cluster matches both specs (exit 0)');
process.stdout.write(`plan exited ${await kspec(['plan', ...repo])}\n`);

say('Look at the results');
kubectl(['get', 'clusterpolicies', '-l', 'app.kubernetes.io/managed-by=kspec']);
kubectl(['get', 'clusterspecifications,compliancereports,driftreports', '-n', 'kspec-system']);
process.stdout.write(`
Try it yourself:
  export KUBECONFIG=${cluster.kubeconfigPath}
  kubectl get cspec,creport,dreport -n kspec-system
  kubectl describe clusterspecification production-security -n kspec-system
  kubectl get driftreport platform-hygiene-local -n kspec-system -o yaml
  kubectl get compliancereport production-security-local -n kspec-system -o yaml
  kubectl get events -n kspec-system --field-selector involvedObject.kind=ClusterSpecification
  npx kspec plan --repo . --path examples/repo
Stop the control plane with: npm run cluster:down -- --dir .kspec/demo
`);

/** Every kspec-managed ClusterPolicy with its spec and Kyverno failure action. */
async function showFailureActions(): Promise<void> {
  const list = await api.list('kyverno.io/v1', 'ClusterPolicy', undefined, undefined, undefined, undefined, undefined, 'app.kubernetes.io/managed-by=kspec');
  const rows = list.items
    .map((p) => [p.metadata?.name ?? '', p.metadata?.labels?.['kspec.io/spec'] ?? '', String((p as { spec?: { validationFailureAction?: string } }).spec?.validationFailureAction)])
    .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map((r) => r[0].length), 6) + 2;
  process.stdout.write(`${'POLICY'.padEnd(width)}${'SPEC'.padEnd(22)}FAILURE ACTION\n`);
  for (const [name, spec, action] of rows) process.stdout.write(`${name.padEnd(width)}${spec.padEnd(22)}${action}\n`);
}
