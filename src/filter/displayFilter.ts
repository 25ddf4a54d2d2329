/**
 * A small display-filter language over catalog field names, after Wireshark's:
 *
 *   expr    := or
 *   or      := and (('||' | 'or') and)*
 *   and     := unary (('&&' | 'and') unary)*
 *   unary   := ('!' | 'not') unary | '(' expr ')' | test
 *   test    := FIELD [op value]            a bare FIELD tests presence
 *   op      := == != < > <= >= (or eq ne lt gt le ge), contains
 *   value   := number (decimal or 0x hex) | "string" | bare word (192.0.2.1, 1.d, udpu)
 *
 * Semantics follow Wireshark: a field may occur several times in a frame (rtr items, join lists);
 * `==`, `<`, `>`, ... match when ANY occurrence matches, `!=` when NO occurrence equals. A comparison
 * on an absent field is false. Numbers compare numerically (bigint-safe); a value that is not a
 * number compares as text, so `corosync_totemsrp.memb_ring_id == 1.d` and `ip.src == 192.0.2.1` work.
 */
import type { FieldValue } from '../../dissectors/catalog.ts';

export type FieldLookup = (name: string) => readonly FieldValue[] | undefined;

type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'contains';

type Expr =
  | { readonly t: 'or' | 'and'; readonly a: Expr; readonly b: Expr }
  | { readonly t: 'not'; readonly a: Expr }
  | { readonly t: 'present'; readonly field: string }
  | { readonly t: 'cmp'; readonly field: string; readonly op: CompareOp; readonly value: string };

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} (at column ${column + 1})`);
    this.name = 'FilterSyntaxError';
  }
}

interface Token {
  readonly kind: 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'eof';
  readonly text: string;
  readonly pos: number;
}

const OPERATOR_ALIASES: Readonly<Record<string, CompareOp>> = {
  '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>',
  '<=': '<=', le: '<=', '>=': '>=', ge: '>=', contains: 'contains',
};

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, pos: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterSyntaxError('unterminated string', i);
      out.push({ kind: 'string', text, pos: i });
      i = j + 1;
    } else if ('=!<>&|'.includes(c)) {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
        out.push({ kind: 'op', text: two, pos: i });
        i += 2;
      } else if (c === '<' || c === '>' || c === '!') {
        out.push({ kind: 'op', text: c, pos: i });
        i++;
      } else {
        throw new FilterSyntaxError(`unexpected '${c}'`, i);
      }
    } else {
      let j = i;
      while (j < src.length && !' \t\n()"=!<>&|'.includes(src[j]!)) j++;
      out.push({ kind: 'word', text: src.slice(i, j), pos: i });
      i = j;
    }
  }
  out.push({ kind: 'eof', text: '', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly knownField: (name: string) => boolean,
  ) {}

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'eof') throw new FilterSyntaxError(`unexpected '${t.text}'`, t.pos);
    return e;
  }

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    return this.toks[this.i++]!;
  }

  private isWordOp(t: Token, words: readonly string[]): boolean {
    return (t.kind === 'op' || t.kind === 'word') && words.includes(t.text);
  }

  private or(): Expr {
    let a = this.and();
    while (this.isWordOp(this.peek(), ['||', 'or'])) {
      this.next();
      a = { t: 'or', a, b: this.and() };
    }
    return a;
  }

  private and(): Expr {
    let a = this.unary();
    while (this.isWordOp(this.peek(), ['&&', 'and'])) {
      this.next();
      a = { t: 'and', a, b: this.unary() };
    }
    return a;
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isWordOp(t, ['!', 'not'])) {
      this.next();
      return { t: 'not', a: this.unary() };
    }
    if (t.kind === 'lparen') {
      this.next();
      const e = this.or();
      const close = this.next();
      if (close.kind !== 'rparen') throw new FilterSyntaxError("expected ')'", close.pos);
      return e;
    }
    return this.test();
  }

  private test(): Expr {
    const f = this.next();
    if (f.kind !== 'word') throw new FilterSyntaxError(`expected a field name, got '${f.text || 'end'}'`, f.pos);
    if (!this.knownField(f.text)) throw new FilterSyntaxError(`unknown field '${f.text}'`, f.pos);
    const opTok = this.peek();
    const op = (opTok.kind === 'op' || opTok.kind === 'word') ? OPERATOR_ALIASES[opTok.text] : undefined;
    if (op === undefined) return { t: 'present', field: f.text };
    this.next();
    const v = this.next();
    if (v.kind !== 'word' && v.kind !== 'string') throw new FilterSyntaxError(`expected a value after '${opTok.text}'`, v.pos);
    return { t: 'cmp', field: f.text, op, value: v.text };
  }
}

function parseNumber(s: string): bigint | undefined {
  if (/^-?\d+$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  return undefined;
}

function asBigInt(v: FieldValue): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return undefined;
}

function asText(v: FieldValue): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return String(v);
}

function compareOne(v: FieldValue, op: CompareOp, raw: string, num: bigint | undefined): boolean {
  if (op === 'contains') return asText(v).includes(raw);
  const vn = asBigInt(v);
  let c: number;
  if (num !== undefined && vn !== undefined) {
    c = vn < num ? -1 : vn > num ? 1 : 0;
  } else if (num !== undefined && typeof v === 'number') {
    const n = Number(num);
    c = v < n ? -1 : v > n ? 1 : 0;
  } else {
    const text = asText(v);
    // Byte strings compare as hex; allow aa:bb or aabb.
    const rhs = v instanceof Uint8Array ? raw.replace(/[:\s]/g, '').toLowerCase() : raw;
    c = text < rhs ? -1 : text > rhs ? 1 : 0;
  }
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '>': return c > 0;
    case '<=': return c <= 0;
    case '>=': return c >= 0;
  }
}

function evaluate(e: Expr, lookup: FieldLookup): boolean {
  switch (e.t) {
    case 'or': return evaluate(e.a, lookup) || evaluate(e.b, lookup);
    case 'and': return evaluate(e.a, lookup) && evaluate(e.b, lookup);
    case 'not': return !evaluate(e.a, lookup);
    case 'present': {
      const vs = lookup(e.field);
      return vs !== undefined && vs.length > 0;
    }
    case 'cmp': {
      const vs = lookup(e.field);
      if (vs === undefined || vs.length === 0) return false;
      const num = parseNumber(e.value);
      if (e.op === '!=') return vs.every((v) => compareOne(v, '!=', e.value, num));
      return vs.some((v) => compareOne(v, e.op, e.value, num));
    }
  }
}

export interface DisplayFilter {
  readonly source: string;
  /** Field names the filter reads: lets the caller skip building trees it does not need. */
  readonly fields: readonly string[];
  matches(lookup: FieldLookup): boolean;
}

function collectFields(e: Expr, out: Set<string>): void {
  switch (e.t) {
    case 'or':
    case 'and':
      collectFields(e.a, out);
      collectFields(e.b, out);
      break;
    case 'not':
      collectFields(e.a, out);
      break;
    case 'present':
    case 'cmp':
      out.add(e.field);
      break;
  }
}

/** Compiles a filter; throws FilterSyntaxError (with the column) on bad syntax or unknown fields. */
export function compileFilter(source: string, knownField: (name: string) => boolean): DisplayFilter {
  const expr = new Parser(tokenize(source), knownField).parse();
  const fields = new Set<string>();
  collectFields(expr, fields);
  return { source, fields: [...fields], matches: (lookup) => evaluate(expr, lookup) };
}
