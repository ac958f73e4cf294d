/**
 * Text from a repository, a manifest or a URL on its way to a terminal, with control characters
 * escaped: an escape sequence in a file name or a YAML value could otherwise move the cursor,
 * rewrite earlier lines, retitle the window or hide text. C0 and C1 controls, DEL and the
 * bidirectional overrides are written as \xNN or \uNNNN; everything else is left as it is.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One line per message, each escaped: a newline inside a message cannot forge another line. */
export function terminalLine(message: string): string {
  return `${escapeControlCharacters(message)}\n`;
}
