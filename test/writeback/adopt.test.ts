import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseAllDocuments } from 'yaml';
import { adoptIntoSpecFile, cleanLivePolicy } from '../../src/writeback/adopt.ts';

const SPEC = `# Baseline for every cluster.   (comment kept byte for byte)
apiVersion: kspec.io/v1alpha1
kind: ClusterTarget
metadata: {name: prod}
spec: {version: "1.29"}
---
apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: baseline    # the name
spec:
  targetClusterRef: { name: prod }
  enforcementMode: monitor
  policies:
    - id: pods
      title: "Pods"
      severity: high
      checks:
        - id: no-privileged
          title: no privileged
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata:
              name: no-privileged
            spec:
              rules: []
          # after the policy: kept
        - id: run-as-non-root
          kyvernoPolicy: |-
              apiVersion: kyverno.io/v1
              kind: ClusterPolicy
              metadata: {name: run-as-non-root}
    - id: images
      title: Images
      severity: medium
      checks:
        - id: no-latest
          kyvernoPolicy: 'apiVersion: kyverno.io/v1'
`;

const LIVE = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-privileged
spec:
  background: false
  rules: []
`;

function changedLines(a: string, b: string): { removed: string[]; added: string[] } {
  const la = a.split('\n');
  const lb = b.split('\n');
  let s = 0;
  while (s < la.length && la[s] === lb[s]) s++;
  let ea = la.length - 1;
  let eb = lb.length - 1;
  while (ea >= s && eb >= s && la[ea] === lb[eb]) { ea--; eb--; }
  return { removed: la.slice(s, ea + 1), added: lb.slice(s, eb + 1) };
}

function checkValue(text: string, policy: number, check: number): unknown {
  return parseAllDocuments(text)[1]!.getIn(['spec', 'policies', policy, 'checks', check, 'kyvernoPolicy']);
}

test('modified: only the lines of the check kyvernoPolicy change', () => {
  const r = adoptIntoSpecFile(SPEC, 'baseline', [{ type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE }]);
  assert.equal(r.applied.length, 1);
  assert.deepEqual(r.skipped, []);
  const { removed, added } = changedLines(SPEC, r.text);
  assert.deepEqual(removed, []);
  assert.deepEqual(added, ['              background: false']);
  assert.equal(checkValue(r.text, 0, 0), LIVE);
  // Everything before and after the block is byte-identical.
  const start = SPEC.indexOf('          kyvernoPolicy: |');
  assert.equal(r.text.slice(0, start), SPEC.slice(0, start));
  const tail = SPEC.slice(SPEC.indexOf('          # after the policy'));
  assert.ok(r.text.endsWith(tail));
});

test('modified: strip chomping and deeper indentation are kept', () => {
  const live = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: run-as-non-root, labels: {a: b}}\n';
  const r = adoptIntoSpecFile(SPEC, 'baseline', [{ type: 'modified', policyID: 'pods', checkID: 'run-as-non-root', livePolicy: live }]);
  const { removed, added } = changedLines(SPEC, r.text);
  assert.deepEqual(removed, ['              metadata: {name: run-as-non-root}']);
  assert.deepEqual(added, ['              metadata: {name: run-as-non-root, labels: {a: b}}']);
  assert.equal(checkValue(r.text, 0, 1), live.replace(/\n$/, ''));
});

test('modified: a quoted scalar becomes a literal block on the same key', () => {
  const r = adoptIntoSpecFile(SPEC, 'baseline', [{ type: 'modified', policyID: 'images', checkID: 'no-latest', livePolicy: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n' }]);
  assert.equal(checkValue(r.text, 1, 0), 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n');
  assert.ok(r.text.startsWith(SPEC.slice(0, SPEC.indexOf("          kyvernoPolicy: 'apiVersion"))));
});

test('extra: a new check is inserted after the policy checks, nothing else moves', () => {
  const live = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: host-path\n';
  const r = adoptIntoSpecFile(SPEC, 'baseline', [{ type: 'extra', policyID: 'pods', checkID: 'host-path', livePolicy: live }]);
  const { removed, added } = changedLines(SPEC, r.text);
  assert.deepEqual(removed, []);
  assert.deepEqual(added, [
    '        - id: host-path',
    '          kyvernoPolicy: |',
    '            apiVersion: kyverno.io/v1',
    '            kind: ClusterPolicy',
    '            metadata:',
    '              name: host-path',
  ]);
  assert.equal(checkValue(r.text, 0, 2), live);
});

test('both edits in one pass; unknown targets are skipped with reasons', () => {
  const r = adoptIntoSpecFile(SPEC, 'baseline', [
    { type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE },
    { type: 'extra', policyID: 'pods', checkID: 'host-path', livePolicy: 'kind: ClusterPolicy\n' },
    { type: 'modified', policyID: 'nope', checkID: 'x', livePolicy: LIVE },
    { type: 'extra', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE },
  ]);
  assert.equal(r.applied.length, 2);
  assert.equal(r.skipped.length, 2);
  assert.match(r.skipped[0]!.reason, /policy nope/);
  assert.match(r.skipped[1]!.reason, /already exists/);
  assert.equal(checkValue(r.text, 0, 0), LIVE);
  assert.equal(checkValue(r.text, 0, 2), 'kind: ClusterPolicy\n');
  assert.equal(parse(SPEC.split('---\n')[0]!).kind, 'ClusterTarget');
  assert.ok(r.text.startsWith(SPEC.split('---\n')[0]!));
});

test('no change when the spec already has the live version; other spec names are untouched', () => {
  const same = adoptIntoSpecFile(SPEC, 'baseline', [{ type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: checkValue(SPEC, 0, 0) as string }]);
  assert.equal(same.text, SPEC);
  assert.equal(same.applied.length, 0);
  const other = adoptIntoSpecFile(SPEC, 'other', [{ type: 'modified', policyID: 'pods', checkID: 'no-privileged', livePolicy: LIVE }]);
  assert.equal(other.text, SPEC);
  assert.match(other.skipped[0]!.reason, /no ClusterSpecification named other/);
});

test('cleanLivePolicy drops server metadata, status and kspec ownership labels', () => {
  const live = {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy',
    metadata: {
      name: 'x', uid: 'u', resourceVersion: '5', generation: 2, creationTimestamp: 't', managedFields: [],
      labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': 'baseline', team: 'a' },
      annotations: { 'kspec.io/source-commit': 'abc', 'policies.kyverno.io/severity': 'high' },
    },
    spec: { rules: [] }, status: { ready: true },
  };
  assert.deepEqual(cleanLivePolicy(live), { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'x', labels: { team: 'a' } }, spec: { rules: [] } });
  const kept = cleanLivePolicy(live, 'metadata:\n  annotations:\n    policies.kyverno.io/severity: high\n');
  assert.deepEqual((kept.metadata as any).annotations, { 'policies.kyverno.io/severity': 'high' });
});
