// Writes deploy/crds from the schemas in src/api (the single source of truth).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from '../src/api/crd-files.ts';

const dir = join(import.meta.dirname, '..', 'deploy', 'crds');
mkdirSync(dir, { recursive: true });
for (const [name, text] of crdFiles()) writeFileSync(join(dir, name), text);
console.log(`wrote ${crdFiles().size} files to deploy/crds`);
