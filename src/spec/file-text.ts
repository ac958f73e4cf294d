import { isUtf8 } from 'node:buffer';

/** A file's text, or why it cannot be read as UTF-8 YAML (with the line of the first bad byte). */
export type FileText = { text: string } | { error: string; line: number };

/**
 * Decodes a file as UTF-8, the only encoding YAML files in a spec repository may have. Anything
 * else is an error rather than text with U+FFFD in it: a UTF-16 file would otherwise parse as
 * nothing at all, and a stray byte could change a value without anyone seeing it.
 */
export function decodeFileText(bytes: Uint8Array): FileText {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return { error: 'is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8', line: 1 };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { error: 'contains a NUL byte: it is UTF-16 or binary, not UTF-8 text', line: lineAt(bytes, nul) };
  if (!isUtf8(bytes)) return { error: 'is not valid UTF-8', line: lineAt(bytes, firstInvalidUtf8(bytes)) };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return { text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    const code = length === 3 ? ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) : length === 4 ? ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) : 0x80;
    if ((length === 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (length === 4 && (code < 0x10000 || code > 0x10ffff))) return i;
    i += length;
  }
  return bytes.length;
}
