import type { KubeConfig } from '../cluster/kube-config.ts';
import { PolicyWatch } from '../cluster/policy-watch.ts';
import { API_VERSION } from '../api/types.ts';
import type { ClusterSpecification } from '../api/types.ts';
import type { Logger } from '../log.ts';
import { isMirror } from './applied-specs.ts';

/**
 * Watches the ClusterSpecifications applied to kspec's namespace of the management cluster, so a `kubectl apply`,
 * an edit or a delete is served at once rather than on the next tick. A spec whose status has
 * observed its generation needs nothing: that is what kspec's own status writes look like, and
 * waking on them would make every pass wake the next. Mirrors of Git specs are ignored too: Git
 * is their source.
 */
export class AppliedSpecWatch {
  private readonly watch: PolicyWatch;

  constructor(kc: KubeConfig, namespace: string, trigger: (reason: string) => void, log: Logger) {
    this.watch = new PolicyWatch({
      kc,
      labelSelector: '',
      kinds: [{ apiVersion: API_VERSION, kind: 'ClusterSpecification', namespace, path: `/apis/${API_VERSION}/namespaces/${namespace}/clusterspecifications` }],
      onChange: (change) => {
        const spec = change.object as unknown as ClusterSpecification;
        if (isMirror(spec)) return;
        if (change.type !== 'DELETED' && spec.status?.observedGeneration === spec.metadata.generation) return;
        trigger(`watch ${change.type.toLowerCase()} ClusterSpecification/${change.namespace}/${change.name}`);
      },
      onResync: (why) => trigger(`watch resync of ClusterSpecifications: ${why}`),
      log: log.child({ watch: 'ClusterSpecification' }),
    });
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }
}
