import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
}

/** An explicit file wins, then $KUBECONFIG / ~/.kube/config, then the in-cluster service account. */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  if (options.context) kc.setCurrentContext(options.context);
  return kc;
}
