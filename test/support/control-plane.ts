// A private, real control plane for one test file: etcd + kube-apiserver 1.20 on loopback, data
// under `dir`, processes tied to the test process (they die with it, and stop() waits for them).
// Most tests should share the suite's control plane instead (test/support/cluster.ts); start a
// private one only to test the control plane itself or something that needs a cluster alone.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startControlPlaneProcesses, bootstrapCluster } from '../../scripts/lib/control-plane.ts';
import { applyManifests, serviceAccountKubeconfig, type KubeObject } from '../../scripts/lib/kube-setup.ts';
import type { KubeEndpoint } from '../../scripts/lib/kube-http.ts';

export interface ControlPlane {
  /** Admin kubeconfig (group system:masters, CA pinned). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Server, CA and admin token, for raw HTTP calls. */
  endpoint: KubeEndpoint;
  /** Milliseconds from spawning etcd to kube-apiserver answering /readyz ok. */
  startupMs: number;
  /**
   * Creates the ServiceAccount (and namespace) if missing, gets a token for it through the
   * TokenRequest API and writes a kubeconfig for it. Returns the kubeconfig's path.
   */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Server-side applies the objects in these YAML files (CRDs are awaited until Established). */
  applyManifests(files: string[]): Promise<KubeObject[]>;
  /** Kills kube-apiserver (SIGKILL, as a crash); the SIGKILL is sent before this returns. */
  killApiserver(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it is ready. */
  startApiserver(): Promise<void>;
  /** SIGSTOP / SIGCONT to kube-apiserver: it keeps its connections and answers nothing meanwhile. */
  pauseApiserver(): void;
  resumeApiserver(): void;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  dir: string;
  etcdPort?: number;
  apiPort?: number;
  /** Also install deploy/crds, deploy/kyverno-crds and namespace kspec-system. */
  bootstrap?: boolean;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const running = await startControlPlaneProcesses({
    dir: opts.dir,
    etcdPort: opts.etcdPort,
    apiPort: opts.apiPort,
    detached: false,
  });
  try {
    if (opts.bootstrap) await bootstrapCluster(running.endpoint);
  } catch (err) {
    await running.stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    kubeconfigPath: running.kubeconfigPath,
    server: running.server,
    endpoint: running.endpoint,
    startupMs: running.startupMs,
    serviceAccountKubeconfig: (namespace, name) =>
      serviceAccountKubeconfig(
        running.endpoint,
        namespace,
        name,
        path.join(running.dir, 'sa', `${namespace}.${name}.${randomBytes(3).toString('hex')}.kubeconfig`),
      ),
    applyManifests: (files) => applyManifests(running.endpoint, files),
    killApiserver: () => running.killApiserver(),
    startApiserver: () => running.startApiserver(),
    pauseApiserver: () => running.apiserver.signal('SIGSTOP'),
    resumeApiserver: () => running.apiserver.signal('SIGCONT'),
    stop: () => (stopped ??= running.stop()),
  };
}
