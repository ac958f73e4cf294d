// Pratt parser turning JMESPath tokens into an AST.
import { tokenize, JMESPathError } from './lexer.ts';
import type { Token, TokenType } from './lexer.ts';

export type Node =
  | { t: 'identity' }
  | { t: 'current' }
  | { t: 'root' }
  | { t: 'literal'; value: unknown }
  | { t: 'field'; name: string }
  | { t: 'sub'; left: Node; right: Node }
  | { t: 'index'; left: Node; index: number }
  | { t: 'slice'; left: Node; start: number | null; stop: number | null; step: number | null }
  | { t: 'project'; left: Node; right: Node }
  | { t: 'valueProject'; left: Node; right: Node }
  | { t: 'filter'; left: Node; cond: Node; right: Node }
  | { t: 'flatten'; left: Node }
  | { t: 'multiList'; items: Node[] }
  | { t: 'multiHash'; entries: Array<[string, Node]> }
  | { t: 'pipe'; left: Node; right: Node }
  | { t: 'or'; left: Node; right: Node }
  | { t: 'and'; left: Node; right: Node }
  | { t: 'not'; expr: Node }
  | { t: 'cmp'; op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte'; left: Node; right: Node }
  | { t: 'call'; name: string; args: Node[] }
  | { t: 'expref'; expr: Node }
  | { t: 'arith'; op: ArithOp; left: Node; right: Node }
  | { t: 'unary'; op: 'plus' | 'minus'; expr: Node }
  | { t: 'let'; bindings: Array<[string, Node]>; body: Node }
  | { t: 'variable'; name: string };

export type ArithOp = 'plus' | 'minus' | 'multiply' | 'divide' | 'modulo' | 'div';

const BP: Partial<Record<TokenType, number>> = {
  pipe: 1, or: 2, and: 3, eq: 5, ne: 5, lt: 5, lte: 5, gt: 5, gte: 5,
  plus: 6, minus: 6, multiply: 7, divide: 7, modulo: 7, div: 7,
  flatten: 9, star: 20, filter: 21, dot: 40, not: 45, lbrace: 50, lbracket: 55, lparen: 60,
};
const bp = (t: TokenType): number => BP[t] ?? 0;
const IDENTITY: Node = { t: 'identity' };

class Parser {
  private tokens: Token[];
  private i = 0;
  private text: string;
  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  parse(): Node {
    const node = this.expression(0);
    if (this.peek() !== 'eof') this.fail(`unexpected token ${this.peek()}`);
    return node;
  }

  private peek(k = 0): TokenType { return this.tokens[this.i + k].type; }
  private next(): Token { return this.tokens[this.i++]; }
  private expect(t: TokenType): Token {
    const tok = this.next();
    if (tok.type !== t) this.fail(`expected ${t}, found ${tok.type}`, tok.pos);
    return tok;
  }
  private fail(msg: string, pos?: number): never {
    throw new JMESPathError(`syntax error in ${JSON.stringify(this.text)}${pos !== undefined ? ` at ${pos}` : ''}: ${msg}`);
  }

  private expression(rbp: number): Node {
    let left = this.nud(this.next());
    while (rbp < bp(this.peek())) left = this.led(this.next(), left);
    return left;
  }

  private nud(tok: Token): Node {
    switch (tok.type) {
      case 'literal': return { t: 'literal', value: tok.value };
      case 'unquoted':
        if (tok.value === 'let' && this.peek() === 'variable') return this.letExpression();
        return { t: 'field', name: tok.value as string };
      case 'variable': return { t: 'variable', name: tok.value as string };
      case 'number': return { t: 'literal', value: tok.value };
      case 'plus': case 'minus':
        return { t: 'unary', op: tok.type, expr: this.expression(bp('plus')) };
      case 'quoted':
        if (this.peek() === 'lparen') this.fail('quoted identifier cannot be a function name', tok.pos);
        return { t: 'field', name: tok.value as string };
      case 'star': return { t: 'valueProject', left: IDENTITY, right: this.projectionRHS(bp('star')) };
      case 'filter': return this.led(tok, IDENTITY);
      case 'lbrace': return this.multiHash();
      case 'flatten': return { t: 'project', left: { t: 'flatten', left: IDENTITY }, right: this.projectionRHS(bp('flatten')) };
      case 'lbracket': {
        const p = this.peek();
        if (p === 'number' || p === 'colon') return this.indexOrSlice(IDENTITY);
        if (p === 'star' && this.peek(1) === 'rbracket') {
          this.i += 2;
          return { t: 'project', left: IDENTITY, right: this.projectionRHS(bp('star')) };
        }
        return this.multiList();
      }
      case 'current': return { t: 'current' };
      case 'root': return { t: 'root' };
      case 'expref': return { t: 'expref', expr: this.expression(bp('expref')) };
      case 'not': return { t: 'not', expr: this.expression(bp('not')) };
      case 'lparen': {
        const e = this.expression(0);
        this.expect('rparen');
        return e;
      }
      default: return this.fail(`unexpected token ${tok.type}`, tok.pos);
    }
  }

  private led(tok: Token, left: Node): Node {
    switch (tok.type) {
      case 'dot':
        if (this.peek() === 'star') {
          this.i++;
          return { t: 'valueProject', left, right: this.projectionRHS(bp('dot')) };
        }
        return { t: 'sub', left, right: this.dotRHS(bp('dot')) };
      case 'pipe': return { t: 'pipe', left, right: this.expression(bp('pipe')) };
      case 'or': return { t: 'or', left, right: this.expression(bp('or')) };
      case 'and': return { t: 'and', left, right: this.expression(bp('and')) };
      case 'lparen': {
        if (left.t !== 'field') this.fail('invalid function call', tok.pos);
        const args: Node[] = [];
        while (this.peek() !== 'rparen') {
          args.push(this.expression(0));
          if (this.peek() === 'comma') this.i++;
          else if (this.peek() !== 'rparen') this.fail('expected , or )');
        }
        this.i++;
        return { t: 'call', name: left.name, args };
      }
      case 'filter': {
        const cond = this.expression(0);
        this.expect('rbracket');
        const right = this.peek() === 'flatten' ? IDENTITY : this.projectionRHS(bp('filter'));
        return { t: 'filter', left, cond, right };
      }
      case 'flatten': return { t: 'project', left: { t: 'flatten', left }, right: this.projectionRHS(bp('flatten')) };
      case 'eq': case 'ne': case 'lt': case 'lte': case 'gt': case 'gte':
        return { t: 'cmp', op: tok.type, left, right: this.expression(bp(tok.type)) };
      case 'plus': case 'minus': case 'multiply': case 'divide': case 'modulo': case 'div':
        return { t: 'arith', op: tok.type, left, right: this.expression(bp(tok.type)) };
      case 'star':
        // A star after a complete operand is multiplication (`a * b`).
        return { t: 'arith', op: 'multiply', left, right: this.expression(bp('multiply')) };
      case 'lbracket': {
        const p = this.peek();
        if (p === 'number' || p === 'colon') return this.indexOrSlice(left);
        this.expect('star');
        this.expect('rbracket');
        return { t: 'project', left, right: this.projectionRHS(bp('star')) };
      }
      default: return this.fail(`unexpected token ${tok.type}`, tok.pos);
    }
  }

  /** `let $a = expr, $b = expr in body` (JEP-18 lexical scoping). */
  private letExpression(): Node {
    const bindings: Array<[string, Node]> = [];
    for (;;) {
      const v = this.expect('variable');
      this.expect('assign');
      bindings.push([v.value as string, this.expression(0)]);
      if (this.peek() === 'comma') { this.i++; continue; }
      const kw = this.next();
      if (kw.type !== 'unquoted' || kw.value !== 'in') this.fail('expected "in" after let bindings', kw.pos);
      return { t: 'let', bindings, body: this.expression(0) };
    }
  }

  private indexOrSlice(left: Node): Node {
    const parts: Array<number | null> = [null, null, null];
    let idx = 0;
    let sawColon = false;
    while (this.peek() !== 'rbracket') {
      const tok = this.next();
      if (tok.type === 'colon') {
        sawColon = true;
        idx++;
        if (idx > 2) this.fail('too many colons in slice', tok.pos);
      } else if (tok.type === 'number') {
        parts[idx] = tok.value as number;
      } else this.fail(`unexpected ${tok.type} in index`, tok.pos);
    }
    this.i++;
    if (!sawColon) return { t: 'index', left, index: parts[0] ?? 0 };
    const slice: Node = { t: 'slice', left, start: parts[0], stop: parts[1], step: parts[2] };
    return { t: 'project', left: slice, right: this.projectionRHS(bp('star')) };
  }

  private projectionRHS(rbp: number): Node {
    const p = this.peek();
    if (bp(p) < 10) return IDENTITY;
    if (p === 'lbracket' || p === 'filter') return this.expression(rbp);
    if (p === 'dot') {
      this.i++;
      return this.dotRHS(rbp);
    }
    return this.fail(`unexpected token ${p} after projection`);
  }

  private dotRHS(rbp: number): Node {
    const p = this.peek();
    if (p === 'unquoted' || p === 'quoted' || p === 'star') return this.expression(rbp);
    if (p === 'lbracket') { this.i++; return this.multiList(); }
    if (p === 'lbrace') { this.i++; return this.multiHash(); }
    return this.fail(`unexpected token ${p} after dot`);
  }

  private multiList(): Node {
    const items: Node[] = [];
    for (;;) {
      items.push(this.expression(0));
      if (this.peek() === 'comma') { this.i++; continue; }
      this.expect('rbracket');
      return { t: 'multiList', items };
    }
  }

  private multiHash(): Node {
    const entries: Array<[string, Node]> = [];
    for (;;) {
      const key = this.next();
      if (key.type !== 'unquoted' && key.type !== 'quoted') this.fail('expected key in multiselect hash', key.pos);
      this.expect('colon');
      entries.push([key.value as string, this.expression(0)]);
      if (this.peek() === 'comma') { this.i++; continue; }
      this.expect('rbrace');
      return { t: 'multiHash', entries };
    }
  }
}

const cache = new Map<string, Node>();

/** Parses (and memoizes) a JMESPath expression. */
export function parse(text: string): Node {
  let node = cache.get(text);
  if (!node) {
    node = new Parser(text).parse();
    if (cache.size > 5000) cache.clear();
    cache.set(text, node);
  }
  return node;
}
