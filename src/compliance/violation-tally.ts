// The violations of one spec's policies, folded as they are found instead of kept whole. A
// thousand policies over ten thousand resources make millions of violations in one pass; what a
// pass needs of them is small: per policy the true count, the first few as examples (sorted by
// namespace and resource), and a fingerprint of each (a 32-bit hash) so that the metrics can
// tell which are new. Every violation, whole, is kept only when asked (Git write-back holds the
// full lists).
import type { PolicyDefinition, PolicyResult, Violation } from '../api/types.ts';
import type { DesiredPolicy } from '../render/desired-policy.ts';

/** A rendered policy that could not be assessed, and why. */
export interface Unassessed {
  /** `ClusterPolicy/name` or `Policy/namespace/name`. */
  resource: string;
  message: string;
}

/** One failing (fail or error) result of a rendered policy's rule on one resource. */
export interface Finding {
  policyId: string;
  /** Name of the Kyverno policy. */
  policy: string;
  rule: string;
  result: 'fail' | 'error';
  kind: string;
  name: string;
  namespace?: string;
  message: string;
}

/** Violations kept in a report per policy; the true total is recorded beside them. */
export const MAX_VIOLATIONS_PER_POLICY = 50;

/** Longest message kept on one violation, so that a report stays small. */
export const MAX_MESSAGE_LENGTH = 1024;

export interface TallyOptions {
  /** Examples kept per policy; default MAX_VIOLATIONS_PER_POLICY. */
  examples?: number;
  /** Keep every violation whole (for Git write-back); default false. */
  keepAll?: boolean;
}

export interface TalliedResults {
  /** One PolicyResult per spec policy, with at most `examples` violations and the true total. */
  results: PolicyResult[];
  /** Every standing violation of each policy as a sorted list of fingerprints (see fingerprint). */
  fingerprints: Map<string, Uint32Array>;
  /** Every violation by spec policy id, unbounded, when `keepAll` was asked. */
  fullViolations?: Map<string, Violation[]>;
}

interface PolicyTally {
  unassessed: Unassessed[];
  /** The smallest violations by namespace and resource, sorted, at most `examples`. */
  examples: Violation[];
  count: number;
  hashes: HashList;
  all?: Violation[];
}

const collator = new Intl.Collator();

/** The report order of violations: namespace, then kind/name. */
export function compareViolations(a: Violation, b: Violation): number {
  return collator.compare(a.namespace ?? '', b.namespace ?? '') || collator.compare(a.resource, b.resource);
}

/** Kyverno rule messages can be long; one violation's message is kept to MAX_MESSAGE_LENGTH. */
export function truncateMessage(s: string): string {
  return s.length <= MAX_MESSAGE_LENGTH ? s : `${s.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** The message of one failing rule, as a violation lists it. */
export function ruleMessage(f: Pick<Finding, 'policy' | 'rule' | 'result' | 'message'>): string {
  return `${f.policy}/${f.rule}: ${f.result === 'error' ? 'error: ' : ''}${f.message.trim()}`;
}

/**
 * A violation's fingerprint: a 32-bit FNV-1a hash of its namespace, resource and message. Two
 * different violations of one policy share one with a chance of about n / 2^32 (n: that policy's
 * violations), which can only make the counter of new violations miss one.
 */
export function fingerprint(v: Violation): number {
  let h = 0x811c9dc5;
  const text = `${v.namespace ?? ''}/${v.resource}/${v.message}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class ViolationTally {
  private readonly examples: number;
  private readonly keepAll: boolean;
  private readonly policies = new Map<string, PolicyTally>();

  constructor(options: TallyOptions = {}) {
    this.examples = options.examples ?? MAX_VIOLATIONS_PER_POLICY;
    this.keepAll = options.keepAll ?? false;
  }

  /** A rendered policy of `policyId` that could not be assessed (the same reason is kept once). */
  unassessed(policyId: string, u: Unassessed): void {
    const tally = this.of(policyId);
    if (!tally.unassessed.some((x) => x.message === u.message)) tally.unassessed.push(u);
  }

  /**
   * One resource violating `policyId`, with every failing rule's message. Each resource must come
   * once per policy: the engine evaluates a resource against all of a policy's rules at once.
   */
  violated(policyId: string, resource: { namespace?: string; resource: string }, messages: string[]): void {
    const violation: Violation = { ...(resource.namespace ? { namespace: resource.namespace } : {}), resource: resource.resource, message: truncateMessage(messages.join('; ')) };
    const tally = this.of(policyId);
    tally.count++;
    tally.hashes.push(fingerprint(violation));
    tally.all?.push(violation);
    const { examples } = tally;
    if (examples.length === this.examples && (this.examples === 0 || compareViolations(violation, examples[examples.length - 1]) >= 0)) return;
    let at = examples.length;
    while (at > 0 && compareViolations(violation, examples[at - 1]) < 0) at--;
    examples.splice(at, 0, violation);
    if (examples.length > this.examples) examples.pop();
  }

  /** Findings of any number of resources (policy reports): one violation per policy and resource. */
  addFindings(findings: Map<string, Finding[]>): void {
    for (const [policyId, list] of findings) {
      this.of(policyId);
      const byResource = new Map<string, { namespace?: string; resource: string; messages: string[] }>();
      for (const f of list) {
        const resource = `${f.kind}/${f.name}`;
        const key = `${f.namespace ?? ''}\u0000${resource}`;
        const slot = byResource.get(key) ?? { ...(f.namespace ? { namespace: f.namespace } : {}), resource, messages: [] };
        const text = ruleMessage(f);
        if (!slot.messages.includes(text)) slot.messages.push(text);
        byResource.set(key, slot);
      }
      for (const slot of byResource.values()) this.violated(policyId, slot, slot.messages);
    }
  }

  /**
   * One PolicyResult per spec policy. A check that was not rendered and a rendered policy that
   * could not be assessed are violations of their policy too, listed first, since nothing says
   * they hold.
   */
  results(specPolicies: PolicyDefinition[], desired: DesiredPolicy[]): TalliedResults {
    const fingerprints = new Map<string, Uint32Array>();
    const fullViolations = this.keepAll ? new Map<string, Violation[]>() : undefined;
    const results = specPolicies.map((policy): PolicyResult => {
      const tally = this.policies.get(policy.id);
      const rendered = new Set(desired.filter((d) => d.policyId === policy.id).map((d) => d.checkId));
      const first: Violation[] = policy.checks.filter((check) => !rendered.has(check.id)).map((check) => ({ resource: `check/${check.id}`, message: `check ${check.id} was not rendered, so it was not assessed` }));
      for (const u of tally?.unassessed ?? []) first.push({ resource: u.resource, message: truncateMessage(u.message) });
      const total = first.length + (tally?.count ?? 0);
      const hashes = tally?.hashes.values() ?? new Uint32Array(0);
      const all = new Uint32Array(first.length + hashes.length);
      all.set(first.map(fingerprint));
      all.set(hashes, first.length);
      fingerprints.set(policy.id, all.sort());
      fullViolations?.set(policy.id, [...first, ...(tally?.all ?? []).sort(compareViolations)]);
      return {
        policyID: policy.id,
        status: total === 0 ? 'compliant' : 'violation',
        severity: policy.severity,
        violations: [...first, ...(tally?.examples ?? [])].slice(0, this.examples),
        violationTotal: total,
      };
    });
    return { results, fingerprints, ...(fullViolations ? { fullViolations } : {}) };
  }

  private of(policyId: string): PolicyTally {
    let tally = this.policies.get(policyId);
    if (!tally) {
      tally = { unassessed: [], examples: [], count: 0, hashes: new HashList(), ...(this.keepAll ? { all: [] } : {}) };
      this.policies.set(policyId, tally);
    }
    return tally;
  }
}

/** A growable list of 32-bit hashes, 4 bytes each (a plain array would box them as doubles). */
class HashList {
  private buffer = new Uint32Array(16);
  private length = 0;

  push(hash: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Uint32Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = hash;
  }

  values(): Uint32Array {
    return this.buffer.subarray(0, this.length);
  }
}
