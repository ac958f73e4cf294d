// Tokenizer for JMESPath expressions.

export type TokenType =
  | 'unquoted' | 'quoted' | 'literal' | 'number'
  | 'dot' | 'star' | 'flatten' | 'filter' | 'lbracket' | 'rbracket' | 'lbrace' | 'rbrace'
  | 'lparen' | 'rparen' | 'comma' | 'colon' | 'pipe' | 'or' | 'and' | 'not'
  | 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'current' | 'root' | 'expref' | 'eof'
  | 'plus' | 'minus' | 'multiply' | 'divide' | 'modulo' | 'div' | 'variable' | 'assign';

export interface Token {
  type: TokenType;
  value?: unknown;
  pos: number;
}

export class JMESPathError extends Error {}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const start = i;
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(text[j])) j++;
      tokens.push({ type: 'unquoted', value: text.slice(i, j), pos: start });
      i = j;
      continue;
    }
    // "-5" is a negative number, except right after an operand, where it is a subtraction.
    if ((c >= '0' && c <= '9') || (c === '-' && i + 1 < n && text[i + 1] >= '0' && text[i + 1] <= '9' && !afterOperand(tokens))) {
      let j = i + 1;
      while (j < n && text[j] >= '0' && text[j] <= '9') j++;
      tokens.push({ type: 'number', value: Number(text.slice(i, j)), pos: start });
      i = j;
      continue;
    }
    switch (c) {
      case '.': tokens.push({ type: 'dot', pos: start }); i++; continue;
      case '*': tokens.push({ type: 'star', pos: start }); i++; continue;
      case ',': tokens.push({ type: 'comma', pos: start }); i++; continue;
      case ':': tokens.push({ type: 'colon', pos: start }); i++; continue;
      case '{': tokens.push({ type: 'lbrace', pos: start }); i++; continue;
      case '}': tokens.push({ type: 'rbrace', pos: start }); i++; continue;
      case '(': tokens.push({ type: 'lparen', pos: start }); i++; continue;
      case ')': tokens.push({ type: 'rparen', pos: start }); i++; continue;
      case ']': tokens.push({ type: 'rbracket', pos: start }); i++; continue;
      case '@': tokens.push({ type: 'current', pos: start }); i++; continue;
      case '$': {
        // `$name` is a variable bound by `let`; a bare `$` is the root.
        if (i + 1 < n && IDENT_START.test(text[i + 1])) {
          let j = i + 2;
          while (j < n && IDENT_PART.test(text[j])) j++;
          tokens.push({ type: 'variable', value: text.slice(i + 1, j), pos: start });
          i = j;
          continue;
        }
        tokens.push({ type: 'root', pos: start }); i++; continue;
      }
      case '+': tokens.push({ type: 'plus', pos: start }); i++; continue;
      case '-': case '\u2212': tokens.push({ type: 'minus', pos: start }); i++; continue;
      case '\u00d7': tokens.push({ type: 'multiply', pos: start }); i++; continue;
      case '\u00f7': tokens.push({ type: 'divide', pos: start }); i++; continue;
      case '%': tokens.push({ type: 'modulo', pos: start }); i++; continue;
      case '/':
        if (text[i + 1] === '/') { tokens.push({ type: 'div', pos: start }); i += 2; continue; }
        tokens.push({ type: 'divide', pos: start }); i++; continue;
      case '[':
        if (text[i + 1] === ']') { tokens.push({ type: 'flatten', pos: start }); i += 2; continue; }
        if (text[i + 1] === '?') { tokens.push({ type: 'filter', pos: start }); i += 2; continue; }
        tokens.push({ type: 'lbracket', pos: start }); i++; continue;
      case '|':
        if (text[i + 1] === '|') { tokens.push({ type: 'or', pos: start }); i += 2; continue; }
        tokens.push({ type: 'pipe', pos: start }); i++; continue;
      case '&':
        if (text[i + 1] === '&') { tokens.push({ type: 'and', pos: start }); i += 2; continue; }
        tokens.push({ type: 'expref', pos: start }); i++; continue;
      case '!':
        if (text[i + 1] === '=') { tokens.push({ type: 'ne', pos: start }); i += 2; continue; }
        tokens.push({ type: 'not', pos: start }); i++; continue;
      case '=':
        if (text[i + 1] === '=') { tokens.push({ type: 'eq', pos: start }); i += 2; continue; }
        if (isLetAssignment(tokens)) { tokens.push({ type: 'assign', pos: start }); i++; continue; }
        throw new JMESPathError(`unexpected '=' at position ${i} in ${JSON.stringify(text)}`);
      case '<':
        if (text[i + 1] === '=') { tokens.push({ type: 'lte', pos: start }); i += 2; continue; }
        tokens.push({ type: 'lt', pos: start }); i++; continue;
      case '>':
        if (text[i + 1] === '=') { tokens.push({ type: 'gte', pos: start }); i += 2; continue; }
        tokens.push({ type: 'gt', pos: start }); i++; continue;
      case '"': {
        const end = scanDelimited(text, i, '"');
        const raw = text.slice(i, end + 1);
        let value: string;
        try { value = JSON.parse(raw) as string; } catch { throw new JMESPathError(`invalid quoted identifier ${raw}`); }
        tokens.push({ type: 'quoted', value, pos: start });
        i = end + 1;
        continue;
      }
      case "'": {
        const end = scanDelimited(text, i, "'");
        // Raw strings unescape \' and \\ (as the JMESPath community lexer Kyverno uses does).
        const value = text.slice(i + 1, end).replace(/\\(['\\])/g, '$1');
        tokens.push({ type: 'literal', value, pos: start });
        i = end + 1;
        continue;
      }
      case '`': {
        const end = scanDelimited(text, i, '`');
        const body = text.slice(i + 1, end).replace(/\\`/g, '`').trim();
        let value: unknown;
        try {
          value = JSON.parse(body);
        } catch {
          try { value = JSON.parse(`"${body}"`); } catch { throw new JMESPathError(`invalid JSON literal ${body}`); }
        }
        tokens.push({ type: 'literal', value, pos: start });
        i = end + 1;
        continue;
      }
      default:
        throw new JMESPathError(`unexpected character ${JSON.stringify(c)} at position ${i} in ${JSON.stringify(text)}`);
    }
  }
  tokens.push({ type: 'eof', pos: n });
  return tokens;
}

const OPERAND_END = new Set<TokenType>(['unquoted', 'quoted', 'literal', 'number', 'rbracket', 'rparen', 'rbrace', 'current', 'root', 'variable', 'flatten', 'star']);

function afterOperand(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return last !== undefined && OPERAND_END.has(last.type);
}

/** `=` is only valid in `let $x = ...` (after a variable that follows `let` or a comma). */
function isLetAssignment(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return last !== undefined && last.type === 'variable';
}

function scanDelimited(text: string, start: number, delim: string): number {
  let j = start + 1;
  while (j < text.length) {
    if (text[j] === '\\') { j += 2; continue; }
    if (text[j] === delim) return j;
    j++;
  }
  throw new JMESPathError(`unterminated ${delim} starting at position ${start}`);
}
