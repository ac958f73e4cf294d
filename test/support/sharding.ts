// Helpers for the sharding tests: a fleet of ClusterTargets on the one local API server (each
// with its own spec and policy names), `kspec run --leader-elect --sharding auto` replicas, and
// the write stages they log.
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { rendezvousOwner } from '../../src/shard/rendezvous.ts';
import type { TestCluster } from './cluster.ts';
import { inClusterTarget, policyYaml, specYaml, type KspecProcess } from './operator.ts';

export const MESSAGE = 'label app is required';

export interface Fleet {
  targets: string[];
  policy(target: string): string;
  files: Record<string, string>;
}

/**
 * `count` in-cluster ClusterTargets with one spec and one policy each. The target names are
 * picked so that, for every member set in `splits`, rendezvous hashing gives each member at
 * least one target (with eight targets a member could otherwise, rarely, own none).
 */
export function fleet(ns: string, count: number, splits: string[][]): Fleet {
  const id = ns.slice(-6);
  const chosen: string[] = [];
  const uncovered = new Set(splits.flatMap((members, i) => members.map((m) => `${i}:${m}`)));
  for (let n = 0; chosen.length < count && n < 10_000; n++) {
    const name = `t${n}`;
    const covers = splits.flatMap((members, i) => [`${i}:${rendezvousOwner(`${ns}/${name}`, members)}`]).filter((k) => uncovered.has(k));
    if (covers.length > 0 || count - chosen.length > uncovered.size) {
      chosen.push(name);
      for (const k of covers) uncovered.delete(k);
    }
  }
  assert.equal(uncovered.size, 0, 'target names that give every replica a share');
  const policy = (target: string) => `shard-${id}-${target}`;
  const files: Record<string, string> = {};
  for (const target of chosen) {
    files[`targets/${target}.yaml`] = inClusterTarget(ns, target);
    files[`specs/${target}.yaml`] = fleetSpec(ns, target, { a: policyYaml(policy(target), { namespace: ns, message: MESSAGE }) });
  }
  return { targets: chosen, policy, files };
}

/**
 * A target's spec. Compliance comes from policy reports (none here, so nothing is listed): these
 * tests are about who writes where, and the engine's scans of the shared API server would only
 * slow every replica's passes (the engine is tested on its own).
 */
export function fleetSpec(ns: string, target: string, checks: Record<string, string>): string {
  return specYaml(`spec-${target}`, ns, { target, checks }).replace('  enforcementMode: enforce\n', '  enforcementMode: enforce\n  complianceSource: policyReports\n');
}

/** kspec_shard_owned_targets of a replica, or undefined when it does not answer. */
export async function ownedTargets(p: KspecProcess): Promise<number | undefined> {
  try {
    const m = /^kspec_shard_owned_targets\{replica="[^"]*"\} (\S+)$/m.exec(await p.metrics());
    return m ? Number(m[1]) : 0;
  } catch {
    return undefined;
  }
}

/** The targets a replica took or handed over, as its log says, in order. */
export function ownershipLog(p: KspecProcess, target: string): string[] {
  return p.logs(/^(took target|handed target over)$/).filter((l) => l.target === target).map((l) => String(l.msg));
}

/** The message of the target's policy, or undefined when the policy is absent. */
export async function policyMessage(cluster: TestCluster, name: string): Promise<string | undefined> {
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  try {
    const p = (await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } })) as KubernetesObject & { spec: { rules: { validate: { message: string } }[] } };
    return p.spec.rules[0]!.validate.message;
  } catch {
    return undefined;
  }
}

/** An out-of-band edit: someone changes the policy's message by hand. */
export async function editPolicy(cluster: TestCluster, name: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const p = (await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } })) as KubernetesObject & { spec: { rules: { validate: { message: string } }[] } };
  p.spec.rules[0]!.validate.message = 'edited by hand';
  await objects.replace(p);
  assert.equal(await policyMessage(cluster, name), 'edited by hand', `the edit of ${name} took`);
}

interface WriteStage { replica: string; target: string; stage: string; from: number; to: number }

/**
 * Every write stage any of the replicas logged ('target write': target, stage, from, to), and
 * the check that for each target the stages of different replicas never overlap in time.
 */
export function assertWritesNeverOverlap(replicas: Record<string, KspecProcess>): WriteStage[] {
  const writes: WriteStage[] = Object.entries(replicas).flatMap(([replica, p]) =>
    p.logs('target write').map((l) => ({ replica, target: String(l.target), stage: String(l.stage), from: Number(l.from), to: Number(l.to) })),
  );
  const byTarget = new Map<string, WriteStage[]>();
  for (const w of writes) byTarget.set(w.target, [...(byTarget.get(w.target) ?? []), w]);
  for (const [target, ws] of byTarget) {
    ws.sort((a, b) => a.from - b.from);
    // Each stage must start after every earlier stage of another replica has ended.
    const last = new Map<string, number>();
    for (const w of ws) {
      for (const [replica, to] of last) if (replica !== w.replica) assert.ok(w.from >= to, `${target}: ${w.replica} began ${w.stage} at ${w.from} while ${replica} wrote until ${to}`);
      last.set(w.replica, Math.max(last.get(w.replica) ?? 0, w.to));
    }
  }
  return writes;
}

/** Waits as `wait` does; when it times out, the error carries the replicas' last log lines. */
export async function orShowLogs<T>(wait: Promise<T>, replicas: Record<string, KspecProcess>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    const tails = Object.entries(replicas).map(([name, p]) => `--- ${name}\n${p.stderr().split('\n').filter((l) => !l.includes('"target write"')).slice(-25).join('\n')}`);
    throw new Error(`${(err as Error).message}\n${tails.join('\n')}`);
  }
}
