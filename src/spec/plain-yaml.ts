// Plain YAML, read fast. Spec files and the policy texts inside them are most of a repository's
// bytes; read with the positioned parser (yaml-documents.ts), the 2.3 MB of 1,000 policies take
// about 0.4 s while the JIT is cold, in every command and every pass.
//
// Most of it is plain YAML: no anchors, aliases, tags, merge keys, odd keys or document markers.
// That is read by js-yaml with its YAML 1.2 core schema, the same scalar rules (null, bool, int,
// float) the positioned parser uses, several times faster. Anything else, and any text js-yaml
// refuses (a duplicate key, say), goes through the positioned parser, whose value and errors
// stand. Positions are only ever needed for a problem, so a fast-read text is parsed again, the
// positioned way, only when one is asked for.
import { CORE_SCHEMA, load } from 'js-yaml';

/**
 * Constructs where the two readers could part ways: a tag, a directive, a merge key, an explicit
 * `?` key or one that is a list or mapping, a key that is null or `__proto__`, a document marker,
 * a number too large for a double (one reader makes it Infinity, the other a string).
 * Matched loosely (inside quoted strings too): a false match only costs time. Aliases are refused
 * by js-yaml itself (maxAliases 0): the positioned parser counts their expanded size. The empty
 * or null key is looked for behind each colon: matched forwards from every space, it took most
 * of this test's time.
 */
const NOT_PLAIN = /(?:^|[\s[{,])!|^%|<<|__proto__|^[ \t]*(?:-\s+)*[?[{]|(?<=(?:^|[\s{,])(?:~|null|Null|NULL)?\s*):(?=\s|$)|^(?:---|\.\.\.)|[\d.][eE][-+]?\d{3}|\d{300}/m;

/**
 * The value of a text that holds one plain YAML mapping, as the positioned parser would read it;
 * undefined for anything else (not plain, not a mapping, refused by js-yaml), which is the
 * positioned parser's to read. Without document markers a plain text is one document.
 */
export function plainMapping(text: string): { value: Record<string, unknown> } | undefined {
  if (NOT_PLAIN.test(text)) return undefined;
  try {
    const value = load(text, { schema: CORE_SCHEMA, maxAliases: 0 });
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value: value as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}
