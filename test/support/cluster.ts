// The suite's shared control plane. `npm test` (scripts/test.ts) starts one etcd + kube-apiserver
// for the whole run and passes its admin kubeconfig as KSPEC_TEST_KUBECONFIG; tests that need the
// API server call testCluster(t) and skip themselves when it is absent (npm run test:unit).
//
// Tests run in parallel against the same server: give every object a uniqueName() and keep to
// your own namespaces.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { endpointFromKubeconfig, type KubeEndpoint } from '../../scripts/lib/kube-http.ts';
import {
  applyManifests,
  ensureNamespace,
  serviceAccountKubeconfig,
  type KubeObject,
} from '../../scripts/lib/kube-setup.ts';

export const KUBECONFIG_ENV = 'KSPEC_TEST_KUBECONFIG';

/** The part of node:test's TestContext this helper needs. */
interface Skippable {
  skip(message?: string): void;
}

export interface TestCluster {
  /** Admin kubeconfig (group system:masters). */
  kubeconfigPath: string;
  kc: KubeConfig;
  /** Server, CA and admin token for raw HTTP calls. */
  endpoint: KubeEndpoint;
  /** A fresh namespace with a unique name (created now). */
  namespace(prefix?: string): Promise<string>;
  /** ServiceAccount kubeconfig through TokenRequest; the account has no rights until bound. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Server-side applies the objects in these YAML files. */
  applyManifests(files: string[]): Promise<KubeObject[]>;
}

/**
 * The shared control plane, or undefined after calling t.skip() when the suite runs without one.
 * Usage: `const cluster = await testCluster(t); if (!cluster) return;`
 */
export async function testCluster(t: Skippable): Promise<TestCluster | undefined> {
  const kubeconfigPath = process.env[KUBECONFIG_ENV];
  if (!kubeconfigPath) {
    t.skip('no control plane: run npm test');
    return undefined;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const endpoint = await endpointFromKubeconfig(kubeconfigPath);
  const saDir = path.join(tmpdir(), `kspec-test-sa-${process.pid}`);
  cleanUpOnExit(saDir);
  return {
    kubeconfigPath,
    kc,
    endpoint,
    async namespace(prefix = 'test') {
      const name = uniqueName(prefix);
      await ensureNamespace(endpoint, name);
      return name;
    },
    serviceAccountKubeconfig: (namespace, name) =>
      serviceAccountKubeconfig(endpoint, namespace, name, path.join(saDir, `${namespace}.${name}.${randomBytes(3).toString('hex')}.kubeconfig`)),
    applyManifests: (files) => applyManifests(endpoint, files),
  };
}

const cleanups = new Set<string>();
function cleanUpOnExit(dir: string): void {
  if (cleanups.size === 0) {
    process.on('exit', () => {
      for (const d of cleanups) rmSync(d, { recursive: true, force: true });
    });
  }
  cleanups.add(dir);
}

/**
 * A name that is unique across parallel test processes and valid as a Kubernetes name
 * (DNS-1123 label: lower case, digits and '-', at most 63 characters).
 */
export function uniqueName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50) || 'x';
  return `${clean}-${randomBytes(4).toString('hex')}`;
}
