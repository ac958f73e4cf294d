// Ratchet: the upstream Kyverno CLI conformance cases for CEL policies (read from ../shared,
// never copied): ClusterPolicies with validate.cel rules and ValidatingPolicies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { runKyvernoTests } from '../../../src/engine/kyverno-test.ts';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const suiteDir = resolve(repoRoot, '../shared/kyverno-conformance-cel');
/** Raise this when the engine passes more; never lower it. */
const MIN_PASSED = 1917;

test('kyverno CEL conformance suite does not regress', { skip: existsSync(suiteDir) ? false : `conformance suite not found at ${suiteDir}` }, async () => {
  const report = await runKyvernoTests(suiteDir);
  const failures = report.files.flatMap((f) => f.mismatches.map((m) => `${f.file}: ${m.expected.policy}/${m.expected.rule} ${m.expected.kind}/${m.expected.resource} expected ${m.expected.result} got ${m.got}`));
  assert.ok(report.passed >= MIN_PASSED, `passed ${report.passed} < ${MIN_PASSED}\n${failures.slice(0, 20).join('\n')}`);
  assert.equal(report.failed, 0, failures.slice(0, 20).join('\n'));
});
