/**
 * "Adopt": proposes a live Kyverno policy back into the spec file (pure).
 *
 * The edit touches only the lines of one check's `kyvernoPolicy` block scalar (for a
 * modified policy) or inserts one new check item after the policy's last check (for an
 * extra policy); every other byte of the file — comments, order, formatting, other
 * documents — stays as it was. The result is re-parsed and checked before it is returned.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, stringify } from 'yaml';
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { KYVERNO_SEVERITY_ANNOTATION, MANAGED_BY } from '../render/ownership.ts';

export interface Adoption {
  /** modified: replace the check's kyvernoPolicy; extra: add a check holding the live policy. */
  type: 'modified' | 'extra';
  policyID: string;
  checkID: string;
  /** The live policy: YAML text, or the object (cleaned with cleanLivePolicy). */
  livePolicy: string | Record<string, unknown>;
}

export interface AdoptResult {
  text: string;
  applied: Adoption[];
  skipped: { adoption: Adoption; reason: string }[];
}

const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function renderAdded(key: string): boolean {
  return key === MANAGED_BY || key.startsWith('kspec.io/') || key === KYVERNO_SEVERITY_ANNOTATION;
}

/**
 * The live object without what the API server and kspec's renderer add: status, server
 * metadata, kspec's ownership labels and provenance annotations. Labels or annotations the
 * original check already had are kept.
 */
export function cleanLivePolicy(live: Record<string, unknown>, original?: string): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(live)) as Record<string, any>;
  delete copy.status;
  let orig: Record<string, any> | undefined;
  try {
    orig = original ? (parseAllDocuments(original)[0]?.toJS() as Record<string, any>) : undefined;
  } catch {
    orig = undefined;
  }
  const meta = copy.metadata as Record<string, any> | undefined;
  if (meta) {
    for (const k of SERVER_METADATA) delete meta[k];
    for (const field of ['labels', 'annotations'] as const) {
      const m = meta[field] as Record<string, string> | undefined;
      if (!m) continue;
      for (const key of Object.keys(m)) {
        const keep = orig?.metadata?.[field]?.[key] !== undefined;
        if ((renderAdded(key) || key === LAST_APPLIED) && !keep) delete m[key];
      }
      if (Object.keys(m).length === 0) delete meta[field];
    }
  }
  return copy;
}

function liveText(a: Adoption, original?: string): string {
  const t = typeof a.livePolicy === 'string' ? a.livePolicy : stringify(cleanLivePolicy(a.livePolicy, original), { lineWidth: 0 });
  return t.replace(/\s+$/, '') + '\n';
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function blockLines(content: string, indent: string): string {
  return content
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : indent + l))
    .join('\n') + '\n';
}

function getPair(map: YAMLMap, key: string) {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

export function findSpecDoc(docs: Document.Parsed[], specName: string): Document.Parsed | undefined {
  return docs.find((d) => {
    if (!isMap(d.contents)) return false;
    const kind = d.get('kind');
    const name = d.getIn(['metadata', 'name']);
    return kind === 'ClusterSpecification' && name === specName;
  });
}

function findPolicy(doc: Document.Parsed, policyID: string): YAMLMap | undefined {
  const policies = doc.getIn(['spec', 'policies'], true);
  if (!isSeq(policies)) return undefined;
  return (policies as YAMLSeq).items.find((p): p is YAMLMap => isMap(p) && p.get('id') === policyID);
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

function replaceEdit(text: string, node: Node, keyNode: Node, content: string): Edit {
  const [start, end] = node.range!;
  const segment = text.slice(start, end);
  const scalar = node as Scalar;
  if (scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED') {
    const nl = segment.indexOf('\n');
    let header = nl < 0 ? segment : segment.slice(0, nl);
    const body = nl < 0 ? '' : segment.slice(nl + 1);
    const first = body.split('\n').find((l) => l.trim() !== '');
    const keyCol = keyNode.range![0] - lineStart(text, keyNode.range![0]);
    const indent = first ? first.match(/^ */)![0] : ' '.repeat(keyCol + 2);
    // A folded scalar would refold the policy: use a literal one with the same chomping.
    if (scalar.type === 'BLOCK_FOLDED') header = header.replace('>', '|');
    let replacement = `${header}\n${blockLines(content, indent)}`;
    if (!segment.endsWith('\n')) replacement = replacement.replace(/\n$/, '');
    return { start, end, replacement };
  }
  // A flow scalar becomes a literal block at the key's indentation + 2.
  const keyCol = keyNode.range![0] - lineStart(text, keyNode.range![0]);
  const after = text.slice(end, text.indexOf('\n', end) < 0 ? text.length : text.indexOf('\n', end));
  const replacement = `|\n${blockLines(content, ' '.repeat(keyCol + 2))}`.replace(/\n$/, after.trim() === '' ? '' : '\n');
  return { start, end, replacement };
}

function insertCheckEdit(text: string, checks: YAMLSeq, checkID: string, content: string): Edit | string {
  if (checks.flow) return 'the checks list is in flow style';
  const last = checks.items[checks.items.length - 1] as Node | undefined;
  const first = checks.items[0] as Node | undefined;
  if (!last || !first || !isMap(first)) return 'the policy has no checks to follow';
  const firstStart = first.range![0];
  const prefix = text.slice(lineStart(text, firstStart), firstStart); // e.g. "        - "
  if (!/^ *- +$/.test(prefix)) return 'unexpected layout of the checks list';
  const pad = ' '.repeat(prefix.length);
  let at = last.range![2];
  if (at > 0 && text[at - 1] !== '\n') {
    const nl = text.indexOf('\n', at);
    at = nl < 0 ? text.length : nl + 1;
  }
  const needsNl = at === text.length && !text.endsWith('\n') ? '\n' : '';
  const idText = /^[A-Za-z0-9_.-]+$/.test(checkID) ? checkID : JSON.stringify(checkID);
  const replacement = `${needsNl}${prefix}id: ${idText}\n${pad}kyvernoPolicy: |\n${blockLines(content, pad + '  ')}`;
  return { start: at, end: at, replacement };
}

/** Applies adoptions for one spec to the text of the file that defines it. */
export function adoptIntoSpecFile(text: string, specName: string, adoptions: Adoption[]): AdoptResult {
  const applied: Adoption[] = [];
  const skipped: AdoptResult['skipped'] = [];
  const edits: Edit[] = [];
  const contents = new Map<Adoption, string>();
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { text, applied, skipped: adoptions.map((adoption) => ({ adoption, reason: 'the file is empty' })) };
  const broken = docs.find((d) => d.errors.length);
  if (broken) return { text, applied, skipped: adoptions.map((adoption) => ({ adoption, reason: `the file does not parse: ${broken.errors[0]!.message}` })) };
  const doc = findSpecDoc(docs, specName);
  for (const a of adoptions) {
    if (!doc) { skipped.push({ adoption: a, reason: `no ClusterSpecification named ${specName} in the file` }); continue; }
    const policy = findPolicy(doc, a.policyID);
    if (!policy) { skipped.push({ adoption: a, reason: `policy ${a.policyID} is not in the spec` }); continue; }
    const checks = policy.get('checks', true);
    if (!isSeq(checks)) { skipped.push({ adoption: a, reason: `policy ${a.policyID} has no checks list` }); continue; }
    const check = (checks as YAMLSeq).items.find((c): c is YAMLMap => isMap(c) && c.get('id') === a.checkID);
    if (a.type === 'modified') {
      if (!check) { skipped.push({ adoption: a, reason: `check ${a.checkID} is not in policy ${a.policyID}` }); continue; }
      const pair = getPair(check, 'kyvernoPolicy');
      if (!pair || !isScalar(pair.value) || !pair.value.range) { skipped.push({ adoption: a, reason: `check ${a.checkID} has no kyvernoPolicy string` }); continue; }
      const original = String(pair.value.value);
      const content = liveText(a, original);
      if (original.replace(/\s+$/, '') === content.replace(/\s+$/, '')) { skipped.push({ adoption: a, reason: 'the spec already has the live version' }); continue; }
      edits.push(replaceEdit(text, pair.value, pair.key as Node, content));
      contents.set(a, content);
      applied.push(a);
    } else {
      if (check) { skipped.push({ adoption: a, reason: `check ${a.checkID} already exists in policy ${a.policyID}` }); continue; }
      const content = liveText(a);
      const edit = insertCheckEdit(text, checks as YAMLSeq, a.checkID, content);
      if (typeof edit === 'string') { skipped.push({ adoption: a, reason: edit }); continue; }
      edits.push(edit);
      contents.set(a, content);
      applied.push(a);
    }
  }
  // Apply from the end so earlier offsets stay valid; insertions at the same offset keep order.
  let out = text;
  const ordered = edits.map((e, i) => ({ e, i })).sort((x, y) => y.e.start - x.e.start || y.i - x.i);
  for (const { e } of ordered) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  if (applied.length) verify(out, specName, applied, contents);
  return { text: out, applied, skipped };
}

/** Re-parses the edited file and checks each adopted check holds the live policy. */
function verify(text: string, specName: string, applied: Adoption[], contents: Map<Adoption, string>): void {
  const docs = parseAllDocuments(text);
  const bad = Array.isArray(docs) ? docs.find((d) => d.errors.length) : undefined;
  if (!Array.isArray(docs) || bad) throw new Error(`adopt produced YAML that does not parse${bad ? `: ${bad.errors[0]!.message}` : ''}`);
  const doc = findSpecDoc(docs, specName);
  for (const a of applied) {
    const policy = doc && findPolicy(doc, a.policyID);
    const checks = policy?.get('checks', true);
    const check = isSeq(checks) ? (checks as YAMLSeq).items.find((c): c is YAMLMap => isMap(c) && c.get('id') === a.checkID) : undefined;
    const value = check?.get('kyvernoPolicy');
    if (typeof value !== 'string' || value.replace(/\s+$/, '') !== (contents.get(a) ?? '').replace(/\s+$/, '')) {
      throw new Error(`adopt check failed for ${a.policyID}/${a.checkID}`);
    }
  }
}
