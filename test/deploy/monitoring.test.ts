// deploy/monitoring: alerts and dashboard reference only kspec's metric names; the dashboard is
// importable Grafana JSON with the expected panels; the Argo CD health check behaves (when a Lua
// interpreter is installed).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { KSPEC_METRICS } from '../../src/server/metrics.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MON = path.join(ROOT, 'deploy/monitoring');

type Obj = Record<string, any>;

/** The metric names deploy/monitoring may use (the operator's public contract). */
const ALLOWED = new Set([
  'kspec_compliance_score',
  'kspec_policy_violations_total',
  'kspec_drift_events_total',
  'kspec_reconciliation_duration_seconds',
  'kspec_git_fetch_duration_seconds',
  'kspec_git_fetch_failures_total',
  'kspec_last_successful_pass_timestamp_seconds',
  'kspec_pass_errors_total',
  'kspec_policies',
  'kspec_shard_owned_targets',
  'kspec_shard_known_targets',
  'kspec_shard_rebalances_total',
  'kspec_oldest_target_pass_age_seconds',
  'kspec_spec_info',
  'kspec_policy_violations',
  'kspec_leader',
  // Prometheus's own scrape health and the process's start time, for "kspec is down" and restarts.
  'up',
  'process_start_time_seconds',
]);
const HISTOGRAMS = new Set(['kspec_reconciliation_duration_seconds', 'kspec_git_fetch_duration_seconds']);

const PROMQL_FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'avg', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'count',
  'count_over_time', 'delta', 'deriv', 'floor', 'histogram_quantile', 'idelta', 'increase', 'irate', 'label_replace', 'last_over_time',
  'max', 'max_over_time', 'min', 'min_over_time', 'quantile', 'quantile_over_time', 'rate', 'resets', 'round', 'scalar', 'sort',
  'sort_desc', 'stddev', 'sum', 'sum_over_time', 'time', 'timestamp', 'topk', 'bottomk', 'vector', 'label_values',
]);
const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** Metric names an expression selects, after removing strings, label matchers, groupings and ranges. */
function metricNames(expr: string): string[] {
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  e = e.replace(/\$\w+/g, '');
  const names: string[] = [];
  const re = /[A-Za-z_:][A-Za-z0-9_:]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(e))) {
    const word = m[0];
    const after = e.slice(re.lastIndex).trimStart();
    if (PROMQL_KEYWORDS.has(word)) continue;
    if (after.startsWith('(')) {
      assert.ok(PROMQL_FUNCTIONS.has(word), `unknown PromQL function ${word} in ${expr}`);
      continue;
    }
    if (/^\d/.test(word) || /^e\d*$/.test(word)) continue; // 1e3
    names.push(word);
  }
  return names;
}

function checkNames(expr: string, where: string): string[] {
  const names = metricNames(expr);
  for (const n of names) {
    const base = n.replace(/_(bucket|count|sum)$/, '');
    if (base !== n) assert.ok(HISTOGRAMS.has(base), `${where}: ${n} is not a histogram series`);
    assert.ok(ALLOWED.has(base), `${where}: ${n} is not one of kspec's metrics`);
  }
  return names;
}

describe('metric names', () => {
  test('the allowed names are all defined in src/server/metrics.ts with the right types', () => {
    for (const n of ALLOWED) assert.ok(n in KSPEC_METRICS || n === 'up' || n === 'process_start_time_seconds', n);
    for (const h of HISTOGRAMS) assert.equal(KSPEC_METRICS[h as keyof typeof KSPEC_METRICS], 'histogram');
  });

  test('the expression checker catches strangers', () => {
    assert.throws(() => checkNames('sum(rate(http_requests_total[5m]))', 't'));
    assert.throws(() => checkNames('kspec_compliance_score_bucket', 't'));
    assert.deepEqual(checkNames('histogram_quantile(0.9, sum by (le) (rate(kspec_reconciliation_duration_seconds_bucket{cluster=~"a|b"}[5m])))', 't'), [
      'kspec_reconciliation_duration_seconds_bucket',
    ]);
  });
});

describe('PrometheusRule', () => {
  const rule = parse(readFileSync(path.join(MON, 'prometheusrule.yaml'), 'utf8')) as Obj;
  const rules = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]);

  test('is a monitoring.coreos.com/v1 PrometheusRule with well-formed alerts', () => {
    assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(rule.kind, 'PrometheusRule');
    const names = new Set<string>();
    for (const r of rules) {
      assert.ok(r.alert && typeof r.expr === 'string', JSON.stringify(r));
      assert.ok(!names.has(r.alert), `duplicate alert ${r.alert}`);
      names.add(r.alert);
      assert.match(r.for, /^\d+[smh]$/);
      assert.ok(['critical', 'warning', 'info'].includes(r.labels.severity));
      assert.ok(r.annotations.summary && r.annotations.description);
      // Balanced parentheses.
      let depth = 0;
      for (const ch of r.expr as string) {
        depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
        assert.ok(depth >= 0, r.expr);
      }
      assert.equal(depth, 0, r.expr);
    }
  });

  test('expressions reference only kspec metric names', () => {
    for (const r of rules) assert.ok(checkNames(r.expr, r.alert).length > 0, `${r.alert} selects a metric`);
  });

  test('covers score, drift, stale passes and git fetch failures', () => {
    const used = (metric: string) => rules.filter((r) => metricNames(r.expr).some((n) => n.startsWith(metric)));
    assert.ok(used('kspec_compliance_score').some((r) => /<\s*\d+/.test(r.expr)), 'score threshold');
    assert.ok(used('kspec_policies').length + used('kspec_drift_events_total').length > 0, 'drift');
    assert.ok(used('kspec_last_successful_pass_timestamp_seconds').some((r) => r.expr.includes('time()')), 'stale pass');
    assert.ok(used('kspec_git_fetch_failures_total').length > 0, 'git fetch failures');
  });
});

describe('Grafana dashboard', () => {
  const dash = JSON.parse(readFileSync(path.join(MON, 'grafana-dashboard.json'), 'utf8')) as Obj;
  const panels = dash.panels as Obj[];
  const graphPanels = panels.filter((p) => p.type !== 'row');

  test('is importable dashboard JSON: schemaVersion, uid, title, no fixed id', () => {
    assert.ok(dash.schemaVersion >= 36 && dash.schemaVersion <= 41, `schemaVersion ${dash.schemaVersion}`);
    assert.equal(typeof dash.title, 'string');
    assert.match(dash.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.equal(dash.id, null);
    assert.ok(Array.isArray(dash.templating.list));
    assert.ok(Array.isArray(dash.annotations.list));
  });

  test('the data source is a template variable used by every panel and target', () => {
    const dsVar = (dash.templating.list as Obj[]).find((v) => v.type === 'datasource');
    assert.ok(dsVar, 'a datasource variable');
    assert.equal(dsVar.query, 'prometheus');
    const ref = `\${${dsVar.name}}`;
    for (const p of graphPanels) {
      assert.equal(p.datasource.uid, ref, `panel ${p.title}`);
      for (const t of p.targets as Obj[]) assert.equal(t.datasource.uid, ref, `target of ${p.title}`);
    }
    for (const v of (dash.templating.list as Obj[]).filter((x) => x.type === 'query')) assert.equal(v.datasource.uid, ref);
  });

  test('panels: unique ids, grid inside 24 columns, no overlaps, known types, refIds', () => {
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of panels) {
      assert.ok(Number.isInteger(p.id) && !ids.has(p.id), `panel id ${p.id}`);
      ids.add(p.id);
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${p.title} gridPos`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          assert.ok(!cells.has(key), `${p.title} overlaps another panel at ${key}`);
          cells.add(key);
        }
      }
      assert.ok(['row', 'timeseries', 'stat', 'bargauge', 'gauge', 'table', 'piechart'].includes(p.type), p.type);
      if (p.type !== 'row') {
        assert.ok(p.targets.length > 0);
        const refs = (p.targets as Obj[]).map((t) => t.refId);
        assert.equal(new Set(refs).size, refs.length);
      }
    }
  });

  test('has the expected panels', () => {
    const find = (re: RegExp, metric: string) => {
      const p = graphPanels.find((x) => re.test(x.title));
      assert.ok(p, `a panel titled ${re}`);
      assert.ok((p.targets as Obj[]).some((t) => (t.expr as string).includes(metric)), `${p.title} queries ${metric}`);
      return p;
    };
    find(/score per cluster/i, 'kspec_compliance_score');
    find(/^policy violations/i, 'kspec_policy_violations_total');
    // Standing violations come from the gauge, not from increase() over the counter.
    find(/violating resources now/i, 'kspec_policy_violations{');
    find(/drift events/i, 'kspec_drift_events_total');
    const latency = find(/latency/i, 'kspec_reconciliation_duration_seconds_bucket');
    assert.ok((latency.targets as Obj[]).every((t) => (t.expr as string).startsWith('histogram_quantile(')));
    assert.ok((latency.targets as Obj[]).length >= 3, 'several quantiles');
    find(/policies by state/i, 'kspec_policies');
    find(/targets owned per replica/i, 'kspec_shard_owned_targets');
    find(/oldest target pass age/i, 'kspec_oldest_target_pass_age_seconds');
    find(/shard rebalances/i, 'kspec_shard_rebalances_total');
    find(/mode and remediation/i, 'kspec_spec_info');
  });

  test('every query references only kspec metric names', () => {
    for (const p of graphPanels) for (const t of p.targets as Obj[]) checkNames(t.expr, p.title);
    for (const v of (dash.templating.list as Obj[]).filter((x) => x.type === 'query')) {
      const inner = /label_values\((.*),\s*\w+\)$/.exec(v.definition)?.[1] ?? '';
      checkNames(inner, `variable ${v.name}`);
    }
  });
});

describe('Argo CD health check (Lua)', () => {
  const LUA = ['/usr/bin/lua5.1', '/usr/bin/lua', '/usr/local/bin/lua'].find((p) => existsSync(p));
  const script = readFileSync(path.join(ROOT, 'deploy/argocd/health-clusterspecification.lua'), 'utf8');
  const run = promisify(execFile);

  /** Lua source for a table literal of a JSON-like value. */
  function luaValue(v: unknown): string {
    if (v === null || v === undefined) return 'nil';
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return `{${v.map(luaValue).join(', ')}}`;
    return `{${Object.entries(v as Obj).map(([k, x]) => `[${JSON.stringify(k)}] = ${luaValue(x)}`).join(', ')}}`;
  }

  async function health(obj: Obj): Promise<{ status: string; message: string }> {
    const program = `obj = ${luaValue(obj)}\nlocal function check()\n${script}\nend\nlocal hs = check()\nio.write(hs.status, "\\n", hs.message or "")`;
    const { stdout } = await run(LUA!, ['-e', program]);
    const [status, ...msg] = stdout.split('\n');
    return { status, message: msg.join('\n') };
  }

  const ready = (status: string, message = 'ok') => ({ type: 'Ready', status, reason: 'R', message, lastTransitionTime: '2025-01-01T00:00:00Z' });
  const cases: Array<[string, Obj, string]> = [
    ['no status', { metadata: { generation: 1 } }, 'Progressing'],
    ['Active and Ready', { metadata: { generation: 2 }, status: { phase: 'Active', observedGeneration: 2, conditions: [ready('True')] } }, 'Healthy'],
    ['Active but not Ready', { metadata: { generation: 2 }, status: { phase: 'Active', observedGeneration: 2, conditions: [ready('False')] } }, 'Progressing'],
    ['Active without conditions', { metadata: { generation: 1 }, status: { phase: 'Active' } }, 'Progressing'],
    ['Pending', { metadata: { generation: 1 }, status: { phase: 'Pending', conditions: [ready('Unknown')] } }, 'Progressing'],
    ['Failed', { metadata: { generation: 1 }, status: { phase: 'Failed', observedGeneration: 1, conditions: [ready('False', 'policy x: bad YAML')] } }, 'Degraded'],
    ['older generation observed', { metadata: { generation: 3 }, status: { phase: 'Active', observedGeneration: 2, conditions: [ready('True')] } }, 'Progressing'],
  ];
  for (const [name, obj, want] of cases) {
    test(`${name} -> ${want}`, { skip: LUA ? false : 'no Lua interpreter (apt-get install lua5.1)' }, async () => {
      const hs = await health(obj);
      assert.equal(hs.status, want);
      if (name === 'Failed') assert.equal(hs.message, 'policy x: bad YAML');
    });
  }
});
