// Ratchet: the upstream Kyverno CLI conformance suites (read from ../shared, never copied): the
// classic pattern policies, and the CEL ones (validate.cel rules and ValidatingPolicies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { runKyvernoTests } from '../../src/engine/kyverno-test.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Raise a minimum when the engine passes more; never lower it. */
const suites = [
  { name: 'kyverno conformance suite', dir: '../shared/kyverno-conformance', minPassed: 1018 },
  { name: 'kyverno CEL conformance suite', dir: '../shared/kyverno-conformance-cel', minPassed: 1917 },
];

for (const suite of suites) {
  const suiteDir = resolve(repoRoot, suite.dir);
  test(`${suite.name} does not regress`, { skip: existsSync(suiteDir) ? false : `conformance suite not found at ${suiteDir}` }, async () => {
    const report = await runKyvernoTests(suiteDir);
    const failures = report.files.flatMap((f) => f.mismatches.map((m) => `${f.file}: ${m.expected.policy}/${m.expected.rule} ${m.expected.kind}/${m.expected.resource} expected ${m.expected.result} got ${m.got}`));
    assert.ok(report.passed >= suite.minPassed, `passed ${report.passed} < ${suite.minPassed}\n${failures.slice(0, 20).join('\n')}`);
  });
}
