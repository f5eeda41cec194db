/**
 * A small JavaScript / TypeScript scanner: just enough to find functions and statements in
 * source text without miscounting braces (strings, template literals with `${}`, comments and
 * regex literals are skipped as units). Pure: text in, tokens and functions out.
 */

export type TokenType = 'id' | 'num' | 'str' | 'tpl' | 'regex' | 'punct';

export interface Token {
  type: TokenType;
  value: string;
  /** offset in the text (UTF-16 units, as V8 counts columns) */
  start: number;
  /** 1-based line and column */
  line: number;
  column: number;
  /** a line break comes between this token and the one before */
  nl: boolean;
}

export interface FunctionInfo {
  name: string;
  /** offset V8 reports as the function's position: its parameter list (or `async`) */
  start: number;
  /** token index of the first token of the function (params or `function`/`async`) */
  first: number;
  paramsOpen: number;
  paramsClose: number;
  /** token indexes of the body: `{`…`}` for blocks, first…last token of an arrow's expression */
  bodyOpen: number;
  bodyClose: number;
  block: boolean;
  arrow: boolean;
}

export interface Scan {
  text: string;
  tokens: Token[];
  /** index of the matching bracket for every ( ) [ ] { } token, -1 for others */
  match: Int32Array;
  functions: FunctionInfo[];
  lineStarts: number[];
}

const PUNCT = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<', '>>',
];
/** After these keywords a `/` starts a regex, not a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);
/** Words that take a parenthesised head before a block: `if (x) {` is not a method. */
const NOT_METHOD = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'function', 'return', 'typeof', 'await', 'yield', 'new', 'super', 'import', 'else', 'do', 'try', 'finally']);

const isIdStart = (c: string) => /[A-Za-z_$#\u0080-\uffff]/.test(c);
const isIdPart = (c: string) => /[\w$\u0080-\uffff]/.test(c);

export function tokenize(text: string): { tokens: Token[]; lineStarts: number[] } {
  const tokens: Token[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  let line = 1;
  let lineStart = 0;
  let nl = false;
  // each `${` of a template pushes true; ordinary `{` pushes false
  const braces: boolean[] = [];
  let i = 0;
  const n = text.length;
  const newline = (at: number) => {
    line++;
    lineStart = at + 1;
    nl = true;
  };
  const push = (type: TokenType, start: number, end: number, tokLine: number, tokCol: number) => {
    tokens.push({ type, value: text.slice(start, end), start, line: tokLine, column: tokCol, nl });
    nl = false;
  };
  /** Scans template text from i (just past ` or }) to the closing ` or a `${`. */
  const template = (start: number, startLine: number, startCol: number) => {
    while (i < n) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        push('tpl', start, i, startLine, startCol);
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        i += 2;
        push('tpl', start, i, startLine, startCol);
        braces.push(true);
        return;
      } else {
        if (c === '\n') newline(i);
        i++;
      }
    }
    push('tpl', start, n, startLine, startCol);
  };
  if (text.startsWith('#!')) while (i < n && text[i] !== '\n') i++;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') {
      i++;
      continue;
    }
    const start = i;
    const tokLine = line;
    const tokCol = i - lineStart + 1;
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === 10) newline(k);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      push('str', start, Math.min(i, n), tokLine, tokCol);
      continue;
    }
    if (c === '`') {
      i++;
      template(start, tokLine, tokCol);
      continue;
    }
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdPart(text[i])) i++;
      push('id', start, i, tokLine, tokCol);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i++;
      while (i < n && /[\w.]/.test(text[i])) {
        if ((text[i] === 'e' || text[i] === 'E') && (text[i + 1] === '+' || text[i + 1] === '-')) i++;
        i++;
      }
      push('num', start, i, tokLine, tokCol);
      continue;
    }
    if (c === '/' && regexAllowed(tokens[tokens.length - 1])) {
      i++;
      let inClass = false;
      while (i < n && text[i] !== '\n') {
        const d = text[i];
        if (d === '\\') i++;
        else if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && isIdPart(text[i])) i++;
      push('regex', start, Math.min(i, n), tokLine, tokCol);
      continue;
    }
    if (c === '{') braces.push(false);
    if (c === '}' && braces.length && braces[braces.length - 1]) {
      // end of a template's `${…}`: the template text resumes
      braces.pop();
      i++;
      template(start, tokLine, tokCol);
      continue;
    }
    if (c === '}') braces.pop();
    const p = PUNCT.find((x) => text.startsWith(x, i) && !(x === '?.' && /[0-9]/.test(text[i + 2] ?? '')));
    i += p ? p.length : 1;
    push('punct', start, i, tokLine, tokCol);
  }
  return { tokens, lineStarts };
}

function regexAllowed(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'id') return REGEX_AFTER_WORD.has(prev.value);
  if (prev.type === 'punct') return prev.value !== ')' && prev.value !== ']' && !(prev.value === '++' || prev.value === '--');
  // `${a}/${b}`: a template chunk that opens an expression ends with `${`
  return prev.type === 'tpl' && prev.value.endsWith('${');
}

function matchBrackets(tokens: Token[]): Int32Array {
  const match = new Int32Array(tokens.length).fill(-1);
  const stack: number[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  tokens.forEach((t, i) => {
    if (t.type !== 'punct') return;
    if (t.value === '(' || t.value === '[' || t.value === '{') stack.push(i);
    else if (pairs[t.value]) {
      // an unbalanced closer (broken source) does not pair with the wrong opener
      const at = stack.length ? stack[stack.length - 1] : -1;
      if (at >= 0 && tokens[at].value === pairs[t.value]) {
        stack.pop();
        match[at] = i;
        match[i] = at;
      }
    }
  });
  return match;
}

const is = (t: Token | undefined, value: string) => !!t && t.type === 'punct' && t.value === value;

/** Skips a TypeScript annotation (`: T`, `: { a: T }`) after `)`; returns the index of the body `{` or -1. */
function blockAfterParams(tokens: Token[], match: Int32Array, close: number): number {
  let j = close + 1;
  if (is(tokens[j], '{')) return j;
  if (!is(tokens[j], ':')) return -1;
  for (j++; j < tokens.length && j < close + 80; j++) {
    const t = tokens[j];
    if (is(t, '{')) {
      const prev = tokens[j - 1];
      // `: {` `| {` `<{` `, {`: an object type, not the body
      if (prev.type === 'punct' && [':', '|', '&', '<', ',', '(', '['].includes(prev.value)) {
        if (match[j] < 0) return -1;
        j = match[j];
        continue;
      }
      return j;
    }
    if (is(t, '(') || is(t, '[')) {
      if (match[j] < 0) return -1;
      j = match[j];
      continue;
    }
    if (t.type === 'punct' && [';', '=', '}', ')', ']'].includes(t.value)) return -1;
  }
  return -1;
}

/** End (inclusive token index) of an arrow's expression body starting at `from`. */
function expressionEnd(tokens: Token[], match: Int32Array, from: number): number {
  let j = from;
  let last = from;
  while (j < tokens.length) {
    const t = tokens[j];
    if (t.type === 'punct' && [')', ']', '}', ',', ';'].includes(t.value)) break;
    if (j > from && t.nl) {
      const prev = tokens[j - 1];
      const continues =
        (prev.type === 'punct' && ![')', ']', '}', '++', '--'].includes(prev.value)) ||
        (t.type === 'punct' && !['(', '[', '{', '!', '~', '++', '--'].includes(t.value)) ||
        (prev.type === 'tpl' && prev.value.endsWith('${'));
      if (!continues) break;
    }
    if (t.type === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{') && match[j] > j) j = match[j];
    last = j;
    j++;
  }
  return last;
}

/** Parameters of the arrow whose `=>` is at `arrow`: [first token, open, close] or null. */
function arrowParams(tokens: Token[], match: Int32Array, arrow: number): [number, number] | null {
  const prev = tokens[arrow - 1];
  if (!prev) return null;
  if (is(prev, ')')) return match[arrow - 1] >= 0 ? [match[arrow - 1], arrow - 1] : null;
  // `x =>`, `{ key: x => … }`; but `(a): R =>` has a return type R
  if (prev.type === 'id' && !(is(tokens[arrow - 2], ':') && is(tokens[arrow - 3], ')'))) return [arrow - 1, arrow - 1];
  // `(a: T): R =>`: walk back over the return type to the `)` before its `:`
  let depth = 0;
  for (let k = arrow - 1; k > 0 && k > arrow - 40; k--) {
    const t = tokens[k];
    if (t.type !== 'punct') continue;
    if ([')', ']', '}', '>'].includes(t.value)) depth++;
    else if (['(', '[', '{', '<'].includes(t.value)) depth--;
    else if (depth === 0 && t.value === ':' && is(tokens[k - 1], ')')) return match[k - 1] >= 0 ? [match[k - 1], k - 1] : null;
    else if (depth === 0 && [';', '=', ',', '=>'].includes(t.value)) return null;
    if (depth < 0) return null;
  }
  return null;
}

function nameBefore(tokens: Token[], at: number): string {
  // `name = function`, `name: (x) =>`, `this.name = async () =>`
  let k = at - 1;
  if (tokens[k]?.type === 'id' && tokens[k].value === 'async') k--;
  if (is(tokens[k], '=') || is(tokens[k], ':')) return tokens[k - 1]?.type === 'id' ? tokens[k - 1].value : '';
  return '';
}

export function findFunctions(tokens: Token[], match: Int32Array): FunctionInfo[] {
  const out = new Map<number, FunctionInfo>();
  const add = (f: FunctionInfo) => {
    if (f.bodyClose >= f.bodyOpen && !out.has(f.paramsOpen)) out.set(f.paramsOpen, f);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'id' && t.value === 'function' && !is(tokens[i - 1], '.')) {
      let j = i + 1;
      if (is(tokens[j], '*')) j++;
      let name = '';
      if (tokens[j]?.type === 'id') name = tokens[j++].value;
      if (is(tokens[j], '<')) while (j < tokens.length && !is(tokens[j], '(')) j++;
      if (!is(tokens[j], '(') || match[j] < 0) continue;
      const body = blockAfterParams(tokens, match, match[j]);
      if (body < 0 || match[body] < 0) continue;
      const first = tokens[i - 1]?.type === 'id' && tokens[i - 1].value === 'async' ? i - 1 : i;
      add({ name: name || nameBefore(tokens, first), start: tokens[j].start, first, paramsOpen: j, paramsClose: match[j], bodyOpen: body, bodyClose: match[body], block: true, arrow: false });
    } else if (is(t, '=>')) {
      const params = arrowParams(tokens, match, i);
      if (!params) continue;
      let first = params[0];
      const before = tokens[first - 1];
      if (before?.type === 'id' && before.value === 'async' && !before.nl) first--;
      const block = is(tokens[i + 1], '{') && match[i + 1] > i;
      const bodyClose = block ? match[i + 1] : expressionEnd(tokens, match, i + 1);
      add({ name: nameBefore(tokens, first), start: tokens[first].start, first, paramsOpen: params[0], paramsClose: params[1], bodyOpen: i + 1, bodyClose, block, arrow: true });
    } else if (is(t, '(') && match[i] > i && i > 0) {
      // a method: `name(…) {`, `get name() {`, `[key](…) {`, `name<T>(…): R {`
      let k = i - 1;
      if (is(tokens[k], '>')) {
        let depth = 0;
        for (; k > 0; k--) {
          if (is(tokens[k], '>')) depth++;
          else if (is(tokens[k], '<') && --depth === 0) break;
        }
        k--;
      }
      const head = tokens[k];
      if (!head) continue;
      const named = head.type === 'id' && !NOT_METHOD.has(head.value) && !is(tokens[k - 1], '.') && !is(tokens[k - 1], '?.');
      if (!(named || head.type === 'str' || head.type === 'num' || is(head, ']'))) continue;
      const body = blockAfterParams(tokens, match, match[i]);
      if (body < 0 || match[body] < 0 || tokens[body].nl) continue;
      add({ name: head.type === 'id' ? head.value : '', start: t.start, first: i, paramsOpen: i, paramsClose: match[i], bodyOpen: body, bodyClose: match[body], block: true, arrow: false });
    }
  }
  return [...out.values()].sort((a, b) => a.first - b.first);
}

export function scan(text: string): Scan {
  const { tokens, lineStarts } = tokenize(text);
  const match = matchBrackets(tokens);
  return { text, tokens, match, functions: findFunctions(tokens, match), lineStarts };
}

/** Offset of a 1-based line and column. */
export function offsetOf(s: Scan, line: number, column: number): number {
  const start = s.lineStarts[Math.min(Math.max(line, 1), s.lineStarts.length) - 1] ?? 0;
  return start + Math.max(column, 1) - 1;
}

/**
 * The function V8 places at (line, column), 1-based: the one starting exactly there, else the
 * one starting nearest on that line, else the innermost one around it. Null outside any.
 */
export function functionAt(s: Scan, line: number, column: number): FunctionInfo | null {
  const at = offsetOf(s, line, column);
  const exact = s.functions.find((f) => f.start === at);
  if (exact) return exact;
  const onLine = s.functions.filter((f) => s.tokens[f.first].line === line || s.tokens[f.paramsOpen].line === line);
  if (onLine.length) return onLine.reduce((a, b) => (Math.abs(b.start - at) < Math.abs(a.start - at) ? b : a));
  let inner: FunctionInfo | null = null;
  for (const f of s.functions) {
    if (s.tokens[f.first].start <= at && endOffset(s, f) >= at && (!inner || f.first > inner.first)) inner = f;
  }
  return inner;
}

export function endOffset(s: Scan, f: FunctionInfo): number {
  const t = s.tokens[f.bodyClose];
  return t.start + t.value.length;
}

/** Functions enclosing f, innermost first. */
export function enclosing(s: Scan, f: FunctionInfo): FunctionInfo[] {
  return s.functions.filter((g) => g !== f && g.bodyOpen < f.first && g.bodyClose >= f.bodyClose).sort((a, b) => b.first - a.first);
}
