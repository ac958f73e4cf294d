import { stringify } from 'yaml';
import { KINDS, customResourceDefinition } from './crds.ts';

const HEADER = '# Generated from src/api/schemas.ts by `npm run crds`. Do not edit by hand.\n';

/** The files of deploy/crds, by file name, exactly as `npm run crds` writes them. */
export function crdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of KINDS) {
    files.set(`kspec.io_${kind.plural}.yaml`, HEADER + stringify(customResourceDefinition(kind), { lineWidth: 0 }));
  }
  const resources = [...files.keys()].map((name) => `  - ${name}`).join('\n');
  files.set('kustomization.yaml', `${HEADER}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources}\n`);
  return files;
}
