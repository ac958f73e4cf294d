// Text that came from inputs (manifests, policies, test files) printed on a terminal. A resource
// name or message may hold escape sequences that move the cursor, rewrite earlier lines, set the
// window title or hide text, or bidirectional overrides that reorder what is shown; all of them
// are printed as visible escapes (`\x1b`, `\u202e`) instead.

// C0 controls except tab and newline, DEL, C1 controls, and Unicode's bidirectional controls.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with control characters made visible; tabs and newlines are kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** `text` on one line for a table cell: every control character, tab and newline made visible. */
export function terminalSafeCell(text: string): string {
  return terminalSafe(text).replace(/[\t\n]/g, escape);
}
