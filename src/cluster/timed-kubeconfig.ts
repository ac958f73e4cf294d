// Every API call kspec makes has a deadline. The Kubernetes client waits forever by default, so
// an API server that is paused, partitioned or stuck would hold a pass, and every pass after it.
// With a deadline the call fails like any other error: the pass marks what it could not do,
// ends, and the next pass tries again. Watches are not cut by it: they have their own
// inactivity timeout and are restarted by their owners.
import { KubeConfig } from '@kubernetes/client-node';
import type { RequestContext } from '@kubernetes/client-node';

import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-limiter.ts';

let defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;

/** Sets the deadline of the KubeConfigs made from now on (the --request-timeout flag). */
export function setKubeRequestTimeout(ms: number): void {
  defaultTimeoutMs = ms;
}

/** The deadline of calls made with `kc` (kspec's raw requests use it too). */
export function requestTimeoutOf(kc: KubeConfig): number {
  return kc instanceof TimedKubeConfig ? kc.requestTimeoutMs : defaultTimeoutMs;
}

/** A KubeConfig whose API calls give up after `requestTimeoutMs`. */
export class TimedKubeConfig extends KubeConfig {
  requestTimeoutMs = defaultTimeoutMs;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const deadline = AbortSignal.timeout(this.requestTimeoutMs);
    const given = context.getSignal();
    context.setSignal(given ? AbortSignal.any([given, deadline]) : deadline);
  }
}
