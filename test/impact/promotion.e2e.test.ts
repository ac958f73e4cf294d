// Promotion pull requests on real parts: passes on the real API server with a clock the test
// controls, write-back to a real Git server, pull requests on the OpenAPI-validating GitHub fake.
// A monitor spec clean for --promote-after gets one pull request switching it to enforce; the pull
// request follows the evidence, and closes when a violation appears. Nothing is switched by kspec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { inClusterTarget, specYaml } from '../support/operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import { writeBackToGit } from '../../src/reconcile/git-write-back.ts';
import { createGitHub } from '../../src/writeback/index.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import { createLogger } from '../../src/log.ts';
import type { ComplianceReport } from '../../src/api/types.ts';

const DAY = 24 * 3600 * 1000;
const START = Date.parse('2026-03-02T09:00:00.000Z');
const at = (days: number) => new Date(START + days * DAY);

/** A Policy (namespaced) requiring the label app on Pods: the engine lists only this namespace's Pods. */
const appPolicy = (name: string, ns: string) => `apiVersion: kyverno.io/v1
kind: Policy
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  rules:
    - name: need-app
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: label app is required
        pattern:
          metadata:
            labels:
              app: "?*"`;

test('a monitor spec clean for --promote-after gets one promotion pull request, updated as the evidence changes and closed when a violation appears', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('promo');
  const id = ns.slice(-8);
  const name = `mon-${id}`;
  const token = `ghp_kspecPromotion${id}0000000000000`;
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-promo-')), username: 'x-access-token', token });
  t.after(() => git.stop());
  // The team's own formatting and comments: the promotion must keep them byte for byte.
  const specText = `# Payments team policies: promoted to enforce once clean.\n${specYaml(name, ns, { mode: 'monitor', checks: { app: appPolicy(`app-${id}`, ns) } }).replace('enforcementMode: monitor', 'enforcementMode: monitor   # audit first')}`;
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), 'specs/payments.yaml': specText });
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token, branchExists: async (b) => b in (await git.branches('specs')) });
  t.after(() => fake.stop());
  const github = await createGitHub({ owner: 'acme', repo: 'specs', token, baseUrl: fake.baseUrl });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-promo-cache-'));
  const log = createLogger({ level: 'error' });
  const store = new KspecStore(cluster.kc);
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const pod = (podName: string, labels: Record<string, string>) => objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1' }] } } as KubernetesObject);
  const branch = `kspec/promote/local/${name}`;
  const mainHead = await git.headSha('specs', 'main');

  /** One pass at `now`, then write-back with the same clock; the promotion of this spec. */
  const passAt = async (now: Date) => {
    const result = await reconcilePass({ source: { repo: git.repoUrl('specs'), ref: 'main', cacheDir, token, username: 'x-access-token' }, namespace: ns, management: cluster.kc, dryRun: false, log, now: () => now });
    assert.ok(result.ok, result.specs.flatMap((s) => s.errors).join('\n'));
    const written = await writeBackToGit(result, { mode: 'pull-request', repo: git.repoUrl('specs'), baseBranch: 'main', reportsBranch: 'kspec-reports', cacheDir, author: { name: 'kspec', email: 'kspec@example.test' }, adopt: false, github, log, promoteAfterMs: 7 * DAY, now: () => now });
    assert.deepEqual(written?.errors, []);
    const report = await store.get<ComplianceReport>('ComplianceReport', ns, `${name}-local`);
    return { promotion: written!.promotions.find((p) => p.spec === name)!, report: report! };
  };
  const promotionPulls = () => fake.pulls.filter((p) => p.head === branch);

  await pod('web', { app: 'shop' });
  // Day 0: clean from now on; not long enough.
  const day0 = await passAt(at(0));
  assert.equal(day0.report.status?.cleanSince, at(0).toISOString());
  assert.equal(day0.promotion.action, 'none');
  // Day 3: still clean, and still clean since day 0.
  const day3 = await passAt(at(3));
  assert.equal(day3.report.status?.cleanSince, at(0).toISOString(), 'kept across passes while clean');
  assert.equal(day3.promotion.action, 'none');
  assert.deepEqual(promotionPulls(), []);

  // Day 8: clean for longer than 7d: one pull request, whose only change is the mode.
  const day8 = await passAt(at(8));
  assert.equal(day8.promotion.action, 'opened');
  assert.equal(promotionPulls().length, 1);
  const [pr] = promotionPulls();
  assert.equal(pr.base, 'main');
  assert.match(pr.body ?? '', new RegExp(`Clean since \\| ${at(0).toISOString()}`));
  assert.match(pr.body ?? '', /\| Resources checked \| 1 \(/);
  assert.match(pr.body ?? '', new RegExp(`\\| Last pass \\| ${at(8).toISOString()}`));
  const proposed = (await git.readFile('specs', branch, 'specs/payments.yaml'))!;
  const before = specText.split('\n');
  const after = proposed.split('\n');
  assert.equal(after.length, before.length);
  const changed = after.map((line, i) => [before[i], line]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [['  enforcementMode: monitor   # audit first', '  enforcementMode: enforce   # audit first']]);
  // Nothing is switched without a merge: main and the live policy are as they were.
  assert.equal(await git.headSha('specs', 'main'), mainHead);
  const live = await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'Policy', metadata: { name: `app-${id}`, namespace: ns } }) as KubernetesObject & { spec: { validationFailureAction?: string } };
  assert.equal(live.spec.validationFailureAction, 'Audit');

  // The same evidence an hour later: nothing to write. A new compliant Pod: the evidence changes.
  assert.equal((await passAt(new Date(at(8).getTime() + 3600_000))).promotion.action, 'unchanged');
  await pod('api', { app: 'shop' });
  const more = await passAt(new Date(at(8).getTime() + 2 * 3600_000));
  assert.equal(more.promotion.action, 'updated');
  assert.equal(promotionPulls().length, 1, 'the same pull request');
  assert.match(promotionPulls()[0].body ?? '', /\| Resources checked \| 2 \(/);

  // Day 9: a Pod without the label. The clean run is over and the pull request is closed, saying why.
  await pod('batch', {});
  const day9 = await passAt(at(9));
  assert.equal(day9.report.status?.cleanSince, undefined, 'cleared on a violation');
  assert.equal(day9.promotion.action, 'closed');
  assert.equal(promotionPulls()[0].state, 'closed');
  const closing = fake.comments.find((c) => c.issue_number === pr.number);
  assert.match(closing?.body ?? '', new RegExp(`violation appeared .*labels \\(1 violation, e\\.g\\. ${ns}/Pod/batch\\)`));
  assert.equal((await git.branches('specs'))[branch], undefined, 'the branch is deleted');
  assert.equal(await git.headSha('specs', 'main'), mainHead);
  assert.deepEqual(fake.invalidRequests, []);
});
