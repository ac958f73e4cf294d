// kubectl for the deploy/ tests: `kubectl kustomize` renders the manifests as a user's kubectl
// would. The machine's kubectl comes first (a recent kustomize: components, labels); the suite
// does not install one, so tests that need it skip when there is none.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const KUBECTL = ['/usr/bin/kubectl', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'kubectl'))].find((p) => existsSync(p));

const run = promisify(execFile);

/** `kubectl kustomize DIR` as text. */
export async function kustomizeText(dir: string): Promise<string> {
  const { stdout } = await run(KUBECTL!, ['kustomize', dir], { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

/** `kubectl kustomize DIR` as objects. */
export async function kustomize(dir: string): Promise<Record<string, any>[]> {
  return parseAllDocuments(await kustomizeText(dir)).map((d) => d.toJS() as Record<string, any>);
}
