import type { QueryMessage, SourceLocation } from '../../protocol';
import { findingId, type Finding, type RelatedInformation } from '../findings/finding';
import { round3 } from '../util/units';
import { nPlusOneFix } from './fix-advice';
import { nPlusOneSeverity } from './n-plus-one-severity';
import { formatMs, isRead, locationKey, NO_SCOPE_NAME, quoteSql, siteKey, valueKey, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface NPlusOneOptions {
  /** repeats of one fingerprint from one line in one scope that make an N+1 */
  nPlusOneMinCount: number;
  /** a warning from this much time (ms) in the repeats of one request; info below */
  nPlusOneWarningMs: number;
  /** an error from this much time (ms) in one request … */
  nPlusOneErrorMs: number;
  /** … when that is at least this share (0..1) of the request's own time */
  nPlusOneErrorShare: number;
}

interface ScopeHit {
  scope: QueryScopeGroup;
  members: AnalyzedQuery[];
  totalMs: number;
}

/**
 * Rows one execution fetched as far as we can tell. `= ANY($1)` and `IN ($1)` with an array
 * parameter batch an unknown number of ids: counted as a batch unless the params show one id.
 */
function batchSize(a: AnalyzedQuery): number {
  const { shape, q } = a;
  if (shape.batchSize > 1) return shape.batchSize;
  if (!shape.arrayPlaceholder) return 1;
  if (!q.params) return shape.arrayPlaceholder === 'any' ? Infinity : 1;
  return q.params.some((p) => (p.startsWith('[') || p.startsWith('{')) && p.includes(',')) ? Infinity : 1;
}

/**
 * The last different query of the scope issued before the first repeat: the "1" of N+1.
 * Queries that repeat themselves in the scope (another N+1 of the same loop) are not it.
 */
function findOneQuery(hit: ScopeHit, fingerprint: string, repeated: ReadonlySet<string>): AnalyzedQuery | null {
  const first = hit.members[0];
  let best: AnalyzedQuery | null = null;
  for (const a of hit.scope.queries) {
    if (a.shape.fingerprint === fingerprint || a.shape.housekeeping) continue;
    const before = a.q.t < first.q.t || (a.q.t === first.q.t && a.index < first.index);
    if (!before || repeated.has(groupKey(a))) continue;
    if (!best || a.q.t > best.q.t || (a.q.t === best.q.t && a.index > best.index)) best = a;
  }
  return best;
}

/** One place to fix: the line (all its columns), the database and the fingerprint. */
const groupKey = siteKey;

/** A query that could be one of an N+1's repeats. */
const repeatable = (a: AnalyzedQuery): boolean => !a.shape.housekeeping && batchSize(a) <= 1;

/** Repeats of one key per scope, over the scopes of one route that ran it at all. */
interface RouteCounts {
  scopes: number;
  max: number;
  min: number;
}

/** Per route: how its requests showed one N+1 (same call site and fingerprint). */
interface RouteHits {
  name: string;
  hits: ScopeHit[];
  /** its request with the most repeats (ties: the most time) */
  worst: ScopeHit;
  /** repeats in the requests of the route that ran the call site at all */
  counts: RouteCounts;
}

/**
 * Texts that are cut to fit a sentence and differ only past the cut (`… IS NULL` against
 * `… = ?`) would read the same: those are quoted around where they differ.
 */
function distinctQuotes(fingerprints: Iterable<string>, max = 120): Map<string, string> {
  const all = [...new Set(fingerprints)];
  const quotes = new Map<string, string>();
  for (const fp of all) {
    let differs = -1;
    if (fp.length > max) {
      for (const other of all) {
        if (other === fp || other.slice(0, max - 1) !== fp.slice(0, max - 1)) continue;
        let i = max - 1;
        while (i < fp.length && fp[i] === other[i]) i++;
        differs = Math.max(differs, i);
      }
    }
    if (differs < 0) quotes.set(fp, quoteSql(fp, max));
    else {
      const from = Math.max(0, differs - Math.floor(max / 2));
      const window = fp.slice(from, from + max);
      quotes.set(fp, `"${from > 0 ? '…' : ''}${window}${from + max < fp.length ? '…' : ''}"`);
    }
  }
  return quotes;
}

/** `in GET /posts`, or `outside any request`. */
const within = (name: string): string => (name === NO_SCOPE_NAME ? name : `in ${name}`);

function describeRoutes(routes: RouteHits[], worst: ScopeHit): string {
  const shown = routes.slice(0, 3).map((r) => {
    if (!r.hits.includes(worst)) return `${r.counts.max} ${within(r.name)}`;
    return r.counts.scopes > 1 && r.name !== NO_SCOPE_NAME ? `${within(r.name)} (the most of ${r.counts.scopes} requests)` : within(r.name);
  });
  const more = routes.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more route${more > 1 ? 's' : ''}` : '');
}

/** Every run of every scope read the same values: nothing to batch, the first result to reuse. */
function onlyIdenticalReads(list: readonly ScopeHit[]): boolean {
  return list.every((h) => {
    if (!isRead(h.members[0])) return false;
    const first = valueKey(h.members[0]);
    return first !== null && h.members.every((m) => valueKey(m) === first);
  });
}

/**
 * The same fingerprint from the same line at least `nPlusOneMinCount` times in one scope.
 * Order and overlap do not matter, so `Promise.all` fan-outs count like sequential loops.
 * Repeats with identical values are left to the duplicate detector (read it once, not batch).
 * One finding per (line, fingerprint); its numbers are those of the scope with the most
 * repeats (ties: the most time), `scopes` says how many scopes showed it, and `routes` how each
 * route did (a shared helper's N+1 names the loop of each route that calls it).
 */
export function detectNPlusOne(pid: number, scopes: readonly QueryScopeGroup[], o: NPlusOneOptions): Finding[] {
  const hits = new Map<string, ScopeHit[]>();
  /** key → route name → repeats per scope, over the scopes that ran the key at all */
  const perRoute = new Map<string, Map<string, RouteCounts>>();
  const count = (key: string, route: string, n: number) => {
    let routes = perRoute.get(key);
    if (!routes) perRoute.set(key, (routes = new Map()));
    const c = routes.get(route);
    if (!c) routes.set(route, { scopes: 1, max: n, min: n });
    else {
      c.scopes++;
      c.max = Math.max(c.max, n);
      c.min = Math.min(c.min, n);
    }
  };
  // A scope with fewer queries than nPlusOneMinCount holds no N+1: it is looked at only when
  // there are N+1s, and only for their keys. On 200 000 queries in requests of one to three,
  // a Map and a key per query and scope took 9 % of an analysis.
  for (const scope of scopes) {
    if (scope.queries.length < o.nPlusOneMinCount) continue;
    const groups = new Map<string, AnalyzedQuery[]>();
    for (const a of scope.queries) {
      if (!repeatable(a)) continue;
      const key = groupKey(a);
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
    for (const [key, members] of groups) {
      count(key, scope.name, members.length);
      if (members.length < o.nPlusOneMinCount) continue;
      members.sort((x, y) => x.q.t - y.q.t || x.index - y.index);
      let totalMs = 0;
      for (const m of members) totalMs += Math.max(0, m.q.durationMs || 0);
      const list = hits.get(key);
      const hit = { scope, members, totalMs };
      if (list) list.push(hit);
      else hits.set(key, [hit]);
    }
  }

  if (hits.size === 0) return [];
  const local = new Map<string, number>();
  for (const scope of scopes) {
    if (scope.queries.length >= o.nPlusOneMinCount) continue;
    for (const a of scope.queries) {
      if (!repeatable(a)) continue;
      const key = groupKey(a);
      if (hits.has(key)) local.set(key, (local.get(key) ?? 0) + 1);
    }
    if (local.size === 0) continue;
    for (const [key, n] of local) count(key, scope.name, n);
    local.clear();
  }

  const repeatedIn = new Map<QueryScopeGroup, Set<string>>();
  for (const [key, list] of hits) {
    for (const h of list) {
      let set = repeatedIn.get(h.scope);
      if (!set) repeatedIn.set(h.scope, (set = new Set()));
      set.add(key);
    }
  }
  const quotes = distinctQuotes([...hits.values()].map((list) => list[0].members[0].shape.fingerprint));
  const findings: Finding[] = [];
  for (const [key, list] of hits) {
    const heavier = (a: ScopeHit, b: ScopeHit) =>
      b.members.length > a.members.length || (b.members.length === a.members.length && b.totalMs > a.totalMs) ? b : a;
    if (onlyIdenticalReads(list)) continue;
    const worst = list.reduce(heavier);
    const first: QueryMessage = worst.members[0].q;
    const shape = worst.members[0].shape;
    const count = worst.members.length;
    const avg = worst.totalMs / count;
    const distinct = new Set<string>();
    let known = true;
    for (const m of worst.members) {
      const k = valueKey(m);
      if (k === null) known = false;
      else distinct.add(k);
    }
    const duplicates = known ? count - distinct.size : 0;

    const byRoute = new Map<string, RouteHits>();
    for (const hit of list) {
      const name = hit.scope.name;
      let r = byRoute.get(name);
      if (!r) byRoute.set(name, (r = { name, hits: [], worst: hit, counts: perRoute.get(key)?.get(name) ?? { scopes: 0, max: -Infinity, min: Infinity } }));
      else r.worst = heavier(r.worst, hit);
      r.hits.push(hit);
    }
    const routes = [...byRoute.values()].sort(
      (a, b) => b.worst.members.length - a.worst.members.length || b.worst.totalMs - a.worst.totalMs || a.name.localeCompare(b.name),
    );

    const related: RelatedInformation[] = [];
    const one = findOneQuery(worst, shape.fingerprint, repeatedIn.get(worst.scope) ?? new Set());
    if (one) {
      related.push({
        message: `The "1" query that ran before the repeats: ${quoteSql(one.shape.fingerprint)}`,
        location: one.q.callsite,
      });
    }
    // Callers are named where the call site is shared (a helper that loops in several places
    // call): a call site with one caller is the loop itself, or the only way to it.
    const shared = severalCallers(list);
    const routeData = routes.map((r) => {
      const caller = shared ? callerOf(r.worst.members, first.callsite) : null;
      const max = r.counts.max;
      if (caller) {
        related.push({ message: `${r.name} runs it ${max} times per request from here`, location: caller });
      }
      return {
        scope: r.name,
        requests: r.hits.length,
        count: max,
        minCount: r.counts.min,
        totalMs: round3(r.worst.totalMs),
        caller,
      };
    });

    let reason: string | undefined;
    if (first.callsite === null) {
      const lib = first.library;
      reason = lib
        ? `No frame of the application's code was on the stack of these queries: they came from ${libraryName(lib.file)} (${lib.file}:${lib.line}).`
        : 'No frame of the application\'s code was on the stack of these queries, and no library frame either.';
      if (lib) related.push({ message: `Innermost library frame that issued the queries (${libraryName(lib.file)})`, location: lib });
    }

    const cost = nPlusOneSeverity(list, first.db, shape.verb, o);
    const orm = mostCommon(worst.members.map((m) => m.q.orm));
    const callerLibrary = mostCommon(worst.members.map((m) => m.q.callerLibrary));
    const fix = nPlusOneFix({ db: first.db, verb: shape.verb, column: shape.keyColumn, orm, callerLibrary });
    const dupNote = duplicates > 0 ? ` ${duplicates} of them repeat the same values.` : '';
    const message =
      `N+1 query: ${quotes.get(shape.fingerprint) ?? quoteSql(shape.fingerprint)} ran ${count} times ${describeRoutes(routes, worst)}, ` +
      `${formatMs(worst.totalMs)} in total (${formatMs(avg)} on average).${dupNote} ` +
      fix +
      (cost.why ? ` ${cost.why}` : '') +
      (reason ? ` ${reason}` : '');
    const data: Record<string, unknown> = {
      count,
      totalMs: round3(worst.totalMs),
      avgMs: round3(avg),
      fingerprint: shape.fingerprint,
      sample: first.text,
      scope: worst.scope.name,
      scopes: list.length,
      db: first.db,
      duplicates,
      occurrences: list.reduce((s, h) => s + h.members.length, 0),
      routes: routeData,
      fix,
      costMs: round3(cost.costliest.totalMs),
      requestMs: cost.requestMs === null ? null : round3(cost.requestMs),
      share: cost.share === null ? null : round3(cost.share),
    };
    if (orm !== undefined) data.orm = orm;
    if (callerLibrary !== undefined) data.callerLibrary = callerLibrary;
    if (reason) {
      data.noLocationReason = reason;
      if (first.library) data.libraryFrame = first.library;
    }
    findings.push({
      id: findingId('n-plus-one', first.callsite ?? first.library ?? null, shape.fingerprint),
      kind: 'n-plus-one',
      severity: cost.severity,
      message,
      pid,
      location: first.callsite,
      related,
      data,
    });
  }
  return findings;
}

/**
 * The application frame above the call site that most of the repeats share: the loop that
 * calls a helper whose line is the call site. Null when the call site is the loop itself.
 */
function callerOf(members: AnalyzedQuery[], callsite: SourceLocation | null): SourceLocation | null {
  const votes = new Map<string, { loc: SourceLocation; n: number }>();
  for (const m of members) {
    const loc = m.q.stack?.[0];
    if (!loc) continue;
    if (callsite && loc.file === callsite.file && loc.line === callsite.line) continue;
    const k = locationKey(loc);
    const v = votes.get(k);
    if (v) v.n++;
    else votes.set(k, { loc, n: 1 });
  }
  let best: { loc: SourceLocation; n: number } | null = null;
  for (const v of votes.values()) if (!best || v.n > best.n) best = v;
  return best && best.n * 2 >= members.length ? best.loc : null;
}

/** Whether the members' callers (their first frame above the call site) are at least two places. */
function severalCallers(list: ScopeHit[]): boolean {
  let one: string | undefined;
  for (const h of list) {
    for (const m of h.members) {
      if (!m.q.stack?.[0]) continue;
      const k = locationKey(m.q.stack[0]);
      if (one === undefined) one = k;
      else if (k !== one) return true;
    }
  }
  return false;
}

/** `knex` for …/node_modules/knex/lib/…, `@prisma/client` for scoped packages. */
function libraryName(file: string): string {
  const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/.exec(file);
  return m ? m[1].replace(/\\/g, '/') : 'a library';
}

/** The value most members carry (ties: the first seen); undefined when none carries one. */
function mostCommon(values: readonly (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  for (const v of values) {
    if (v === undefined) continue;
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (best === undefined || n > (counts.get(best) ?? 0)) best = v;
  }
  return best;
}
