// The PrometheusRule's alerts, checked and unit-tested by Prometheus's own promtool (Debian's
// prometheus package): each alert fires on the metric values it is meant for, and stays quiet on
// healthy ones. Skips when promtool is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');
const PROMTOOL = '/usr/bin/promtool';

async function promtool(t: { skip(message: string): void }, ...args: string[]): Promise<{ stdout: string; stderr: string } | undefined> {
  try {
    return await run(PROMTOOL, args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      t.skip('promtool is not installed (apt-get install prometheus)');
      return undefined;
    }
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`promtool ${args[0]} ${args[1]} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

function rulesFile(): string {
  const rule = parse(readFileSync(path.join(ROOT, 'deploy/monitoring/prometheusrule.yaml'), 'utf8'));
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-rules-'));
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, stringify({ groups: rule.spec.groups }));
  return file;
}

test('promtool accepts the alerting rules', async (t) => {
  await promtool(t, 'check', 'rules', rulesFile());
});

test('promtool unit tests: each alert fires on the values it is meant for, and not on healthy ones', async (t) => {
  const rules = rulesFile();
  const labels = 'cluster="prod",spec="baseline"';
  const tests = {
    rule_files: [rules],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          { series: `kspec_compliance_score{${labels}}`, values: '40x60' },
          { series: 'kspec_compliance_score{cluster="prod",spec="healthy"}', values: '100x60' },
          { series: `kspec_policies{${labels},state="missing"}`, values: '2x60' },
          { series: `kspec_policies{${labels},state="in_sync"}`, values: '5x60' },
          { series: 'kspec_last_successful_pass_timestamp_seconds', values: '0x60' },
          { series: 'kspec_git_fetch_failures_total', values: '0+1x60' },
        ],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'KspecComplianceScoreLow', exp_alerts: [] },
          {
            eval_time: '40m',
            alertname: 'KspecComplianceScoreLow',
            exp_alerts: [{ exp_labels: { severity: 'warning', cluster: 'prod', spec: 'baseline' }, exp_annotations: expectAnnotations('KspecComplianceScoreLow') }],
          },
          { eval_time: '40m', alertname: 'KspecComplianceScoreCritical', exp_alerts: [{ exp_labels: { severity: 'critical', cluster: 'prod', spec: 'baseline' }, exp_annotations: expectAnnotations('KspecComplianceScoreCritical') }] },
          { eval_time: '40m', alertname: 'KspecDriftPresent', exp_alerts: [{ exp_labels: { severity: 'warning', cluster: 'prod', spec: 'baseline' }, exp_annotations: expectAnnotations('KspecDriftPresent') }] },
          { eval_time: '50m', alertname: 'KspecNoSuccessfulPass', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: expectAnnotations('KspecNoSuccessfulPass') }] },
          { eval_time: '40m', alertname: 'KspecGitFetchFailing', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: expectAnnotations('KspecGitFetchFailing') }] },
        ],
      },
    ],
  };
  // promtool compares the whole set of firing alerts: the healthy spec must not appear.
  const file = path.join(path.dirname(rules), 'tests.yaml');
  writeFileSync(file, stringify(tests));
  const result = await promtool(t, 'test', 'rules', file);
  if (result) assert.match(result.stdout, /SUCCESS/);
});

/** The annotations as Prometheus renders the rule's templates for the series above. */
function expectAnnotations(alert: string): Record<string, string> {
  const expected: Record<string, Record<string, string>> = {
    KspecComplianceScoreLow: {
      summary: 'Compliance score of baseline on prod is 40.0%',
      description: 'The ClusterSpecification baseline scores below 80% on cluster prod for 30 minutes. See its ComplianceReport: kubectl -n kspec-system get compliancereports.',
    },
    KspecComplianceScoreCritical: {
      summary: 'Compliance score of baseline on prod is 40.0%',
      description: 'Half or more of the policies of baseline are violated on prod.',
    },
    KspecDriftPresent: {
      summary: '2 policies of baseline drift on prod',
      description: 'Policies of baseline have been missing, modified or extra on prod for 30 minutes. In monitor mode kspec only reports this; see the DriftReport: kubectl -n kspec-system get driftreports.',
    },
    KspecNoSuccessfulPass: {
      summary: 'kspec has not completed a successful pass for 50m 0s',
      description: "No reconciliation pass succeeded in the last 30 minutes. Check the leader's logs (kubectl -n kspec-system logs deploy/kspec) and kspec_pass_errors_total by stage.",
    },
    KspecGitFetchFailing: {
      summary: 'kspec cannot fetch the specs repository',
      description: 'Git fetches have kept failing for 15 minutes. kspec keeps enforcing the last good commit. Check the repository URL, network policy egress and the kspec-git token.',
    },
    KspecShardTargetsUnowned: {
      summary: '3 ClusterTargets are owned by no kspec replica',
      description: 'The replicas know of more targets than they own together, for 10 minutes: those clusters are not reconciled. A dead replica\'s targets move within the lease duration; check the Leases (kubectl -n kspec-system get leases -l kspec.io/shard-role=target) and the replicas\' logs.',
    },
    KspecShardImbalanced: {
      summary: 'kspec replica kspec-a owns 47 targets, far more than its share',
      description: 'One replica has owned more than twice the mean share (plus 5) for 30 minutes. Rendezvous hashing spreads targets evenly over live replicas, so the others are probably not heartbeating: check kubectl -n kspec-system get leases -l kspec.io/shard-role=member.',
    },
    KspecTargetPassStale: {
      summary: 'A target of kspec replica kspec-a was last reconciled 1h 29m 0s ago',
      description: 'The least recently reconciled target of this replica has not completed a pass for over an hour. The replica may own more targets than it can reconcile per schedule period: see the capacity model in docs/operations.md.',
    },
  };
  return expected[alert];
}

test('promtool unit tests: sharding alerts fire on a target nobody owns, a replica owning far more than its share and a stale target, and not on a balanced fleet', async (t) => {
  const rules = rulesFile();
  const tests = {
    rule_files: [rules],
    evaluation_interval: '1m',
    tests: [
      {
        // 60 targets; kspec-b and kspec-c stopped heartbeating an hour ago, so kspec-a took theirs,
        // except 3 it could not yet; kspec-a's oldest target pass ages.
        interval: '1m',
        input_series: [
          { series: 'kspec_shard_known_targets{replica="kspec-a"}', values: '60x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-a"}', values: '47x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-b"}', values: '5x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-c"}', values: '5x60' },
          { series: 'kspec_oldest_target_pass_age_seconds{replica="kspec-a"}', values: '1800+60x60' },
          { series: 'kspec_oldest_target_pass_age_seconds{replica="kspec-b"}', values: '100x60' },
        ],
        alert_rule_test: [
          { eval_time: '5m', alertname: 'KspecShardTargetsUnowned', exp_alerts: [] },
          {
            eval_time: '15m',
            alertname: 'KspecShardTargetsUnowned',
            exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: expectAnnotations('KspecShardTargetsUnowned') }],
          },
          {
            eval_time: '40m',
            alertname: 'KspecShardImbalanced',
            exp_alerts: [{ exp_labels: { severity: 'warning', replica: 'kspec-a' }, exp_annotations: expectAnnotations('KspecShardImbalanced') }],
          },
          {
            eval_time: '59m',
            alertname: 'KspecTargetPassStale',
            exp_alerts: [{ exp_labels: { severity: 'warning', replica: 'kspec-a' }, exp_annotations: expectAnnotations('KspecTargetPassStale') }],
          },
        ],
      },
      {
        // A balanced fleet: 30 targets over three replicas, all owned, all reconciled recently.
        interval: '1m',
        input_series: [
          { series: 'kspec_shard_known_targets{replica="kspec-a"}', values: '30x60' },
          { series: 'kspec_shard_known_targets{replica="kspec-b"}', values: '30x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-a"}', values: '13x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-b"}', values: '8x60' },
          { series: 'kspec_shard_owned_targets{replica="kspec-c"}', values: '9x60' },
          { series: 'kspec_oldest_target_pass_age_seconds{replica="kspec-a"}', values: '300x60' },
        ],
        alert_rule_test: [
          { eval_time: '50m', alertname: 'KspecShardTargetsUnowned', exp_alerts: [] },
          { eval_time: '50m', alertname: 'KspecShardImbalanced', exp_alerts: [] },
          { eval_time: '50m', alertname: 'KspecTargetPassStale', exp_alerts: [] },
        ],
      },
    ],
  };
  const file = path.join(path.dirname(rules), 'sharding-tests.yaml');
  writeFileSync(file, stringify(tests));
  const result = await promtool(t, 'test', 'rules', file);
  if (result) assert.match(result.stdout, /SUCCESS/);
});
