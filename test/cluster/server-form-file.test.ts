import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAVED_FORM_TTL_MS, ServerFormCache } from '../../src/cluster/server-form.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';

const desired = (name: string) => ({ object: { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name }, spec: { rules: [] } } as unknown as KyvernoPolicy }) as DesiredPolicy;

/** A stored-form source that counts its dry runs and adds a default, as the API server would. */
function server() {
  let dryRuns = 0;
  return {
    dryRuns: () => dryRuns,
    storedForm: async (policy: KyvernoPolicy) => {
      dryRuns++;
      return { ...policy, spec: { ...policy.spec, background: true } };
    },
  };
}

test('forms saved by one run are used by the next: an idle reconcile or plan makes no dry run', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kspec-forms-')), 'cache', 'server-forms.json');
  const first = server();
  const before = new ServerFormCache();
  await before.formsOf('https://a', first, [desired('p1'), desired('p2')]);
  assert.equal(first.dryRuns(), 2);
  before.save(file);

  const second = server();
  const forms = await ServerFormCache.load(file).formsOf('https://a', second, [desired('p1'), desired('p2')]);
  assert.equal(second.dryRuns(), 0);
  assert.deepEqual(forms.specs.get('ClusterPolicy/p1'), { rules: [], background: true });
  // Another cluster has its own forms.
  await ServerFormCache.load(file).formsOf('https://b', second, [desired('p1')]);
  assert.equal(second.dryRuns(), 1);
});

test('a form learned more than a day ago, or an unreadable file, is learned again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-forms-'));
  const file = join(dir, 'server-forms.json');
  let now = 1_000_000;
  const cache = new ServerFormCache({ now: () => now });
  await cache.formsOf('https://a', server(), [desired('p1')]);
  cache.save(file);
  now += SAVED_FORM_TTL_MS + 1;
  const later = server();
  await ServerFormCache.load(file, { now: () => now }).formsOf('https://a', later, [desired('p1')]);
  assert.equal(later.dryRuns(), 1);

  writeFileSync(file, '{not json');
  const broken = server();
  await ServerFormCache.load(file).formsOf('https://a', broken, [desired('p1')]);
  assert.equal(broken.dryRuns(), 1);
});
