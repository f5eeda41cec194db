import { enclosing, functionAt, scan, type FunctionInfo, type Scan, type Token } from './js-scan';

/**
 * The statement that makes an allocation outlive the call. V8's sampling heap profiler names
 * the allocating *function* (its position is the parameter list); the line a developer must
 * change is the one that stores what the function allocated somewhere long-lived:
 * `cache.set(…)`, `list.push(…)`, `bus.on(…)`, `setInterval(…)` never cleared, `obj[k] = …`,
 * `this.x = …`. Pure: source text in, a line out; null when nothing qualifies (the caller
 * keeps the function's line rather than guess).
 */

export interface RetainingStatement {
  /** 1-based line and column of the statement's receiver */
  line: number;
  column: number;
  /** what keeps the memory, e.g. `sessions.set(…)` */
  statement: string;
  /** the function the statement is in */
  functionName: string;
}

export interface RetainingLine extends RetainingStatement {
  /** where the profiler placed the allocation: the function's own start */
  allocatedIn: { name: string; line: number; column: number };
  /** set when a same-file function called on this line does the storing */
  via?: RetainingStatement;
}

/** Methods that keep their argument: collections, emitters. */
const STORE_METHODS = new Set(['set', 'push', 'unshift', 'add', 'on', 'addListener', 'addEventListener', 'once', 'prependListener', 'prependOnceListener']);
/** Globals that store nothing of ours (Object.assign to a local, JSON.stringify, console.log). */
const INERT_ROOTS = new Set(['console', 'JSON', 'Math', 'Reflect', 'Object', 'Array', 'Promise', 'Number', 'String', 'Date', 'Symbol', 'Buffer', 'Atomics', 'Intl', 'undefined', 'arguments']);
const TS_MODIFIERS = new Set(['public', 'private', 'protected', 'readonly', 'override']);
const ASSIGN = new Set(['=', '+=', '||=', '??=']);

/** How sure a storing statement keeps memory past the call, by its receiver. */
const SCORE = { local: 0, param: 1, outer: 2, module: 3 } as const;

interface Candidate {
  score: number;
  /** token index of the receiver's first token */
  at: number;
  /** token indexes whose values the statement stores (arguments, right-hand side) */
  from: number;
  to: number;
  statement: string;
  via?: RetainingStatement;
}

interface Chain {
  root: number;
  /** token index after the chain */
  end: number;
  /** property names (null for `[…]`) */
  segs: Array<string | null>;
}

const isP = (t: Token | undefined, v: string) => !!t && t.type === 'punct' && t.value === v;
const isId = (t: Token | undefined, v?: string) => !!t && t.type === 'id' && (v === undefined || t.value === v);

class Analyzer {
  private readonly declaredCache = new Map<FunctionInfo, { params: Set<string>; body: Set<string> }>();

  constructor(private readonly s: Scan) {}

  get tokens(): Token[] {
    return this.s.tokens;
  }

  /** Token indexes of f's body that belong to f itself, not to a function nested in it. */
  own(f: FunctionInfo): number[] {
    const nested = this.s.functions.filter((g) => g !== f && g.first >= f.bodyOpen && g.bodyClose <= f.bodyClose);
    const out: number[] = [];
    const from = f.block ? f.bodyOpen + 1 : f.bodyOpen;
    const to = f.block ? f.bodyClose - 1 : f.bodyClose;
    let n = 0;
    for (let i = from; i <= to; i++) {
      while (n < nested.length && nested[n].bodyClose < i) n++;
      const g = nested[n];
      if (g && i >= g.first && i <= g.bodyClose) {
        i = g.bodyClose;
        continue;
      }
      out.push(i);
    }
    return out;
  }

  declared(f: FunctionInfo): { params: Set<string>; body: Set<string> } {
    let d = this.declaredCache.get(f);
    if (d) return d;
    d = { params: this.paramNames(f), body: this.bodyNames(f) };
    this.declaredCache.set(f, d);
    return d;
  }

  private paramNames(f: FunctionInfo): Set<string> {
    const t = this.tokens;
    const names = new Set<string>();
    if (f.paramsOpen === f.paramsClose) {
      names.add(t[f.paramsOpen].value);
      return names;
    }
    let depth = 0;
    let angle = 0;
    let skip = false; // inside a type annotation or a default value
    for (let i = f.paramsOpen + 1; i < f.paramsClose; i++) {
      const x = t[i];
      if (x.type === 'punct') {
        if ('([{'.includes(x.value)) depth++;
        else if (')]}'.includes(x.value)) depth--;
        else if (skip && x.value === '<') angle++;
        else if (skip && x.value === '>') angle--;
        else if (skip && x.value === '>>') angle -= 2;
        else if (depth === 0 && angle <= 0 && x.value === ',') (skip = false), (angle = 0);
        else if (depth === 0 && (x.value === ':' || x.value === '=')) skip = true;
        continue;
      }
      if (x.type === 'id' && !skip && !TS_MODIFIERS.has(x.value) && !isP(t[i - 1], '.')) names.add(x.value);
    }
    return names;
  }

  /** Names declared anywhere in f's body (over-collecting only makes fewer receivers count). */
  private bodyNames(f: FunctionInfo): Set<string> {
    const t = this.tokens;
    const names = new Set<string>();
    for (let i = f.bodyOpen; i <= f.bodyClose; i++) {
      const x = t[i];
      if (x.type !== 'id') continue;
      if ((x.value === 'function' || x.value === 'class') && isId(t[i + 1])) names.add(t[i + 1].value);
      if (x.value === 'catch' && isP(t[i + 1], '(') && isId(t[i + 2])) names.add(t[i + 2].value);
      if (x.value !== 'const' && x.value !== 'let' && x.value !== 'var') continue;
      let j = i + 1;
      // one declaration list: `const a = …, { b } = …`
      for (;;) {
        const target = t[j];
        if (isId(target)) names.add(target.value);
        else if ((isP(target, '{') || isP(target, '[')) && this.s.match[j] > j) {
          for (let k = j + 1; k < this.s.match[j]; k++) if (isId(t[k]) && !isP(t[k - 1], '.')) names.add(t[k].value);
          j = this.s.match[j];
        } else break;
        j++;
        while (j <= f.bodyClose && !isP(t[j], ',') && !isP(t[j], ';') && !(t[j].nl && !isP(t[j - 1], ',') && !isP(t[j - 1], '='))) {
          const m = this.s.match[j];
          if (m > j) j = m;
          else if (m >= 0 && m < j) break; // a closer of an outer bracket
          j++;
        }
        if (!isP(t[j], ',')) break;
        j++;
      }
    }
    return names;
  }

  /** How long-lived the variable `name` is, seen from inside f. */
  rootScore(name: string, f: FunctionInfo): number {
    if (name === 'this') return SCORE.module;
    if (INERT_ROOTS.has(name)) return SCORE.local;
    const d = this.declared(f);
    if (d.body.has(name)) return SCORE.local;
    if (d.params.has(name)) return SCORE.param;
    for (const e of enclosing(this.s, f)) {
      const de = this.declared(e);
      // a variable of an outer function that returns it is that function's local product
      if (de.body.has(name) || de.params.has(name)) return this.returns(e, name) ? SCORE.local : SCORE.outer;
    }
    return SCORE.module;
  }

  private returns(f: FunctionInfo, name: string): boolean {
    const t = this.tokens;
    return this.own(f).some((i) => isId(t[i], 'return') && isId(t[i + 1], name) && !isP(t[i + 2], '.') && !isP(t[i + 2], '['));
  }

  chainAt(i: number): Chain | null {
    const t = this.tokens;
    const root = t[i];
    if (root.type !== 'id' || isP(t[i - 1], '.') || isP(t[i - 1], '?.')) return null;
    if (isId(t[i - 1], 'function') || isId(t[i - 1], 'class') || isId(t[i - 1], 'new') || isP(t[i - 1], '...')) return null;
    const segs: Array<string | null> = [];
    let j = i + 1;
    for (;;) {
      if (isP(t[j], '!') && (isP(t[j + 1], '.') || isP(t[j + 1], '['))) j++; // TS non-null
      if ((isP(t[j], '.') || isP(t[j], '?.')) && isId(t[j + 1])) {
        segs.push(t[j + 1].value);
        j += 2;
      } else if (isP(t[j], '[') && this.s.match[j] > j) {
        segs.push(null);
        j = this.s.match[j] + 1;
      } else break;
    }
    return { root: i, end: j, segs };
  }

  label(c: Chain, upTo = c.segs.length): string {
    const parts = [this.tokens[c.root].value];
    for (const s of c.segs.slice(0, upTo)) parts.push(s === null ? '[…]' : `.${s}`);
    return parts.join('');
  }

  /** Storing statements that belong to f itself (and, one call deep, to same-file callees). */
  candidates(f: FunctionInfo, deep: boolean): Candidate[] {
    const t = this.tokens;
    const out: Candidate[] = [];
    for (const i of this.own(f)) {
      const c = this.chainAt(i);
      if (!c) continue;
      const next = t[c.end];
      const rootName = t[c.root].value;
      if (isP(next, '(') && this.s.match[c.end] > c.end) {
        const args: [number, number] = [c.end, this.s.match[c.end]];
        const method = c.segs[c.segs.length - 1];
        if (c.segs.length >= 1 && method && STORE_METHODS.has(method)) {
          let score = this.rootScore(rootName, f);
          // between equals, the one storing something made here (not just a caller's value)
          if (score > 0 && this.holdsAllocation(args[0] + 1, args[1] - 1, f, false)) score += 0.25;
          if (score > 0) out.push({ score, at: i, from: args[0], to: args[1], statement: `${this.label(c)}(…)` });
        } else if (c.segs.length === 0 && rootName === 'setInterval') {
          if (!this.intervalCleared(i)) out.push({ score: SCORE.module, at: i, from: args[0], to: args[1], statement: 'setInterval(…)' });
        } else if (deep) {
          const via = this.viaCallee(c, f);
          if (via) out.push({ ...via, at: i, from: args[0], to: args[1], statement: `${this.label(c)}(…)` });
        }
      } else if (next && next.type === 'punct' && ASSIGN.has(next.value)) {
        const rhsEnd = this.statementEnd(c.end + 1);
        const last = c.segs[c.segs.length - 1];
        let score = this.rootScore(rootName, f);
        if (c.segs.length === 0 && (rootName === 'this' || score === SCORE.param)) continue;
        // `obj[key] = …` grows with every key; `obj.field = …` or `outer = …` keeps one value
        if (c.segs.length === 0 || last !== null) {
          score = Math.min(score, SCORE.outer);
          if (!this.holdsAllocation(c.end + 1, rhsEnd, f)) continue;
        }
        if (score > 0) out.push({ score, at: i, from: c.end + 1, to: rhsEnd, statement: `${this.label(c)} ${next.value} …` });
      }
    }
    return out;
  }

  /** `setInterval(…)` whose handle is returned, or kept and passed to clearInterval somewhere. */
  private intervalCleared(i: number): boolean {
    const t = this.tokens;
    if (isId(t[i - 1], 'return')) return true;
    if (!isP(t[i - 1], '=')) return false;
    const handle = t[i - 2];
    if (!handle || handle.type !== 'id') return false;
    const clears = this.s.text.split('clearInterval(').slice(1);
    return clears.some((rest) => new RegExp(`^[^)]*\\b${handle.value.replace(/\$/g, '\\$')}\\b`).test(rest));
  }

  /** The right-hand side holds something allocated here: a literal, `new`, a call, a function, a local. */
  private holdsAllocation(from: number, to: number, f: FunctionInfo, params = true): boolean {
    const t = this.tokens;
    const local = this.declared(f);
    for (let k = from; k <= to; k++) {
      const x = t[k];
      if (x.type === 'punct' && (x.value === '{' || x.value === '[' || x.value === '=>')) return true;
      if (x.type === 'tpl' || isId(x, 'new') || isId(x, 'function')) return true;
      if (isId(x) && !isP(t[k - 1], '.') && (local.body.has(x.value) || (params && local.params.has(x.value)))) return true;
      if (isP(x, '(') && k > from && (isId(t[k - 1]) || isP(t[k - 1], ')'))) return true;
    }
    return false;
  }

  /** Last token of the statement or expression starting at `from`. */
  statementEnd(from: number): number {
    const t = this.tokens;
    let j = from;
    let last = from;
    while (j < t.length) {
      const x = t[j];
      if (x.type === 'punct' && [')', ']', '}', ';', ','].includes(x.value)) break;
      if (j > from && x.nl && !(t[j - 1].type === 'punct' && ![')', ']', '}'].includes(t[j - 1].value)) && !(x.type === 'punct' && ['.', '?.'].includes(x.value))) break;
      const m = this.s.match[j];
      if (m > j) j = m;
      last = j;
      j++;
    }
    return last;
  }

  /** `audit.record(x)` where record() (same file) stores into `this` or a module-level value. */
  private viaCallee(c: Chain, f: FunctionInfo): { score: number; via: RetainingStatement } | null {
    const name = c.segs.length ? c.segs[c.segs.length - 1] : this.tokens[c.root].value;
    if (!name) return null;
    const around = new Set([f, ...enclosing(this.s, f)]);
    let best: { score: number; via: RetainingStatement } | null = null;
    for (const callee of this.s.functions) {
      if (callee.name !== name || around.has(callee)) continue;
      const inner = pick(this.candidates(callee, false));
      if (!inner || inner.score < SCORE.outer) continue;
      let score = inner.score;
      if (this.tokens[inner.at].value === 'this') {
        // the callee stores into its receiver: only as long-lived as the object called
        if (c.segs.length < 1) continue;
        score = Math.min(score, this.rootScore(this.tokens[c.root].value, f));
        if (score < SCORE.outer) continue;
      }
      const where = this.tokens[inner.at];
      const via = { line: where.line, column: where.column, statement: inner.statement, functionName: callee.name };
      if (!best || score - 0.5 > best.score) best = { score: score - 0.5, via };
    }
    return best;
  }

  /** The variable that the statement holding `inner` assigns (`const rows = items.map(x => …)`). */
  flowVar(outer: FunctionInfo, inner: FunctionInfo): string | null {
    const t = this.tokens;
    for (let k = inner.first - 1; k > outer.bodyOpen; k--) {
      const x = t[k];
      const m = this.s.match[k];
      if (m >= 0 && m < k) {
        k = m;
        continue;
      }
      if (isP(x, ';')) return null;
      if (isP(x, '{')) {
        const before = t[k - 1];
        const expression = isId(before, 'return') || (before?.type === 'punct' && ['=', '(', ',', ':', '[', '=>', '?', '||', '&&', '??'].includes(before.value));
        if (!expression) return null;
      }
      if (isP(x, '=') && isId(t[k - 1]) && !isP(t[k - 2], '.')) return t[k - 1].value;
    }
    return null;
  }
}

/** Highest score wins; the earliest statement among equals. */
function pick(cs: Candidate[]): Candidate | null {
  let best: Candidate | null = null;
  for (const c of cs) if (!best || c.score > best.score) best = c;
  return best;
}

/**
 * The storing statement for the function V8 placed at (line, column), both 1-based, in
 * `source`. Looks in the function itself first; for an inner arrow or callback with nothing
 * of its own, in each enclosing function's statement that holds it (or stores the variable
 * that statement assigns). Null when nothing qualifies.
 */
export function findRetainingLine(source: string, line: number, column: number): RetainingLine | null {
  let s: Scan;
  try {
    s = scan(source);
  } catch {
    return null;
  }
  const fn = functionAt(s, line, column);
  if (!fn) return null;
  const a = new Analyzer(s);
  const first = s.tokens[fn.paramsOpen];
  const allocatedIn = { name: fn.name, line: s.tokens[fn.first].line, column: first.column };
  const done = (c: Candidate, where: FunctionInfo): RetainingLine => {
    const tok = s.tokens[c.at];
    return { line: tok.line, column: tok.column, statement: c.statement, functionName: where.name, allocatedIn, ...(c.via ? { via: c.via } : {}) };
  };
  const own = pick(a.candidates(fn, true));
  if (own) return done(own, fn);
  let inner = fn;
  for (const outer of enclosing(s, fn)) {
    const flow = a.flowVar(outer, inner);
    const holds = (c: Candidate) =>
      (c.from < inner.first && c.to >= inner.bodyClose) ||
      (flow !== null && s.tokens.slice(c.from, c.to + 1).some((x, k) => isId(x, flow) && !isP(s.tokens[c.from + k - 1], '.')));
    const found = pick(a.candidates(outer, true).filter(holds));
    if (found) return done(found, outer);
    inner = outer;
  }
  return null;
}
