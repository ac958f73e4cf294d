// The workload the compliance engine evaluates: Pods, Deployments and Services in ten namespaces
// (no scheduler or controllers run, so they stay as created). Some pass, some fail the policies.
// Services are headless: the local API server's service range holds only 254 addresses.
import { ensureNamespace } from '../../scripts/lib/kube-setup.ts';
import { kubeRequest, type KubeEndpoint } from '../../scripts/lib/kube-http.ts';
import { runLimited } from './drift.ts';

const NAMESPACES = 10;

function podSpec(i: number) {
  const hardened = i % 3 !== 0;
  return {
    containers: [
      {
        name: 'app',
        image: hardened ? `registry.example.com/app:1.${i % 50}` : 'nginx:latest',
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        ...(hardened ? { securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } } : {}),
      },
    ],
  };
}

/** Creates `count` objects: 70 % Pods, 20 % Deployments, 10 % Services. */
export async function createWorkload(ep: KubeEndpoint, count: number): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) await ensureNamespace(ep, `workload-${n}`);
  const jobs: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `workload-${i % NAMESPACES}`;
    const labels = { app: `app-${i % 100}` };
    const kind = i % 10 < 7 ? 'pod' : i % 10 < 9 ? 'deployment' : 'service';
    if (kind === 'pod') {
      jobs.push(() => kubeRequest(ep, 'POST', `/api/v1/namespaces/${ns}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, labels }, spec: podSpec(i) }, allow: [409] }));
    } else if (kind === 'deployment') {
      const body = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `deploy-${i}`, labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(i) } } };
      jobs.push(() => kubeRequest(ep, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body, allow: [409] }));
    } else {
      const body = { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, labels }, spec: { clusterIP: 'None', selector: labels, ports: [{ port: 80 }] } };
      jobs.push(() => kubeRequest(ep, 'POST', `/api/v1/namespaces/${ns}/services`, { body, allow: [409] }));
    }
  }
  await runLimited(jobs, 16);
}
