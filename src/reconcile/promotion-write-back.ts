// The promotion half of Git write-back: after a pass, each monitor-mode spec of this repository
// that writes back through pull requests gets its promotion pull request opened, updated or
// closed, as its ComplianceReport's evidence decides (src/promotion).
import { redactString } from '../redact.ts';
import type { WriteBackMode } from '../api/types.ts';
import { decidePromotion } from '../promotion/promotion.ts';
import type { GitHub, GitRepo } from '../writeback/index.ts';
import { effectiveMode } from '../writeback/effective-mode.ts';
import { syncPromotionPullRequest } from '../writeback/promotion-pull-request.ts';
import type { PromotionPullRequestResult } from '../writeback/promotion-pull-request.ts';
import type { Logger } from '../log.ts';
import type { PassResult } from './pass.ts';
import { isClean } from './spec-plan.ts';

export interface PromotionConfig {
  /** Installation write-back mode; a spec's spec.writeBack overrides it. */
  mode: WriteBackMode;
  github: GitHub;
  repo: GitRepo;
  baseBranch: string;
  promoteAfterMs: number;
  now: Date;
  log: Logger;
}

export interface PromotionResults {
  promotions: PromotionPullRequestResult[];
  errors: { cluster: string; spec: string; error: string }[];
}

export async function syncPromotions(result: PassResult, config: PromotionConfig): Promise<PromotionResults> {
  const out: PromotionResults = { promotions: [], errors: [] };
  for (const outcome of result.specs) {
    const { plan } = outcome;
    // Only a spec this commit defines cleanly: a failing or removed one is not proposed anything.
    if (!outcome.cluster || !plan.sourceFile || plan.applied || plan.retired || !isClean(plan)) continue;
    if (effectiveMode(config.mode, plan.spec.spec.writeBack) !== 'pull-request') continue;
    const decision = decidePromotion({ mode: outcome.mode, remediation: outcome.remediation, specFile: plan.sourceFile, ...(outcome.compliance ? { compliance: outcome.compliance } : {}) }, config.promoteAfterMs, config.now);
    try {
      const pr = await syncPromotionPullRequest(config.github, config.repo, { cluster: outcome.cluster, spec: plan.name, specFile: plan.sourceFile, decision }, { baseBranch: config.baseBranch, promoteAfterMs: config.promoteAfterMs, now: config.now });
      out.promotions.push(pr);
      if (pr.action !== 'none' && pr.action !== 'unchanged') config.log.info(`promotion pull request ${pr.action}`, { cluster: pr.cluster, spec: pr.spec, number: pr.number, ...(pr.note ? { reason: pr.note } : {}) });
    } catch (err) {
      const error = redactString(String((err as Error)?.message ?? err));
      config.log.error('promotion pull request failed', { cluster: outcome.cluster, spec: plan.name, error });
      out.errors.push({ cluster: outcome.cluster, spec: plan.name, error });
    }
  }
  return out;
}
