import type { KubeConfig } from './kube-config.ts';
import { failedTo } from './api-error.ts';
import { kubeJson } from './http-get.ts';
import { TimeoutError, withTimeout } from '../util/with-timeout.ts';

export interface ProbeResult {
  /** gitVersion as the server reports it, e.g. v1.20.2. */
  serverVersion: string;
  /** Set when the ClusterTarget's expected version differs in major.minor (or patch, when given). */
  versionMismatch?: string;
}

/** Reaches the target's /version within `timeoutMs` and checks it against the expected version. */
export async function probeTarget(kc: KubeConfig, expected: string | undefined, timeoutMs: number): Promise<ProbeResult> {
  const server = kc.getCurrentCluster()?.server ?? 'the cluster';
  const info = await withTimeout(kubeJson<{ gitVersion: string }>(kc, '/version'), timeoutMs, `reaching ${server}`).catch((err) => {
    throw err instanceof TimeoutError ? err : failedTo('read /version', err);
  });
  return { serverVersion: info.gitVersion, ...versionCheck(expected, info.gitVersion) };
}

/** `1.28` matches any 1.28.x; `1.28.3` matches only 1.28.3. Build metadata (+k3s1, -eks) is ignored. */
export function versionCheck(expected: string | undefined, actual: string): { versionMismatch?: string } {
  if (!expected) return {};
  const parse = (v: string) => v.replace(/^v/, '').split(/[-+]/)[0].split('.').map(Number);
  const want = parse(expected);
  const have = parse(actual);
  const differs = want.some((part, i) => Number.isNaN(part) || part !== have[i]);
  return differs ? { versionMismatch: `the ClusterTarget expects Kubernetes ${expected}, the cluster runs ${actual}` } : {};
}
