/**
 * The edit of a promotion pull request: `enforcementMode: monitor` becomes `enforce` in the file
 * that defines the spec. Only the value's own characters change (its quoting kept); comments,
 * order and every other document stay byte for byte. Pure.
 */
import { isScalar, parseAllDocuments } from 'yaml';
import { findSpecDoc } from './adopt.ts';

export type PromoteEdit =
  | { ok: true; text: string }
  | { ok: false; alreadyEnforce?: boolean; reason: string };

export function switchToEnforce(text: string, specName: string): PromoteEdit {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { ok: false, reason: 'the file is empty' };
  const broken = docs.find((d) => d.errors.length);
  if (broken) return { ok: false, reason: `the file does not parse: ${broken.errors[0]!.message}` };
  const doc = findSpecDoc(docs, specName);
  if (!doc) return { ok: false, reason: `no ClusterSpecification named ${specName} in the file` };
  const node = doc.getIn(['spec', 'enforcementMode'], true);
  if (!isScalar(node) || !node.range) return { ok: false, reason: 'spec.enforcementMode is not a plain value' };
  if (node.value === 'enforce') return { ok: false, alreadyEnforce: true, reason: 'the spec is already in enforce mode' };
  if (node.value !== 'monitor') return { ok: false, reason: `spec.enforcementMode is ${JSON.stringify(node.value)}, not monitor` };
  const quote = node.type === 'QUOTE_DOUBLE' ? '"' : node.type === 'QUOTE_SINGLE' ? "'" : '';
  const [start, end] = node.range;
  const out = `${text.slice(0, start)}${quote}enforce${quote}${text.slice(end)}`;
  // The edit must say what it means: the same file with only this value changed.
  const again = parseAllDocuments(out);
  const edited = Array.isArray(again) && !again.some((d) => d.errors.length) ? findSpecDoc(again, specName) : undefined;
  if (edited?.getIn(['spec', 'enforcementMode']) !== 'enforce') return { ok: false, reason: 'the edited file does not say enforcementMode: enforce' };
  return { ok: true, text: out };
}
