// deploy/settings is the one place an installation sets what it must (the image) or may (the specs
// repository). Checked the way a user meets it: an overlay that sets those entries, rendered by
// `kubectl kustomize`, must carry no placeholder left anywhere else in deploy/, and the API server
// must accept what it renders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { KUBECTL, kustomizeText } from '../support/kubectl.ts';
import { KUBECONFIG_ENV } from '../support/cluster.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SETTINGS = path.join(ROOT, 'deploy/settings/kustomization.yaml');
const run = promisify(execFile);
type Obj = Record<string, any>;

/** The image deploy/settings names (the placeholder an installation replaces). */
function settingsImage(): { name: string; newName: string; newTag: string } {
  const settings = parse(readFileSync(SETTINGS, 'utf8')) as { kind: string; images: { name: string; newName: string; newTag: string }[] };
  assert.equal(settings.kind, 'Component');
  assert.equal(settings.images.length, 1);
  return settings.images[0];
}

/**
 * An overlay as docs/install.md shows it, in a temporary folder outside the checkout. Paths are
 * relative to the repository root (kustomize takes only relative ones).
 */
function overlay(resources: string[], components: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-overlay-'));
  const placeholder = settingsImage();
  const from = (p: string) => path.relative(dir, path.join(ROOT, p));
  writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: ${JSON.stringify(resources.map(from))}
components: ${JSON.stringify(components.map(from))}
images:
  - name: ${placeholder.newName}
    newName: registry.test/platform/kspec
    newTag: 1.2.3
configMapGenerator:
  - name: kspec-config
    behavior: merge
    literals:
      - KSPEC_REPO=https://git.test/platform/policies.git
      - KSPEC_BRANCH=release
      - KSPEC_PATH=clusters/prod
`,
  );
  return dir;
}

const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const pods = (objs: Obj[]) => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.spec.template.spec);

describe('deploy/settings', { skip: KUBECTL ? false : 'kubectl not found' }, () => {
  test('the base renders the image named in deploy/settings, and serves applied specs until a repository is set', async () => {
    const placeholder = settingsImage();
    const objs = objects(await kustomizeText(path.join(ROOT, 'deploy')));
    const [pod] = pods(objs);
    assert.equal(pod.containers[0].image, `${placeholder.newName}:${placeholder.newTag}`);
    const config = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(config.data.KSPEC_REPO, undefined, 'no made-up repository: without one kspec serves the specs applied to its namespace');
  });

  for (const [what, resources, components] of [
    ['deploy/', ['deploy'], []],
    ['deploy/ with static shards', ['deploy'], ['deploy/components/static-shards', 'deploy/settings']],
  ] as const) {
    test(`an overlay that sets deploy/settings' entries leaves no placeholder: ${what}`, async () => {
      const dir = overlay([...resources], [...components]);
      try {
        const text = await kustomizeText(dir);
        const objs = objects(text);
        for (const pod of pods(objs)) assert.equal(pod.containers[0].image, 'registry.test/platform/kspec:1.2.3');
        assert.equal(pods(objs).length, 1);
        const config = objs.find((o) => o.kind === 'ConfigMap')!;
        assert.equal(config.data.KSPEC_REPO, 'https://git.test/platform/policies.git');
        assert.equal(config.data.KSPEC_BRANCH, 'release');
        assert.equal(config.data.KSPEC_PATH, 'clusters/prod');
        // Anything still naming example.* came from a file other than deploy/settings: a placeholder
        // the user would only find when the pod fails.
        const leftovers = text.split('\n').filter((l) => /\bexample\b/i.test(l));
        assert.deepEqual(leftovers, []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('the API server accepts everything deploy/ renders (server-side dry run)', { skip: process.env[KUBECONFIG_ENV] ? false : 'no control plane: run npm test' }, async () => {
    const dir = overlay(['deploy']);
    try {
      const rendered = path.join(dir, 'rendered.yaml');
      writeFileSync(rendered, await kustomizeText(dir));
      const { stdout } = await run(KUBECTL!, ['--kubeconfig', process.env[KUBECONFIG_ENV]!, 'apply', '--dry-run=server', '-f', rendered], { maxBuffer: 16 * 1024 * 1024 });
      for (const kind of ['deployment.apps/kspec', 'serviceaccount/kspec', 'clusterrole.rbac.authorization.k8s.io/kspec-manager', 'networkpolicy.networking.k8s.io/kspec']) {
        assert.match(stdout, new RegExp(`^${kind.replace(/\./g, '\\.')} \\w+ \\(server dry run\\)$`, 'm'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
