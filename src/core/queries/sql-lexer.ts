import type { DbKind } from '../../protocol';

/**
 * A single-pass SQL lexer for fingerprinting: every character is looked at a bounded number of
 * times and there are no regular expressions, so random or malformed text can neither throw
 * nor take super-linear time. It knows just enough of each dialect to find literals,
 * placeholders, comments and quoted identifiers.
 */

export const enum Tok {
  Word, // keyword or bare identifier, lowercased
  Ident, // quoted identifier kept as written
  Value, // string / number / boolean literal or placeholder: shown as `?`
  Op, // operator run such as =, <>, ::, ||
  Open, // (
  Close, // )
  Comma,
  Dot,
  Semi,
  Other, // any other punctuation, kept as written
}

export interface Token {
  type: Tok;
  text: string;
  /** `$1`/`?`/`:x`/`@x` placeholder (as opposed to an inline literal) */
  placeholder?: boolean;
}

const OP_CHARS = '+-*/<>=~!@#%^&|';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 36; // $ inside identifiers (pg, mysql)
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}
function isPlainIdent(s: string): boolean {
  if (s.length === 0 || !isIdentStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isIdentPart(s.charCodeAt(i))) return false;
  return true;
}

/** Tokens that make a following `-`/`+` a sign rather than a binary operator. */
function signMayFollow(prev: Token | undefined): boolean {
  if (!prev) return true;
  return prev.type === Tok.Op || prev.type === Tok.Open || prev.type === Tok.Comma || prev.type === Tok.Word;
}

const BOOLEANS = new Set(['true', 'false']);

export function lexSql(sql: string, db: DbKind): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  const backslashEscapes = db === 'mysql';
  // MySQL (and the JSON-ish text of document stores) quote strings with `"` as well.
  const doubleQuoteIsString = db === 'mysql' || db === 'mongodb' || db === 'redis' || db === 'other';
  const hashComment = db === 'mysql';
  let i = 0;

  const pushValue = (placeholder: boolean) => out.push({ type: Tok.Value, text: '?', placeholder });

  /** Index just past a quoted run starting at `start` (the opening quote). */
  const skipQuoted = (start: number, quote: number, backslash: boolean): number => {
    let j = start + 1;
    while (j < n) {
      const c = sql.charCodeAt(j);
      if (backslash && c === 92) {
        j += 2;
        continue;
      }
      if (c === quote) {
        if (j + 1 < n && sql.charCodeAt(j + 1) === quote) {
          j += 2; // doubled quote = escaped quote
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n; // unterminated: the rest is the literal
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : -1;
    // comments
    if ((c === 45 && next === 45) || (c === 35 && hashComment)) {
      while (i < n && sql.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && next === 42) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const d = sql.charCodeAt(i);
        const e = i + 1 < n ? sql.charCodeAt(i + 1) : -1;
        if (d === 42 && e === 47) {
          depth--;
          i += 2;
        } else if (d === 47 && e === 42) {
          depth++;
          i += 2;
        } else i++;
      }
      continue;
    }
    // strings
    if (c === 39) {
      i = skipQuoted(i, 39, backslashEscapes);
      pushValue(false);
      continue;
    }
    if (c === 34) {
      const end = skipQuoted(i, 34, backslashEscapes);
      const inner = sql.slice(i + 1, Math.max(i + 1, end - 1));
      let k = end;
      while (k < n && isSpace(sql.charCodeAt(k))) k++;
      const isKey = k < n && sql.charCodeAt(k) === 58 && (k + 1 >= n || sql.charCodeAt(k + 1) !== 58);
      if (doubleQuoteIsString && !isKey) pushValue(false);
      else if (isPlainIdent(inner) && (db !== 'postgres' || inner === inner.toLowerCase()))
        out.push({ type: Tok.Word, text: inner.toLowerCase() });
      else out.push({ type: Tok.Ident, text: sql.slice(i, end) });
      i = end;
      continue;
    }
    if (c === 96) {
      const end = skipQuoted(i, 96, false);
      const inner = sql.slice(i + 1, Math.max(i + 1, end - 1));
      out.push(isPlainIdent(inner) ? { type: Tok.Word, text: inner.toLowerCase() } : { type: Tok.Ident, text: sql.slice(i, end) });
      i = end;
      continue;
    }
    // numbers (also .5, 1e-3, 0x1f) and signed numbers
    if (isDigit(c) || (c === 46 && isDigit(next)) || ((c === 45 || c === 43) && (isDigit(next) || next === 46) && signMayFollow(out[out.length - 1]))) {
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (isDigit(d) || d === 46 || isIdentStart(d)) i++;
        else if ((d === 45 || d === 43) && (sql.charCodeAt(i - 1) | 32) === 101 && !isHexPrefixed(sql, i)) i++;
        else break;
      }
      pushValue(false);
      continue;
    }
    // placeholders
    if (c === 36) {
      if (isDigit(next)) {
        i += 2;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        pushValue(true);
        continue;
      }
      // dollar-quoted string: $$…$$ or $tag$…$tag$
      let j = i + 1;
      while (j < n && isIdentPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
      if (j < n && sql.charCodeAt(j) === 36) {
        const tag = sql.slice(i, j + 1);
        const close = sql.indexOf(tag, j + 1);
        i = close < 0 ? n : close + tag.length;
        pushValue(false);
        continue;
      }
      out.push({ type: Tok.Other, text: '$' });
      i++;
      continue;
    }
    if (c === 63) {
      // ?, ?1 (sqlite); `?|` `?&` are jsonb operators in postgres but rare in driver text
      i++;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      pushValue(true);
      continue;
    }
    if (c === 58 && next !== 58 && isIdentStart(next) && out[out.length - 1]?.type !== Tok.Other) {
      // :name — but not the `::` cast (handled as an operator below)
      const prev = i > 0 ? sql.charCodeAt(i - 1) : -1;
      if (prev !== 58) {
        i += 2;
        while (i < n && isIdentPart(sql.charCodeAt(i))) i++;
        pushValue(true);
        continue;
      }
    }
    if (c === 64 && (isIdentStart(next) || isDigit(next))) {
      i += 2;
      while (i < n && isIdentPart(sql.charCodeAt(i))) i++;
      pushValue(true);
      continue;
    }
    // words, including prefixed strings E'..', N'..', X'..', B'..'
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n && isIdentPart(sql.charCodeAt(i))) i++;
      if (i < n && sql.charCodeAt(i) === 39 && i - start <= 2) {
        const prefix = sql.slice(start, i).toLowerCase();
        if (prefix === 'e' || prefix === 'n' || prefix === 'x' || prefix === 'b' || prefix === 'u&') {
          i = skipQuoted(i, 39, backslashEscapes || prefix === 'e');
          pushValue(false);
          continue;
        }
      }
      const word = sql.slice(start, i).toLowerCase();
      if (BOOLEANS.has(word)) pushValue(false);
      else out.push({ type: Tok.Word, text: word });
      continue;
    }
    if (c === 40) out.push({ type: Tok.Open, text: '(' });
    else if (c === 41) out.push({ type: Tok.Close, text: ')' });
    else if (c === 44) out.push({ type: Tok.Comma, text: ',' });
    else if (c === 46) out.push({ type: Tok.Dot, text: '.' });
    else if (c === 59) out.push({ type: Tok.Semi, text: ';' });
    else if (c === 58 || OP_CHARS.indexOf(sql[i]) >= 0) {
      // operator run; stop before a comment opener so `=--x` still drops the comment
      const start = i;
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (!(d === 58 || OP_CHARS.indexOf(sql[i]) >= 0)) break;
        const e = i + 1 < n ? sql.charCodeAt(i + 1) : -1;
        if ((d === 45 && e === 45) || (d === 47 && e === 42)) break;
        i++;
      }
      out.push({ type: Tok.Op, text: sql.slice(start, i) });
      continue;
    } else out.push({ type: Tok.Other, text: sql[i] });
    i++;
  }
  return out;
}

/** `0x1e-5`: the `e` is a hex digit, not an exponent. */
function isHexPrefixed(sql: string, at: number): boolean {
  let j = at - 1;
  while (j > 0 && isIdentPart(sql.charCodeAt(j - 1))) j--;
  return (sql.charCodeAt(j) === 48 && (sql.charCodeAt(j + 1) | 32) === 120) || false;
}
