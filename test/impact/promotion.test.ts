// The pure parts of promotion: since when a report is clean, whether a spec has earned enforce,
// and the one-value edit of its file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePromotion, formatPeriod, parsePromoteAfter } from '../../src/promotion/promotion.ts';
import { withCleanSince } from '../../src/report/clean-since.ts';
import { switchToEnforce } from '../../src/writeback/promote-spec-file.ts';
import type { ComplianceReport, PolicyResult } from '../../src/api/types.ts';

const report = (timestamp: string, results: PolicyResult[], cleanSince?: string): ComplianceReport => ({
  apiVersion: 'kspec.io/v1alpha1',
  kind: 'ComplianceReport',
  metadata: { name: 's-c', namespace: 'n' },
  spec: { clusterRef: { name: 'c' }, specRef: { name: 's' }, timestamp, sourceCommit: 'abc123' },
  status: { totalPolicies: results.length, compliantPolicies: results.filter((r) => r.status === 'compliant').length, violationCount: results.reduce((n, r) => n + r.violations.length, 0), complianceScore: 0, policyResults: results, resourcesChecked: 4, source: 'engine', ...(cleanSince ? { cleanSince } : {}) },
});
const ok = (policyID: string): PolicyResult => ({ policyID, status: 'compliant', violations: [] });
const bad = (policyID: string): PolicyResult => ({ policyID, status: 'violation', violations: [{ namespace: 'shop', resource: 'Pod/web', message: 'no' }], violationTotal: 1 });

test('cleanSince starts with the first clean pass, is kept while clean, cleared by a violation, and restarts when the policies change', () => {
  const first = withCleanSince(report('2026-01-01T00:00:00Z', [ok('a')]), undefined);
  assert.equal(first.status?.cleanSince, '2026-01-01T00:00:00Z');
  const later = withCleanSince(report('2026-01-05T00:00:00Z', [ok('a')]), first);
  assert.equal(later.status?.cleanSince, '2026-01-01T00:00:00Z');
  const violated = withCleanSince(report('2026-01-06T00:00:00Z', [bad('a')]), later);
  assert.equal(violated.status?.cleanSince, undefined);
  assert.equal(withCleanSince(report('2026-01-07T00:00:00Z', [ok('a')]), violated).status?.cleanSince, '2026-01-07T00:00:00Z');
  assert.equal(withCleanSince(report('2026-01-08T00:00:00Z', [ok('a'), ok('b')]), later).status?.cleanSince, '2026-01-08T00:00:00Z', 'a new policy has only been clean since it came');
});

test('a promotion is proposed only for a monitor, auto, Git spec clean for the whole period; no assessment keeps things as they are', () => {
  const week = 7 * 24 * 3600 * 1000;
  const clean = report('2026-01-09T00:00:00Z', [ok('a')], '2026-01-01T00:00:00Z');
  const base = { mode: 'monitor' as const, remediation: 'auto' as const, specFile: 'specs/s.yaml', compliance: clean };
  const proposed = decidePromotion(base, week, new Date('2026-01-09T00:00:00Z'));
  assert.equal(proposed.action, 'propose');
  if (proposed.action === 'propose') assert.deepEqual([proposed.evidence.cleanSince, proposed.evidence.resourcesChecked, proposed.evidence.lastPass, proposed.evidence.sourceCommit], ['2026-01-01T00:00:00Z', 4, '2026-01-09T00:00:00Z', 'abc123']);
  assert.equal(decidePromotion(base, week, new Date('2026-01-07T23:59:59Z')).action, 'withdraw', 'one second short of a week');
  assert.equal(decidePromotion({ ...base, mode: 'enforce' }, week, new Date('2026-02-01T00:00:00Z')).action, 'withdraw');
  assert.equal(decidePromotion({ ...base, remediation: 'report' }, week, new Date('2026-02-01T00:00:00Z')).action, 'withdraw');
  assert.equal(decidePromotion({ ...base, specFile: undefined }, week, new Date('2026-02-01T00:00:00Z')).action, 'withdraw');
  assert.deepEqual(decidePromotion({ ...base, compliance: undefined }, week, new Date('2026-02-01T00:00:00Z')), { action: 'keep' });
  const violation = decidePromotion({ ...base, compliance: report('2026-01-09T00:00:00Z', [bad('a')]) }, week, new Date('2026-02-01T00:00:00Z'));
  assert.deepEqual(violation, { action: 'withdraw', reason: 'a violation appeared on 2026-01-09T00:00:00Z: a (1 violation, e.g. shop/Pod/web)' });
});

test('--promote-after takes days, hours, minutes and seconds, or never', () => {
  assert.equal(parsePromoteAfter('7d'), 7 * 24 * 3600 * 1000);
  assert.equal(parsePromoteAfter('1d12h'), 36 * 3600 * 1000);
  assert.equal(parsePromoteAfter('never'), undefined);
  assert.throws(() => parsePromoteAfter('7 days'), /--promote-after takes a duration/);
  assert.throws(() => parsePromoteAfter(''), /--promote-after/);
  assert.equal(formatPeriod(36 * 3600 * 1000), '36h');
  assert.equal(formatPeriod(7 * 24 * 3600 * 1000), '7d');
});

test('the promotion edit changes only the mode value, keeping its quotes, comments and the other documents', () => {
  const text = `# team file\n---\napiVersion: kspec.io/v1alpha1\nkind: ClusterSpecification\nmetadata: {name: other}\nspec:\n  enforcementMode: monitor\n---\napiVersion: kspec.io/v1alpha1\nkind: ClusterSpecification\nmetadata:\n  name: mine   # ours\nspec:\n  enforcementMode: "monitor"  # first audit\n  policies: []\n`;
  const edit = switchToEnforce(text, 'mine');
  assert.ok(edit.ok);
  if (edit.ok) assert.equal(edit.text, text.replace('enforcementMode: "monitor"', 'enforcementMode: "enforce"'));
  const done = switchToEnforce(text.replace('"monitor"', 'enforce'), 'mine');
  assert.deepEqual(done.ok ? undefined : done.alreadyEnforce, true);
  assert.match(switchToEnforce(text, 'nobody').ok ? '' : (switchToEnforce(text, 'nobody') as { reason: string }).reason, /no ClusterSpecification named nobody/);
  assert.match((switchToEnforce('a: [', 'mine') as { reason: string }).reason, /does not parse/);
});
