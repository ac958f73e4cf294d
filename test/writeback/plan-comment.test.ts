import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGitHubFake } from '../support/github-fake.ts';
import { createGitHub } from '../../src/writeback/github-client.ts';
import { upsertPlanComment, renderPlanComment, PLAN_MARKER } from '../../src/writeback/plan-comment.ts';
import type { PlanResult } from '../../src/writeback/plan-comment.ts';
import { DIFF } from './fixtures.ts';

const TOKEN = 'ghp_planTOKENplanTOKENplanTOKEN123';

const PLAN: PlanResult = {
  sourceCommit: 'feedfacefeedfacefeedfacefeedfacefeedface',
  changes: [
    { cluster: 'prod', spec: 'baseline', action: 'add', kind: 'ClusterPolicy', name: 'no-latest', policyID: 'images', checkID: 'no-latest' },
    { cluster: 'prod', spec: 'baseline', action: 'change', kind: 'ClusterPolicy', name: 'no-privileged', policyID: 'pods', checkID: 'no-privileged', diff: DIFF },
    { cluster: 'prod', spec: 'baseline', action: 'remove', kind: 'Policy', namespace: 'team-a', name: 'old' },
  ],
};

test('renderPlanComment: marker, counts, table, diffs; errors and the no-change case', () => {
  const md = renderPlanComment(PLAN);
  assert.ok(md.startsWith(PLAN_MARKER));
  assert.match(md, /\*\*add 1\*\*, \*\*change 1\*\* and \*\*remove 1\*\*/);
  assert.match(md, /\| ➖ remove \| `prod` \| `baseline` \|  \| `Policy team-a\/old` \|/);
  assert.match(md, /```diff\n--- desired/);
  const none = renderPlanComment({ changes: [], specs: [{ cluster: 'prod', spec: 'baseline' }], errors: [{ file: 'specs/x.yaml', message: 'line 3: bad' }] });
  assert.match(none, /No changes for `baseline` on `prod`/);
  assert.match(none, /1 error.*\n\n- `specs\/x.yaml`: line 3: bad/);
});

test('plan comment: one comment, found by its marker (past the first page) and updated in place', async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  fake.pulls.push({ number: 7, title: 'Tighten pods', body: '', state: 'open', head: 'feature', base: 'main', draft: false, maintainer_can_modify: true, labels: [], created_at: '', updated_at: '', closed_at: null });
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl });

  const first = await upsertPlanComment(gh, { pullNumber: 7, plan: PLAN });
  assert.equal(first.action, 'created');
  // Humans talk on the PR: the kspec comment ends up beyond the first page of comments.
  for (let i = 0; i < 120; i++) fake.comments.push({ id: 5000 + i, issue_number: 7, body: `human comment ${i}`, user: 'human', created_at: '', updated_at: '' });

  const second = await upsertPlanComment(gh, { pullNumber: 7, plan: { ...PLAN, changes: PLAN.changes.slice(0, 1) } });
  assert.equal(second.action, 'updated');
  assert.equal(second.commentId, first.commentId);
  const third = await upsertPlanComment(gh, { pullNumber: 7, plan: { ...PLAN, changes: PLAN.changes.slice(0, 1) } });
  assert.equal(third.action, 'unchanged');

  const mine = fake.comments.filter((c) => c.body.includes(PLAN_MARKER));
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.body, /\*\*add 1\*\*, \*\*change 0\*\*/);
  assert.equal(fake.comments.length, 121);
  assert.ok(fake.requests.some((r) => r.query.page === '2'), 'paginated through the comments');
  assert.deepEqual(fake.invalidRequests, []);
  assert.equal(fake.requests.filter((r) => r.operationId === 'issues/create-comment').length, 1);
});
