import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startGitServer, HUMAN } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { GitRepo } from '../../src/writeback/git-repo.ts';
import { createGitHub } from '../../src/writeback/github-client.ts';
import { writeBack } from '../../src/writeback/index.ts';
import type { SpecReports } from '../../src/writeback/index.ts';
import { compliance, drift, driftEvent, tempDir, memoryLogger, allFiles, KSPEC } from './fixtures.ts';

const SPEC_FILE = `# Baseline: reviewed by the platform team.
apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: baseline
spec:
  targetClusterRef: {name: prod}
  enforcementMode: monitor
  remediation: report   # report only
  policies:
    - id: pods
      title: Pods
      severity: high
      checks:
        - id: no-privileged
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata:
              name: no-privileged
            spec:
              validationFailureAction: Audit
              background: true

        # keep this comment
        - id: run-as-non-root
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata:
              name: run-as-non-root
`;

const LIVE = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-privileged
spec:
  validationFailureAction: Enforce
  background: true
`;

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const token = `ghp_${'x'.repeat(8)}${Math.random().toString(36).slice(2)}TOKEN`;
  const server = await startGitServer({ root: path.join(dir, 'srv'), username: 'x-access-token', token });
  t.after(() => server.stop());
  await server.createRepo('specs', { 'specs/baseline.yaml': SPEC_FILE });
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token, branchExists: async (b) => b in (await server.branches('specs')) });
  t.after(() => fake.stop());
  const mem = memoryLogger();
  const connect = async (cache: string) => {
    const github = await createGitHub({ owner: 'acme', repo: 'specs', token, baseUrl: fake.baseUrl, log: mem.logger });
    const repo = new GitRepo({ url: server.repoUrl('specs'), cacheDir: path.join(dir, cache), auth: () => github.gitCredentials(), author: KSPEC, log: mem.logger });
    return { github, repo };
  };
  return { dir, token, server, fake, mem, connect };
}

function reports(events: ReturnType<typeof driftEvent>[], extra: Partial<SpecReports> = {}): SpecReports[] {
  return [{
    cluster: 'prod', spec: 'baseline', enforcementMode: 'monitor', remediation: 'report',
    compliance: compliance('prod', 'baseline'),
    drift: drift('prod', 'baseline', events),
    specFile: { path: 'specs/baseline.yaml' },
    ...extra,
  }];
}

test('drift PR: opened once, updated in place, never duplicated after a restart, closed with a comment when the drift is gone', async (t) => {
  const { server, fake, mem, connect, token, dir } = await setup(t);
  let kspec = await connect('cache-1');
  const run = (events: ReturnType<typeof driftEvent>[], extra?: Partial<SpecReports>) =>
    writeBack({ mode: 'pull-request', reports: reports(events, extra), repo: kspec.repo, github: kspec.github, options: { baseBranch: 'main', log: mem.logger, prLabels: ['kspec-drift'] } });

  const e1 = [driftEvent('modified', 'pods', 'no-privileged'), driftEvent('missing', 'pods', 'run-as-non-root')];
  // GitHub pushes back on the first PR creation: kspec waits and retries, nothing is lost.
  fake.injectRateLimit({ kind: 'secondary', method: 'POST', path: '/repos/acme/specs/pulls', retryAfter: 1 });
  const r1 = await run(e1);
  assert.equal(fake.limited.length, 1);
  assert.deepEqual(r1.errors, []);
  assert.equal(r1.pullRequests[0]!.action, 'opened');
  assert.equal(fake.pulls.length, 1);
  const pr = fake.pulls[0]!;
  assert.equal(pr.head, 'kspec/drift/prod/baseline');
  assert.equal(pr.base, 'main');
  assert.deepEqual(pr.labels, ['kspec-drift']);
  assert.match(pr.title, /drift in baseline on prod \(2 policies\)/);
  assert.match(pr.body!, /Mode: monitor, remediation: report\.\*\* kspec only reports/);
  assert.match(pr.body!, /```diff\n--- desired/);
  assert.match(pr.body!, /\| modified \| `pods` \| `no-privileged` \|/);
  const branchSha = await server.headSha('specs', 'kspec/drift/prod/baseline');
  const [branchCommit] = await server.log('specs', 'kspec/drift/prod/baseline');
  assert.deepEqual(branchCommit!.parents, [await server.headSha('specs', 'main')]);
  assert.match(branchCommit!.message, /Cluster: prod/);
  assert.match((await server.readFile('specs', 'kspec/drift/prod/baseline', 'reports/prod/baseline/drift.yaml'))!, /type: modified/);

  // Same drift again (new timestamps): nothing is pushed or edited.
  const writesBefore = fake.requests.filter((r) => r.method !== 'GET').length;
  const r2 = await run([driftEvent('modified', 'pods', 'no-privileged'), driftEvent('missing', 'pods', 'run-as-non-root')]);
  assert.equal(r2.pullRequests[0]!.action, 'unchanged');
  assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, writesBefore);
  assert.equal(await server.headSha('specs', 'kspec/drift/prod/baseline'), branchSha);

  // More drift: the same PR is updated.
  const r3 = await run([...e1, driftEvent('extra', 'images', 'no-latest')]);
  assert.equal(r3.pullRequests[0]!.action, 'updated');
  assert.equal(fake.pulls.length, 1);
  assert.match(fake.pulls[0]!.title, /\(3 policies\)/);
  assert.match(fake.pulls[0]!.body!, /\| extra \| `images` \|/);
  assert.notEqual(await server.headSha('specs', 'kspec/drift/prod/baseline'), branchSha);

  // Restart: new process state (fresh cache, fresh client). The PR is found by its head branch.
  kspec = await connect('cache-2');
  const r3b = await run([driftEvent('modified', 'pods', 'no-privileged'), driftEvent('missing', 'pods', 'run-as-non-root'), driftEvent('extra', 'images', 'no-latest')]);
  assert.equal(r3b.pullRequests[0]!.action, 'unchanged');
  assert.equal(r3b.pullRequests[0]!.number, pr.number);
  const r4 = await run([driftEvent('modified', 'pods', 'no-privileged')]);
  assert.equal(r4.pullRequests[0]!.action, 'updated');
  assert.equal(r4.pullRequests[0]!.number, pr.number);
  assert.equal(fake.pulls.length, 1, 'no duplicate PR after a restart');

  // Drift fixed: comment, close, delete the owned branch.
  const r5 = await run([]);
  assert.equal(r5.pullRequests[0]!.action, 'closed');
  assert.equal(fake.pulls[0]!.state, 'closed');
  const closing = fake.comments.filter((c) => c.issue_number === pr.number);
  assert.equal(closing.length, 1);
  assert.match(closing[0]!.body, /drift is gone/);
  assert.ok(!('kspec/drift/prod/baseline' in (await server.branches('specs'))));
  const r6 = await run([]);
  assert.equal(r6.pullRequests[0]!.action, 'none');

  // Drift again later: a new PR (the old one is closed), still only one open.
  const r7 = await run(e1);
  assert.equal(r7.pullRequests[0]!.action, 'opened');
  assert.equal(fake.pulls.filter((p) => p.state === 'open').length, 1);

  assert.deepEqual(fake.invalidRequests, [], 'every request matched GitHub\'s OpenAPI description');
  // Never the token in logs, PR bodies, comments, commit messages or the cache clones.
  const texts = [...mem.lines, ...fake.pulls.map((p) => `${p.title}${p.body}`), ...fake.comments.map((c) => c.body),
    ...(await server.log('specs', 'kspec/drift/prod/baseline')).map((c) => c.message),
    ...(await allFiles(path.join(dir, 'cache-1'))).map((f) => f.text), ...(await allFiles(path.join(dir, 'cache-2'))).map((f) => f.text)];
  for (const s of texts) assert.ok(!s.includes(token));
});

test('adopt PR: a report-only spec gets the live version proposed, changing only the check lines', async (t) => {
  const { server, fake, connect, mem } = await setup(t);
  const kspec = await connect('cache');
  const r = await writeBack({
    mode: 'none',
    reports: reports([driftEvent('modified', 'pods', 'no-privileged')], {
      writeBack: 'pull-request',
      liveAdoptions: [
        { type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE },
        { type: 'extra', policyID: 'ghost', checkID: 'x', livePolicy: LIVE },
      ],
    }),
    repo: kspec.repo, github: kspec.github,
    options: { baseBranch: 'main', adopt: true, log: mem.logger },
  });
  assert.deepEqual(r.errors, []);
  assert.equal(r.pullRequests[0]!.action, 'opened');
  assert.equal(r.pullRequests[0]!.adopted, 1);
  assert.match(r.pullRequests[0]!.skippedAdoptions![0]!.reason, /policy ghost/);
  const proposed = (await server.readFile('specs', 'kspec/drift/prod/baseline', 'specs/baseline.yaml'))!;
  const a = SPEC_FILE.split('\n');
  const b = proposed.split('\n');
  assert.equal(a.length, b.length);
  const changed = a.map((l, i) => [l, b[i]] as const).filter(([x, y]) => x !== y);
  assert.deepEqual(changed, [['              validationFailureAction: Audit', '              validationFailureAction: Enforce']]);
  assert.match(fake.pulls[0]!.body!, /Adopt the live versions/);
  assert.match(fake.pulls[0]!.body!, /specs\/baseline\.yaml/);
  assert.equal(await server.readFile('specs', 'main', 'specs/baseline.yaml'), SPEC_FILE, 'the watched branch is untouched');

  // kspec remediates a spec with remediation auto (any enforcement mode): nothing to adopt.
  const enforce = await writeBack({
    mode: 'pull-request',
    reports: reports([driftEvent('modified', 'pods', 'no-privileged')], { enforcementMode: 'monitor', remediation: 'auto', liveAdoptions: [{ type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE }] }),
    repo: kspec.repo, github: kspec.github, options: { baseBranch: 'main', adopt: true },
  });
  assert.equal(enforce.pullRequests[0]!.adopted, 0);
  assert.equal(await server.readFile('specs', 'kspec/drift/prod/baseline', 'specs/baseline.yaml'), SPEC_FILE);
  assert.match(fake.pulls[0]!.body!, /Mode: monitor, remediation: auto\.\*\* kspec will restore the modified policies/);
  assert.deepEqual(fake.invalidRequests, []);
});

test('a kspec/ branch with a human commit on it is not force-pushed', async (t) => {
  const { server, fake, connect } = await setup(t);
  const kspec = await connect('cache');
  const run = (n: number) => writeBack({ mode: 'pull-request', reports: reports(Array.from({ length: n }, (_, i) => driftEvent('extra', 'p', `c${i}`))), repo: kspec.repo, github: kspec.github, options: { baseBranch: 'main' } });
  await run(1);
  const human = await server.commit('specs', { 'fix.txt': 'human fix\n' }, 'human fix on the drift branch', { branch: 'kspec/drift/prod/baseline', author: HUMAN });
  const r = await run(2);
  assert.match(r.pullRequests[0]!.note!, /commits not made by kspec/);
  assert.equal(await server.headSha('specs', 'kspec/drift/prod/baseline'), human, 'the human commit is still the head');
  assert.equal(fake.pulls.length, 1);
  assert.deepEqual(fake.invalidRequests, []);
});

test('force-with-lease: a human commit landing on the kspec/ branch during kspec\'s push is not overwritten', async (t) => {
  const { server, fake, connect, mem } = await setup(t);
  const kspec = await connect('cache');
  const run = (n: number) => writeBack({ mode: 'pull-request', reports: reports(Array.from({ length: n }, (_, i) => driftEvent('extra', 'p', `c${i}`))), repo: kspec.repo, github: kspec.github, options: { baseBranch: 'main', log: mem.logger } });
  await run(1);
  let human = '';
  server.beforeReceivePack = async () => {
    if (human) return;
    human = await server.commit('specs', { 'fix.txt': 'human fix\n' }, 'human fix on the drift branch', { branch: 'kspec/drift/prod/baseline', author: HUMAN });
  };
  const r = await run(2);
  assert.ok(human);
  assert.match(r.pullRequests[0]!.note ?? '', /commits not made by kspec/);
  assert.equal(await server.headSha('specs', 'kspec/drift/prod/baseline'), human);
  assert.ok(mem.lines.some((l) => /moved while updating/.test(l)));
  assert.deepEqual(fake.invalidRequests, []);
});
