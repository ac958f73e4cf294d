import { join } from 'node:path';
import type { ComplianceReport, DriftReport, Violation, WriteBackMode } from '../api/types.ts';
import { shownPair } from '../drift/compare.ts';
import type { Drift } from '../drift/detect.ts';
import { writeBack, cleanLivePolicy, GitRepo } from '../writeback/index.ts';
import { effectiveMode } from '../writeback/effective-mode.ts';
import type { Adoption, GitHub, SpecReports, WaitBudget, WriteBackResult } from '../writeback/index.ts';
import { parseRepo } from '../source/repo-url.ts';
import type { Logger } from '../log.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import type { PassResult } from './pass.ts';
import type { SpecOutcome } from './spec-outcome.ts';
import { driftEventsOf } from './spec-outcome.ts';
import { syncPromotions } from './promotion-write-back.ts';
import type { PromotionPullRequestResult } from '../writeback/promotion-pull-request.ts';

export interface GitWriteBackConfig {
  mode: WriteBackMode;
  /** The specs repository (http(s)); reports and drift branches are pushed there. */
  repo: string;
  baseBranch: string;
  reportsBranch: string;
  cacheDir: string;
  token?: string;
  /** User name sent with the token; GitHub accepts x-access-token. */
  username?: string;
  author: { name: string; email: string };
  commitMessage?: string;
  adopt: boolean;
  github?: GitHub;
  log: Logger;
  /** Propose enforce for monitor-mode specs clean this long (pull-request mode); undefined: never. */
  promoteAfterMs?: number;
  /** The clock promotions are judged by; tests control it. */
  now?: () => Date;
  /** How long the write-back stage may take, waits included (default 2 minutes). */
  timeoutMs?: number;
}

export type GitWriteBackResult = WriteBackResult & { promotions: PromotionPullRequestResult[] };

export const DEFAULT_WRITE_BACK_TIMEOUT_MS = 120_000;

/**
 * The pass's last stage: the Git half of publishing, under the pass's signal and within its own
 * time budget. Nothing it meets (GitHub rate limits, a Git server down) is allowed to hold the
 * next pass back: what could not be written now is written by the next pass, which starts again
 * from what the remote holds, so nothing is lost or written twice. Never throws.
 */
export async function writeBackStage(result: Omit<PassResult, 'writeBack'>, config: GitWriteBackConfig, context: { signal?: AbortSignal; metrics?: KspecMetrics; log: Logger }): Promise<GitWriteBackResult | undefined> {
  const timeoutMs = config.timeoutMs ?? DEFAULT_WRITE_BACK_TIMEOUT_MS;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(context.signal ? [context.signal] : [])]);
  const deadline = Date.now() + timeoutMs;
  const written = await writeBackToGit(result, config, { signal, deadline }).catch(
    (err: unknown): GitWriteBackResult => ({ pullRequests: [], promotions: [], errors: [{ mode: config.mode, error: (err as Error).message }] }),
  );
  if (written && signal.aborted && !context.signal?.aborted) {
    written.errors.push({ mode: config.mode, error: `write-back did not finish within ${Math.round(timeoutMs / 1000)} s; the next pass continues it` });
  }
  for (const error of written?.errors ?? []) {
    context.metrics?.passErrors.inc({ stage: 'write-back' });
    context.log.error('write-back failed', { ...error });
  }
  return written;
}

/** The publish stage's Git half: reports committed, or drift and promotion pull requests, per spec's mode. */
export async function writeBackToGit(result: Omit<PassResult, 'writeBack'>, config: GitWriteBackConfig, budget: WaitBudget = {}): Promise<GitWriteBackResult | undefined> {
  const reports = result.specs.filter((s) => s.cluster && s.drift).map(specReports);
  const wanted = reports.some((r) => effectiveMode(config.mode, r.writeBack) !== 'none');
  if (!wanted) return undefined;
  const location = parseRepo(config.repo);
  if (location.kind !== 'http') throw new Error('write-back pushes to the specs repository, which must be an http(s) URL');
  const repo = new GitRepo({
    // As given: GitRepo splits credentials in the URL (userinfo, query token) off into its auth.
    url: config.repo,
    cacheDir: join(config.cacheDir, 'write-back'),
    ...(config.github
      ? { auth: () => config.github!.gitCredentials() }
      : config.token
        ? { auth: { username: config.username ?? 'x-access-token', password: config.token } }
        : {}),
    author: config.author,
    log: config.log,
    ...(budget.signal ? { signal: budget.signal } : {}),
  });
  const run = async (): Promise<GitWriteBackResult> => {
    const written = await writeBack({
      mode: config.mode,
      reports,
      repo,
      ...(config.github ? { github: config.github } : {}),
      options: {
        baseBranch: config.baseBranch,
        reportsBranch: config.reportsBranch,
        ...(config.commitMessage ? { commitMessage: config.commitMessage } : {}),
        adopt: config.adopt,
        log: config.log,
      },
    });
    if (!config.github || config.promoteAfterMs === undefined) return { ...written, promotions: [] };
    const promoted = await syncPromotions(result, { mode: config.mode, github: config.github, repo, baseBranch: config.baseBranch, promoteAfterMs: config.promoteAfterMs, now: (config.now ?? (() => new Date()))(), log: config.log });
    return { ...written, promotions: promoted.promotions, errors: [...written.errors, ...promoted.errors.map((e) => ({ ...e, mode: 'pull-request' as const }))] };
  };
  return config.github ? config.github.within(budget, run) : run();
}

function specReports(outcome: SpecOutcome): SpecReports {
  const spec = outcome.plan.spec.spec;
  return {
    cluster: outcome.cluster,
    spec: outcome.plan.name,
    ...(outcome.compliance ? { compliance: withFullViolations(outcome.compliance, outcome.fullViolations) } : {}),
    drift: withFullDrift(outcome.drift!, outcome),
    ...(spec.writeBack ? { writeBack: spec.writeBack } : {}),
    enforcementMode: spec.enforcementMode,
    remediation: outcome.remediation,
    ...(outcome.plan.sourceFile ? { specFile: { path: outcome.plan.sourceFile } } : {}),
    liveAdoptions: outcome.actions.map((a) => adoption(a.drift)).filter((a): a is Adoption => a !== undefined),
  };
}

/** Git holds the full violation lists; the cluster's report keeps a bounded number. */
function withFullViolations(report: ComplianceReport, full: Map<string, Violation[]> | undefined): ComplianceReport {
  if (!report.status) return report;
  const policyResults = report.status.policyResults.map((r) => ({ ...r, violations: full?.get(r.policyID) ?? r.violations }));
  return { ...report, status: { ...report.status, policyResults } };
}

/** Git holds every drift event with its diff; the cluster's report may have dropped diffs for size. */
function withFullDrift(report: DriftReport, outcome: SpecOutcome): DriftReport {
  return { ...report, status: { driftDetected: outcome.actions.length > 0, driftEvents: driftEventsOf(outcome) } };
}

/**
 * What an adopt pull request would put back into the spec: for a modified policy, the live
 * spec as kspec compares it (Kyverno's defaults and server fields left out); for an
 * extra one, the live policy.
 */
function adoption(drift: Drift): Adoption | undefined {
  if (drift.type === 'modified') {
    const { object } = drift.desired;
    const live = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) },
      spec: shownPair(object, drift.live, drift.storedSpec).live.spec,
    };
    return { type: 'modified', policyID: drift.desired.policyId, checkID: drift.desired.checkId, livePolicy: cleanLivePolicy(live as Record<string, unknown>) };
  }
  if (drift.type === 'extra' && drift.event.policyID) {
    return { type: 'extra', policyID: drift.event.policyID, checkID: drift.event.checkID ?? drift.live.metadata.name, livePolicy: cleanLivePolicy(drift.live as unknown as Record<string, unknown>) };
  }
  return undefined;
}
