/**
 * corosync.conf syntax, read exactly as corosync 3.1.7's coroparse does (exec/coroparse.c
 * `parse_section`), but keeping line and column of everything for findings.
 *
 * The rules, all from coroparse:
 * - one item per line; a line longer than 510 characters is an error ("Line too long").
 * - a trailing "\r" and trailing blanks (space, tab) are dropped.
 * - a line that is empty or whose first non-blank character is `#` is ignored. There are no
 *   inline comments: `token: 3000 # ms` has the value `3000 # ms`.
 * - a line containing `{` opens a section (checked before `:`). The name is the text before the
 *   first `{`, blanks and trailing `:`/`{` removed; nothing may follow the `{`.
 * - otherwise a line containing `:` is `key: value`; key = text before the first `:`, value =
 *   the rest, blanks trimmed. Values are raw: no quoting, quotes are kept, `::` in IPv6 is fine.
 * - otherwise a line containing `}` closes a section and must be exactly `}`.
 * - duplicate keys: the later one overwrites (icmap_set); sections with the same name merge.
 * Errors carry corosync's own message text. Parsing stops at the first error, as corosync does.
 */

/** coroparse reads with fgets into a 512-byte buffer: 510 characters + "\n" + NUL. */
export const MAX_LINE_LENGTH = 510;
/** ICMAP_KEYNAME_MAXLEN (include/corosync/icmap.h). */
export const KEYNAME_MAX_LENGTH = 255;

export type ConfSyntaxCode =
  | 'conf.line-too-long'
  | 'conf.missing-section-name'
  | 'conf.extra-after-open-brace'
  | 'conf.extra-around-close-brace'
  | 'conf.unexpected-close-brace'
  | 'conf.not-section-or-key'
  | 'conf.missing-close-brace'
  | 'conf.path-too-long';

/** A syntax error; `line` and `column` are 1-based; `message` is corosync's text. */
export interface ConfSyntaxError {
  readonly code: ConfSyntaxCode;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  /** Extra context that corosync does not print (e.g. which section is left open). */
  readonly detail?: string;
}

export interface ConfEntry {
  readonly key: string;
  readonly value: string;
  /** Dotted path as coroparse builds it, e.g. `totem.interface.mcastport`. */
  readonly path: string;
  readonly line: number;
  readonly keyColumn: number;
  readonly valueColumn: number;
}

export interface ConfSection {
  /** '' for the file itself. */
  readonly name: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  /** Line of the closing brace (0 for the root). */
  endLine: number;
  /** Entries and sections in file order. */
  readonly items: (ConfEntry | ConfSection)[];
}

export interface ConfDocument {
  readonly root: ConfSection;
  readonly lineCount: number;
}

export type ParseResult = { readonly ok: true; readonly doc: ConfDocument } | { readonly ok: false; readonly error: ConfSyntaxError };

export function isSection(item: ConfEntry | ConfSection): item is ConfSection {
  return 'items' in item;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Index of the first non-blank character at or after `from`. */
function skipBlanks(s: string, from: number): number {
  let i = from;
  while (i < s.length && isBlank(s[i])) i++;
  return i;
}

/** coroparse `remove_whitespace(s, remove_colon_and_brace)`: [start, end) of the kept text. */
function trimRange(s: string, from: number, to: number, colonAndBrace: boolean): [number, number] {
  const start = skipBlanks(s, from);
  let end = to;
  while (end - 1 > start) {
    const c = s[end - 1];
    if (isBlank(c) || (colonAndBrace && (c === ':' || c === '{'))) end--;
    else break;
  }
  return [start, Math.max(start, end)];
}

function err(code: ConfSyntaxCode, message: string, line: number, column: number): ParseResult {
  return { ok: false, error: { code, message, line, column } };
}

/** Parses corosync.conf text. Never throws. */
export function parseConfText(text: string): ParseResult {
  const root: ConfSection = { name: '', path: '', line: 0, column: 0, endLine: 0, items: [] };
  const stack: ConfSection[] = [root];
  const physical = text.split('\n');
  // A final "\n" does not start another line.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  let lineNo = 0;
  for (const rawLine of physical) {
    lineNo++;
    if (rawLine.length > MAX_LINE_LENGTH) {
      return err('conf.line-too-long', 'Line too long', lineNo, MAX_LINE_LENGTH + 1);
    }
    // C strings end at NUL.
    let line = rawLine.includes('\0') ? rawLine.slice(0, rawLine.indexOf('\0')) : rawLine;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    let end = line.length;
    while (end > 0 && isBlank(line[end - 1])) end--;
    line = line.slice(0, end);
    const first = skipBlanks(line, 0);
    if (first >= line.length || line[first] === '#') continue;

    const current = stack[stack.length - 1] ?? root;
    const brace = line.indexOf('{');
    if (brace >= 0) {
      const [ns, ne] = trimRange(line, 0, brace, true);
      const name = line.slice(ns, ne);
      const after = skipBlanks(line, brace + 1);
      if (name === '') return err('conf.missing-section-name', "Missing section name before opening bracket '{'", lineNo, brace + 1);
      if (after < line.length) return err('conf.extra-after-open-brace', "Extra characters after opening bracket '{'", lineNo, after + 1);
      const path = current.path === '' ? name : `${current.path}.${name}`;
      if (path.length >= KEYNAME_MAX_LENGTH) {
        return err('conf.path-too-long', 'Start of section makes total cmap path too long', lineNo, ns + 1);
      }
      const section: ConfSection = { name, path, line: lineNo, column: ns + 1, endLine: 0, items: [] };
      current.items.push(section);
      stack.push(section);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon >= 0) {
      const [ks, ke] = trimRange(line, 0, colon, true);
      const vs = skipBlanks(line, colon + 1);
      const key = line.slice(ks, ke);
      const value = line.slice(vs);
      const path = current.path === '' ? key : `${current.path}.${key}`;
      if (path.length >= KEYNAME_MAX_LENGTH) {
        return err('conf.path-too-long', 'New key makes total cmap path too long', lineNo, ks + 1);
      }
      current.items.push({ key, value, path, line: lineNo, keyColumn: ks + 1, valueColumn: vs + 1 });
      continue;
    }
    const close = line.indexOf('}');
    if (close >= 0) {
      const [ts, te] = trimRange(line, 0, line.length, false);
      if (line.slice(ts, te) !== '}') {
        const bad = ts === close ? skipBlanks(line, close + 1) + 1 : ts + 1;
        return err('conf.extra-around-close-brace', "Extra characters before or after closing bracket '}'", lineNo, bad);
      }
      if (stack.length === 1) return err('conf.unexpected-close-brace', 'Unexpected closing brace', lineNo, close + 1);
      current.endLine = lineNo;
      stack.pop();
      continue;
    }
    return err('conf.not-section-or-key', 'Line is not opening or closing section or key value', lineNo, first + 1);
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1] ?? root;
    // corosync reports the last line read; the column points at the section left open.
    return {
      ok: false,
      error: {
        code: 'conf.missing-close-brace',
        message: 'Missing closing brace',
        line: lineNo,
        column: 1,
        detail: `section '${open.path}' opened at line ${open.line} is not closed`,
      },
    };
  }
  return { ok: true, doc: { root, lineCount: lineNo } };
}

/** corosync's own one-line form: "parser error: FILE:LINE: MESSAGE". */
export function formatSyntaxError(e: ConfSyntaxError, fileName: string): string {
  return `parser error: ${fileName}:${e.line}:${e.column}: ${e.message}`;
}
