// Pattern-key anchors: (key) conditional, <(key) global, =(key) equality, X(key) negation,
// ^(key) existence, +(key) add-if-absent (a mutate anchor; validate treats its key as plain).

export type AnchorKind = 'condition' | 'global' | 'equality' | 'negation' | 'existence' | 'addIfNotPresent';

export interface Anchor {
  kind: AnchorKind;
  key: string;
  modifier: string;
}

const ANCHOR_RE = /^([+<=X^])?\((.+)\)$/;

export function parseAnchor(text: string): Anchor | null {
  const m = ANCHOR_RE.exec(text);
  if (!m) return null;
  const modifier = m[1] ?? '';
  const key = m[2];
  switch (modifier) {
    case '': return { kind: 'condition', key, modifier };
    case '<': return { kind: 'global', key, modifier };
    case '=': return { kind: 'equality', key, modifier };
    case 'X': return { kind: 'negation', key, modifier };
    case '^': return { kind: 'existence', key, modifier };
    default: return { kind: 'addIfNotPresent', key, modifier };
  }
}

/** The key with any anchor removed. */
export function stripAnchor(text: string): string {
  return parseAnchor(text)?.key ?? text;
}

/** Wraps a key in the same anchor as `like`. */
export function wrapLike(like: Anchor | null, key: string): string {
  return like ? `${like.modifier}(${key})` : key;
}

/** Kinds of failure a pattern check can report. */
export type PatternErrorKind = 'fail' | 'condition' | 'global' | 'negation';

export class PatternMismatch {
  kind: PatternErrorKind;
  message: string;
  path: string;
  constructor(kind: PatternErrorKind, message: string, path: string) {
    this.kind = kind;
    this.message = message;
    this.path = path;
  }
  /** Conditional and global anchor mismatches mean "does not apply" rather than "fails". */
  get isSkip(): boolean {
    return this.kind === 'condition' || this.kind === 'global';
  }
}
