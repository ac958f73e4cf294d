import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { reportFiles, resultsEqual, renderReadme, complianceDocument, fence, safeSegment } from '../../src/writeback/report-files.ts';
import { compliance, drift, driftEvent } from './fixtures.ts';

test('files: three files per cluster/spec, same content as the resources minus server metadata', () => {
  const c = compliance('prod', 'baseline');
  const d = drift('prod', 'baseline', [driftEvent('modified', 'pods', 'no-privileged'), driftEvent('missing', 'images', 'no-latest')]);
  const files = reportFiles({ cluster: 'prod', spec: 'baseline', compliance: c, drift: d });
  assert.deepEqual(files.map((f) => f.path), ['reports/prod/baseline/compliance.yaml', 'reports/prod/baseline/drift.yaml', 'reports/prod/baseline/README.md']);
  const cy = parse(files[0]!.content);
  assert.deepEqual(cy.status, { ...c.status, policyResults: [...c.status!.policyResults].sort((a, b) => a.policyID.localeCompare(b.policyID)) });
  assert.deepEqual(cy.spec, c.spec);
  assert.deepEqual(cy.metadata, { name: 'baseline-prod', namespace: 'kspec-system' });
  assert.deepEqual(Object.keys(cy), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const dy = parse(files[1]!.content);
  assert.equal(dy.status.driftEvents.length, 2);
  // Events are sorted (images before pods) whatever order they came in.
  assert.equal(dy.status.driftEvents[0].policyID, 'images');
  // The unified diff is a literal block, readable in the file.
  assert.match(files[1]!.content, /diff: \|/);
});

test('stable: the same reports in a different key/array order give the same bytes', () => {
  const c = compliance('prod', 'baseline', { timestamp: 't1' });
  const shuffled = JSON.parse(JSON.stringify(c));
  shuffled.status = Object.fromEntries(Object.entries(shuffled.status).reverse());
  shuffled.status.policyResults.reverse();
  shuffled.spec = Object.fromEntries(Object.entries(shuffled.spec).reverse());
  assert.equal(
    reportFiles({ cluster: 'prod', spec: 'baseline', compliance: c })[0]!.content,
    reportFiles({ cluster: 'prod', spec: 'baseline', compliance: shuffled })[0]!.content,
  );
});

test('resultsEqual ignores timestamps only', () => {
  const a = compliance('prod', 'baseline', { timestamp: '2026-01-01T00:00:00Z' });
  const b = compliance('prod', 'baseline', { timestamp: '2026-01-02T00:00:00Z' });
  assert.ok(resultsEqual(complianceDocument(a), complianceDocument(b)));
  const c = compliance('prod', 'baseline', { failing: ['pods'] });
  assert.ok(!resultsEqual(complianceDocument(a), complianceDocument(c)));
  const d1 = drift('prod', 'b', [driftEvent('extra', 'p', 'c', { detectedAt: '1' })], { timestamp: 'x' });
  const d2 = drift('prod', 'b', [driftEvent('extra', 'p', 'c', { detectedAt: '2' })], { timestamp: 'y' });
  assert.ok(resultsEqual(d1, d2));
  const d3 = drift('prod', 'b', [driftEvent('extra', 'p', 'c', { detectedAt: '2' })], { timestamp: 'y', sourceCommit: 'b'.repeat(40) });
  assert.ok(!resultsEqual(d1, d3), 'a new source commit is a change');
});

test('README: score, policy table with state, drift events with their diffs, source commit', () => {
  const md = renderReadme({
    cluster: 'prod', spec: 'baseline',
    compliance: compliance('prod', 'baseline', { sourceCommit: '0123456789abcdef0123456789abcdef01234567' }),
    drift: drift('prod', 'baseline', [driftEvent('modified', 'pods', 'no-privileged')]),
  });
  assert.match(md, /^# baseline on prod/);
  assert.match(md, /\*\*Compliance score: 66\.7%\*\* \(2 of 3 policies compliant, 1 violations\)/);
  assert.match(md, /\| `images` \| high \| ❌ violation \| 1 \| in sync \|/);
  assert.match(md, /\| `pods` \| high \| ✅ compliant \| 0 \| modified \|/);
  assert.match(md, /Source commit \| `0123456789ab`/);
  assert.match(md, /```diff\n--- desired\n\+\+\+ live\n/);
  // Pipes in messages do not break the table.
  assert.match(md, /image tag \\\| latest/);
});

test('fences grow past backticks in content; path segments cannot escape', () => {
  assert.equal(fence('a ``` b'), '````\na ``` b\n````');
  assert.equal(safeSegment('../etc'), '__etc');
  assert.equal(safeSegment('a/b'), 'a_b');
});
