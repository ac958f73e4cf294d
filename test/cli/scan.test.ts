// kspec scan: offline compliance of manifests against Kyverno policy files or a spec, in every
// output format, with exit codes and the terminal-only progress bar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { ProgressBar } from '../../src/cli/progress-bar.ts';
import type { ScanReport } from '../../src/compliance/offline-scan.ts';
import type { CommandIO } from '../../src/cli/command.ts';

const FIX = 'test/cli/fixtures/scan';

async function run(args: string[], extra: Partial<CommandIO> & { stderrIsTTY?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => { stdout += t; }, stderr: (t: string) => { stderr += t; }, env: {}, ...extra };
  const code = await main(['scan', ...args], io);
  return { code, stdout, stderr };
}

test('scan --policy: JSON results with file and line, exit 1 on failures', async () => {
  const { code, stdout, stderr } = await run(['--policy', `${FIX}/policies`, '-o', 'json', `${FIX}/manifests`]);
  assert.equal(code, 1, stderr);
  assert.equal(stderr, '', 'no progress bar when stderr is not a terminal');
  const report = JSON.parse(stdout) as ScanReport;
  // app.yaml: Pod good, Deployment web; list.yaml: ConfigMap settings, Pod listed.
  assert.equal(report.summary.resources, 4);
  assert.equal(report.summary.policies, 2);
  const failing = report.results.filter((r) => r.result === 'fail').map((r) => `${r.policy}/${r.rule} ${r.resource.kind}/${r.resource.name} ${r.file}:${r.line}`).sort();
  assert.deepEqual(failing, [
    `no-latest/autogen-tag Deployment/web ${FIX}/manifests/app.yaml:14`,
    `require-team/autogen-check-team Deployment/web ${FIX}/manifests/app.yaml:14`,
    `require-team/check-team Pod/listed ${FIX}/manifests/list.yaml:9`,
  ]);
  const good = report.results.filter((r) => r.resource.name === 'good');
  assert.ok(good.length === 2 && good.every((r) => r.result === 'pass' && r.line === 2));
  assert.equal(report.results.find((r) => r.policy === 'require-team')!.severity, 'high');
  assert.equal(report.results.find((r) => r.policy === 'no-latest')!.severity, 'low');
});

test('scan: exit 0 when everything passes; table and YAML outputs', async () => {
  const table = await run(['--policy', `${FIX}/policies/require-team.yaml`, `${FIX}/good.yaml`]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^1 resources, 2 policies: 2 passed, 0 failed, 0 warnings, 0 errors, 0 skipped\n$/);
  const failing = await run(['--policy', `${FIX}/policies`, `${FIX}/manifests`]);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /^RESULT\s+SEVERITY\s+POLICY\/RULE\s+RESOURCE\s+LOCATION\s+MESSAGE/);
  assert.match(failing.stdout, /FAIL\s+high\s+require-team\/check-team\s+shop\/Pod\/listed\s+test\/cli\/fixtures\/scan\/manifests\/list\.yaml:9/);
  const yaml = await run(['--policy', `${FIX}/policies`, '-o', 'yaml', `${FIX}/good.yaml`]);
  assert.equal((parseYaml(yaml.stdout) as ScanReport).summary.pass, 2);
});

test('scan --spec: the spec\'s rendered policies, with spec policy and check on each result', async () => {
  // The spec is in monitor mode: its policies audit, so only --fail-on any fails the run.
  const { code, stdout } = await run(['--spec', `${FIX}/spec`, '--fail-on', 'any', '-o', 'json', `${FIX}/manifests/list.yaml`, `${FIX}/good.yaml`]);
  assert.equal(code, 1);
  const report = JSON.parse(stdout) as ScanReport;
  const fail = report.results.filter((r) => r.result === 'fail');
  assert.equal(fail.length, 1);
  assert.deepEqual(
    { policy: fail[0].policy, spec: fail[0].spec, specPolicy: fail[0].specPolicy, check: fail[0].check, severity: fail[0].severity, name: fail[0].resource.name },
    { policy: 'shop-require-team', spec: 'shop-baseline', specPolicy: 'ownership', check: 'team-label', severity: 'critical', name: 'listed' },
  );
});

test('scan -o sarif: SARIF 2.1.0 for GitHub code scanning', async () => {
  const { code, stdout } = await run(['--policy', `${FIX}/policies`, '-o', 'sarif', `${FIX}/manifests`]);
  assert.equal(code, 1);
  const sarif = JSON.parse(stdout);
  assert.equal(sarif.version, '2.1.0');
  assert.match(sarif.$schema, /sarif-2\.1\.0/);
  assert.equal(sarif.runs.length, 1);
  const driver = sarif.runs[0].tool.driver;
  assert.equal(driver.name, 'kspec');
  const ruleIds = driver.rules.map((r: { id: string }) => r.id);
  assert.equal(new Set(ruleIds).size, ruleIds.length, 'rule ids are unique');
  const teamRule = driver.rules.find((r: { id: string }) => r.id === 'require-team/check-team');
  assert.equal(teamRule.shortDescription.text, 'label team is required');
  assert.equal(teamRule.defaultConfiguration.level, 'error');
  assert.equal(teamRule.properties['security-severity'], '7.5');
  const results = sarif.runs[0].results;
  assert.equal(results.length, 3, 'only failures are results');
  for (const r of results) {
    assert.equal(typeof r.ruleId, 'string');
    assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.ok(['error', 'warning', 'note'].includes(r.level));
    assert.equal(typeof r.message.text, 'string');
    const loc = r.locations[0].physicalLocation;
    assert.match(loc.artifactLocation.uri, /^test\/cli\/fixtures\/scan\/manifests\/(app|list)\.yaml$/);
    assert.equal(loc.artifactLocation.uriBaseId, '%SRCROOT%');
    assert.ok(Number.isInteger(loc.region.startLine) && loc.region.startLine >= 1);
  }
  const latest = results.find((r: { ruleId: string }) => r.ruleId === 'no-latest/autogen-tag');
  assert.equal(latest.level, 'warning', 'no-latest audits: its violations are warnings');
  assert.equal(results.find((r: { ruleId: string }) => r.ruleId === 'require-team/check-team').level, 'error', 'require-team enforces');
  assert.equal(latest.locations[0].physicalLocation.region.startLine, 14);
  assert.match(latest.message.text, /^shop\/Deployment\/web: /);
});

test('scan: usage and input errors exit 2', async () => {
  assert.equal((await run([`${FIX}/good.yaml`])).code, 2, 'no --spec or --policy');
  assert.equal((await run(['--policy', `${FIX}/policies`])).code, 2, 'no manifests');
  assert.equal((await run(['--policy', `${FIX}/policies`, '--spec', `${FIX}/spec`, `${FIX}/good.yaml`])).code, 2, 'both');
  const badFormat = await run(['--policy', `${FIX}/policies`, '-o', 'xml', `${FIX}/good.yaml`]);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--output must be table, json, yaml or sarif/);
  const missing = await run(['--policy', `${FIX}/policies`, `${FIX}/nope.yaml`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
  assert.equal((await run(['--policy', `${FIX}/manifests`, `${FIX}/good.yaml`])).code, 2, 'no policies in the policy path');
});

test('progress bar: drawn on a terminal, cleared at the end; silent otherwise', async () => {
  let out = '';
  const io: CommandIO & { stderrIsTTY: boolean } = { stdout: () => undefined, stderr: (t) => { out += t; }, env: {}, stderrIsTTY: true };
  const bar = new ProgressBar(io, 4, { delayMs: 0 });
  for (let i = 0; i < 4; i++) bar.tick();
  bar.done();
  assert.match(out, /\[#{30}\] 100% 4\/4 resources/);
  assert.ok(out.endsWith('\r\x1b[K'));
  // Through the command with a TTY stderr, a short scan draws nothing (it only appears after 500 ms).
  const quick = await run(['--policy', `${FIX}/policies`, `${FIX}/good.yaml`], { stderrIsTTY: true });
  assert.equal(quick.stderr, '');
});
