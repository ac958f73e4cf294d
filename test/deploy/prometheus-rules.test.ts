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

/** Runs promtool's rule unit tests (`tests` as in its test file) against the PrometheusRule. */
async function unitTests(t: { skip(message: string): void }, name: string, tests: unknown[]): Promise<void> {
  const rules = rulesFile();
  const file = path.join(path.dirname(rules), `${name}.yaml`);
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
  const result = await promtool(t, 'test', 'rules', file);
  if (result) assert.match(result.stdout, /SUCCESS/);
}

test('promtool accepts the alerting rules', async (t) => {
  await promtool(t, 'check', 'rules', rulesFile());
});

test('promtool unit tests: each alert fires on the values it is meant for, and not on healthy ones', async (t) => {
  const labels = 'cluster="prod",spec="baseline"';
  // promtool compares the whole set of firing alerts: the healthy spec must not appear.
  await unitTests(t, 'tests', [
    {
      interval: '1m',
      input_series: [
        { series: `kspec_compliance_score{${labels}}`, values: '40x60' },
        { series: 'kspec_compliance_score{cluster="prod",spec="healthy"}', values: '100x60' },
        { series: `kspec_policies{${labels},state="missing"}`, values: '2x60' },
        { series: `kspec_policies{${labels},state="in_sync"}`, values: '5x60' },
        { series: `kspec_spec_info{${labels},mode="enforce",remediation="auto"}`, values: '1x60' },
        // A leader that started at 0 and never completed a pass.
        { series: 'kspec_last_successful_pass_timestamp_seconds{job="kspec",instance="a"}', values: '0x60' },
        { series: 'kspec_leader{job="kspec",instance="a"}', values: '1x60' },
        { series: 'process_start_time_seconds{job="kspec",instance="a"}', values: '0x60' },
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
    {
      // Two new monitor specs with the default remediation: one's policies are all created in
      // its first pass, the other never exported kspec_spec_info (an older kspec). A report-only
      // spec's drift stands: reported after 6 hours, never as drift kspec failed to fix.
      interval: '1m',
      input_series: [
        { series: 'kspec_policies{cluster="prod",spec="new-monitor",state="missing"}', values: '3 0x500' },
        { series: 'kspec_spec_info{cluster="prod",spec="new-monitor",mode="monitor",remediation="auto"}', values: '1x500' },
        { series: 'kspec_policies{cluster="prod",spec="report-only",state="missing"}', values: '3x500' },
        { series: 'kspec_spec_info{cluster="prod",spec="report-only",mode="monitor",remediation="report"}', values: '1x500' },
        { series: 'kspec_policies{cluster="prod",spec="old-kspec",state="modified"}', values: '1x500' },
      ],
      alert_rule_test: [
        { eval_time: '40m', alertname: 'KspecDriftPresent', exp_alerts: [{ exp_labels: { severity: 'warning', cluster: 'prod', spec: 'old-kspec' }, exp_annotations: expectAnnotations('KspecDriftPresent', '1', 'old-kspec') }] },
        { eval_time: '5h', alertname: 'KspecDriftReported', exp_alerts: [] },
        { eval_time: '7h', alertname: 'KspecDriftReported', exp_alerts: [{ exp_labels: { severity: 'info', cluster: 'prod', spec: 'report-only' }, exp_annotations: expectAnnotations('KspecDriftReported', '3', 'report-only') }] },
      ],
    },
  ]);
});

/** The annotations as Prometheus renders the rule's templates for the series above. */
function expectAnnotations(alert: string, value = '2', spec = 'baseline'): Record<string, string> {
  const expected: Record<string, Record<string, string>> = {
    KspecComplianceScoreLow: {
      summary: 'Compliance score of baseline on prod is 40.0%',
      description: 'The ClusterSpecification baseline scores below 80% on cluster prod for 30 minutes. See its ComplianceReport: kubectl -n kspec-system get compliancereports.',
    },
    KspecComplianceScoreCritical: {
      summary: 'Compliance score of baseline on prod is 40.0%',
      description: 'Half or more of the policies of baseline have been violated on prod for 15 minutes.',
    },
    KspecDriftPresent: {
      summary: `${value} policies of ${spec} drift on prod`,
      description: `Policies of ${spec} have been missing, modified or extra on prod for 30 minutes although kspec remediates this spec. See the failed actions in its DriftReport and its Ready condition: kubectl -n kspec-system get driftreports,clusterspecifications.`,
    },
    KspecDriftReported: {
      summary: `${value} policies of report-only spec ${spec} drift on prod`,
      description: `Policies of ${spec} have differed from the spec on prod for 6 hours. The spec has remediation: report, so kspec only reports this: fix the cluster, change the spec, or merge the drift pull request. See kubectl -n kspec-system get driftreports.`,
    },
    KspecNoSuccessfulPass: {
      summary: 'kspec has not completed a successful pass for 50m 0s',
      description: "No reconciliation pass succeeded in the last 30 minutes. Check the leader's logs (kubectl -n kspec-system logs deploy/kspec) and kspec_pass_errors_total by stage.",
    },
    KspecDown: {
      summary: 'kspec is down',
      description: "No kspec replica has answered Prometheus's scrapes for 5 minutes (or none is scraped at all): nothing reconciles the clusters and no alert below can fire. Check kubectl -n kspec-system get pods,servicemonitors.",
    },
    KspecGitFetchFailing: {
      summary: 'kspec cannot fetch the specs repository',
      description: 'At least one Git fetch in every 10 minutes has failed, for 15 minutes. kspec keeps enforcing the last good commit. Check the repository URL, network policy egress and the kspec-git token.',
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

test('promtool unit tests: the time-based alerts fire when their descriptions say, and kspec down is noticed', async (t) => {
  const at = (minutes: number, alertname: string, exp_alerts: unknown[] = []) => ({ eval_time: `${minutes}m`, alertname, exp_alerts });
  const noPass = (summary: string) => ({ exp_labels: { severity: 'critical' }, exp_annotations: { summary, description: expectAnnotations('KspecNoSuccessfulPass').description } });
  const down = { exp_labels: { severity: 'critical' }, exp_annotations: expectAnnotations('KspecDown') };
  await unitTests(t, 'timing', [
    {
      // The last successful pass at 1m: silent at 30m (29 minutes ago), firing at 32m. The
      // replica stops answering scrapes at 6m: kspec is down from 11m on.
      interval: '1m',
      input_series: [
        { series: 'kspec_last_successful_pass_timestamp_seconds{job="kspec",instance="a"}', values: '0 60x60' },
        { series: 'kspec_leader{job="kspec",instance="a"}', values: '1x60' },
        { series: 'process_start_time_seconds{job="kspec",instance="a"}', values: '0x60' },
        { series: 'up{job="kspec",instance="a"}', values: '1x5 0x60' },
        { series: 'kspec_compliance_score{cluster="prod",spec="baseline"}', values: '70x60' },
      ],
      alert_rule_test: [
        at(30, 'KspecNoSuccessfulPass'),
        at(32, 'KspecNoSuccessfulPass', [noPass('kspec has not completed a successful pass for 31m 0s')]),
        at(10, 'KspecDown'),
        at(11, 'KspecDown', [down]),
        at(29, 'KspecComplianceScoreLow'),
        at(30, 'KspecComplianceScoreLow', [{ exp_labels: { severity: 'warning', cluster: 'prod', spec: 'baseline' }, exp_annotations: { summary: 'Compliance score of baseline on prod is 70.0%', description: expectAnnotations('KspecComplianceScoreLow').description } }]),
        at(30, 'KspecComplianceScoreCritical'),
      ],
    },
    {
      // A leader restarted at 10m that has not finished a pass yet: counted from its start.
      interval: '1m',
      input_series: [
        { series: 'kspec_last_successful_pass_timestamp_seconds{job="kspec",instance="b"}', values: '0x60' },
        { series: 'kspec_leader{job="kspec",instance="b"}', values: '1x60' },
        { series: 'process_start_time_seconds{job="kspec",instance="b"}', values: '600x60' },
        { series: 'up{job="kspec",instance="b"}', values: '1x60' },
      ],
      alert_rule_test: [at(40, 'KspecNoSuccessfulPass'), at(41, 'KspecNoSuccessfulPass', [noPass('kspec has not completed a successful pass for 31m 0s')]), at(41, 'KspecDown')],
    },
    {
      // Not scraped at all: absent counts as down.
      interval: '1m',
      input_series: [{ series: 'kspec_leader{job="kspec",instance="c"}', values: '1x10' }],
      alert_rule_test: [at(4, 'KspecDown'), at(5, 'KspecDown', [down])],
    },
  ]);
});

test('promtool unit tests: sharding alerts fire on a target nobody owns, a replica owning far more than its share and a stale target, and not on a balanced fleet', async (t) => {
  await unitTests(t, 'sharding-tests', [
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
  ]);
});
