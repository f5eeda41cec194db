'use strict';
// Checks of a real-app run (test/helpers/real-app.js) against what the app's test file expects:
// its N+1s, the lines and routes that must show none, its queries per route. Each app keeps its
// own expectations; the checks live here so that the apps that check alike share one copy.
// Three styles of per-N+1 check stay apart, as their tests and failure messages differ:
//   by route  (drizzle-express, sequelize-koa): found by SQL and route, three tests per N+1;
//   on its .ts line (nest-typeorm, typeorm-express): found by its line, one test per N+1;
//   all at once (mikro-orm-express, objection-fastify): one failure lists every mismatch.
const { it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');

/** `where(loc)`: "path relative to base:line", or 'null', so that diffs read as app lines. */
function whereIn(base) {
  return (loc) => (loc ? `${path.relative(base, loc.file)}:${loc.line}` : 'null');
}

/** Every route an N+1 showed in: its worst request's and each of data.routes. */
function scopesOf(f) {
  return [f.data.scope, ...(f.data.routes ?? []).map((r) => r.scope)];
}

/** An N+1 in one line (where, worst route, count), for a list of unexpected ones. */
function nPlusOneSummary(f, where) {
  return `${where(f.location)} ${f.data.scope} ×${f.data.count}`;
}

/** The messages of the N+1 findings on `loc`'s line: [] on a line that runs once per request. */
function nPlusOneMessagesAt(run, loc) {
  return run.findingsAt(loc.file, loc.line, 'n-plus-one').map((f) => f.message);
}

/** `kind: message` of each finding: compared with [], a failure names them. */
function listFindings(findings) {
  return findings.map((f) => `${f.kind}: ${f.message}`);
}

/** The findings without a location, as `kind: message`. */
function unlocatedFindings(run) {
  // A route that queues for the pool is a finding whatever its lines; when none of its waiting
  // queries had an application frame (MikroORM's own loads) it says so instead of a line.
  return listFindings(run.report.findings.filter((f) => !f.location && !(f.kind === 'pool-wait' && f.data.noLocationReason)));
}

/** The report names exactly the routes of `queriesPerRequest`, each with `times` requests of its queries. */
function assertRouteFigures(run, queriesPerRequest, times) {
  const got = Object.fromEntries(
    Object.entries(run.report.figures.routes).map(([scope, r]) => [scope, { requests: r.requests, queriesPerRequest: r.queriesPerRequest }]),
  );
  const want = Object.fromEntries(
    Object.entries(queriesPerRequest).map(([scope, n]) => [scope, { requests: times, queriesPerRequest: n }]),
  );
  assert.deepEqual(got, want);
}

// --- by route: an N+1 is the one finding `candidates(run, e)` gives (its SQL, in its route), so
// its count, its line and its routes each fail on their own.

/** The one finding `candidates(run, e)` gives for `e`; fails listing every finding otherwise. */
function onlyCandidate(run, e, candidates) {
  const found = candidates(run, e);
  assert.equal(found.length, 1, `expected one N+1 finding for the ${e.what} in ${e.scope}, got ${found.length}:\n${run.describe()}`);
  return found[0];
}

/**
 * Registers three tests per expected N+1 `e` ({ what, at, one, count, scope, routes }): its count,
 * route, requests, db and "1" query; its line; its routes with exact per-request counts and callers.
 * scopesFirst: compare the route list alone before the rows (sequelize-koa's check).
 */
function itChecksEachNPlusOneByRoute(getRun, { expected, candidates, times, db, where, scopesFirst = false }) {
  for (const e of expected) {
    it(`finds the ${e.what}: count, route template, "1" query`, () => {
      const run = getRun();
      const f = onlyCandidate(run, e, candidates);
      assert.equal(f.data.count, e.count, `count of ${e.at.name}: ${f.message}`);
      assert.equal(f.data.scope, e.scope, `scope of ${e.at.name}`);
      assert.equal(f.data.scopes, times * e.routes.length, `requests that showed ${e.at.name}`);
      assert.equal(f.data.db, db);
      assert.ok(f.related.length >= 1, `no related "1" query: ${JSON.stringify(f.related)}`);
      assert.equal(where(f.related[0].location), where(e.one), `the "1" query of ${e.at.name}`);
    });

    it(`puts the ${e.what} on ${e.at.name} (line ${e.at.line})`, () => {
      const run = getRun();
      const f = onlyCandidate(run, e, candidates);
      assert.equal(where(f.location), where(e.at), f.message);
      assert.equal(run.findingsAt(e.at.file, e.at.line, 'n-plus-one').length, 1);
    });

    it(`lists every route of ${e.at.name} with exact per-request counts`, () => {
      const f = onlyCandidate(getRun(), e, candidates);
      assert.ok(Array.isArray(f.data.routes), `data.routes is ${JSON.stringify(f.data.routes)}`);
      const got = [...f.data.routes].sort((a, b) => a.scope.localeCompare(b.scope));
      const want = [...e.routes].sort((a, b) => a.scope.localeCompare(b.scope));
      if (scopesFirst) assert.deepEqual(got.map((r) => r.scope), want.map((r) => r.scope), `routes of ${e.at.name}`);
      // All routes compared at once, so one failure shows every difference.
      const row = (r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount, caller: where(r.caller) });
      assert.deepEqual(
        got.map(row),
        want.map((w) => row({ ...w, requests: times, minCount: w.count })),
        `data.routes of ${e.at.name}: ${JSON.stringify(f.data.routes)}`,
      );
    });
  }
}

/** No N+1 but the expected ones, none in `cleanScopes`, none on the `oncePerRequest` lines. */
function assertNoOtherNPlusOneByRoute(run, { expected, candidates, where, cleanScopes, oncePerRequest }) {
  const found = new Set(expected.flatMap((e) => candidates(run, e).slice(0, 1)));
  const extra = run.nPlusOne().filter((f) => !found.has(f));
  assert.deepEqual(extra.map((f) => nPlusOneSummary(f, where)), [], run.describe());
  for (const f of run.nPlusOne()) {
    for (const s of scopesOf(f)) assert.ok(!cleanScopes.includes(s), `an N+1 in ${s}: ${f.message}`);
  }
  for (const loc of oncePerRequest) {
    assert.deepEqual(nPlusOneMessagesAt(run, loc), [], `N+1 on ${loc.name}`);
  }
}

/**
 * The related lines (and, with `callers`, the route callers) of the N+1s that lie under `dir`:
 * a middleware that runs once per request is neither the "1" query nor the loop of an N+1.
 */
function nPlusOneLinksInto(run, dir, where, { callers = false } = {}) {
  const bad = [];
  for (const f of run.nPlusOne()) {
    for (const r of f.related) {
      if (r.location && r.location.file.startsWith(dir)) bad.push(`${where(f.location)} → ${where(r.location)} ${r.message}`);
    }
    if (!callers) continue;
    for (const r of f.data.routes ?? []) {
      if (r.caller && r.caller.file.startsWith(dir)) bad.push(`${where(f.location)} caller ${where(r.caller)} in ${r.scope}`);
    }
  }
  return bad;
}

// --- on its .ts line: the apps compiled by tsc, whose expectations name lines as [file, marker]
// and resolve them with `at(file, marker)`.

/** `js`, compiled by tsc, runs on tslib's __awaiter and `generator`, with no native async left, and has a source map. */
function assertTslibOutput(js, generator) {
  const code = fs.readFileSync(js, 'utf8');
  assert.match(code, /tslib_1\.__awaiter\(/, js);
  assert.match(code, generator, js);
  assert.doesNotMatch(code, /\basync\b|\bawait\b/, `${js} still has native async functions`);
  assert.match(code, /\/\/# sourceMappingURL=.*\.js\.map/, js);
  assert.ok(fs.existsSync(`${js}.map`), `${js}.map`);
}

/**
 * Registers one test per expected N+1 `e` ({ what, at, one, count, scope, routes }): the one
 * finding on its line, its "1" query, count, route, requests and routes. A route's caller is
 * checked where the route states one (null included); where it states none, any caller passes.
 */
function itChecksEachNPlusOneOnItsLine(get, { expected, times, at, where }) {
  for (const e of expected) {
    it(`${e.what}: ${e.at[1]} ×${e.count} in ${e.scope}`, () => {
      const run = get();
      const loc = at(...e.at);
      const found = run.findingsAt(loc.file, loc.line, 'n-plus-one');
      assert.equal(found.length, 1, `one n-plus-one finding at ${where(loc)}; findings:\n${run.describe()}`);
      const f = found[0];
      assert.ok(f.related.length > 0, 'the finding has related locations');
      assert.equal(where(f.related[0].location), where(at(...e.one)), `the "1" query: ${JSON.stringify(f.related[0])}`);
      assert.equal(f.data.count, e.count, 'repeats in the worst request');
      assert.equal(f.data.scope, e.scope, 'the worst request’s route');
      assert.equal(f.data.scopes, times * e.routes.length, 'requests that showed it');
      assert.ok(Array.isArray(f.data.routes), `data.routes: ${JSON.stringify(f.data.routes)}`);
      const actual = f.data.routes
        .map((r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount, caller: r.caller ? where(r.caller) : null }))
        .sort((a, b) => a.scope.localeCompare(b.scope));
      const callerOf = (r) => {
        if (!('caller' in r)) return actual.find((a) => a.scope === r.scope)?.caller ?? null;
        return r.caller ? where(at(...r.caller)) : null;
      };
      const expectedRoutes = e.routes
        .map((r) => ({ scope: r.scope, requests: times, count: r.count, minCount: r.count, caller: callerOf(r) }))
        .sort((a, b) => a.scope.localeCompare(b.scope));
      assert.deepEqual(actual, expectedRoutes, 'data.routes');
    });
  }
}

/** The N+1s are exactly one per expected line, none on the `oncePerRequest` lines or in `cleanRoutes`. */
function assertExactlyTheExpectedNPlusOnes(run, { expected, at, where, oncePerRequest, cleanRoutes }) {
  const want = expected.map((e) => where(at(...e.at))).sort();
  const got = run.nPlusOne().map((f) => where(f.location)).sort();
  assert.deepEqual(got, want, run.describe());
  for (const [rel, name] of oncePerRequest) {
    const loc = at(rel, name);
    assert.deepEqual(run.findingsAt(loc.file, loc.line, 'n-plus-one'), [], `${name} runs once per request`);
  }
  for (const f of run.nPlusOne()) {
    const scopes = scopesOf(f);
    for (const clean of cleanRoutes) assert.ok(!scopes.includes(clean), `${clean} shows up in ${where(f.location)}`);
  }
}

/** Each location a finding gives (call site, related, route callers) that is not a .ts line under `src`. */
function locationsOutsideTsSources(run, src, where) {
  const bad = [];
  for (const f of run.report.findings) {
    const locs = [
      ['location', f.location],
      ...f.related.map((r) => [`related "${r.message.slice(0, 60)}"`, r.location]),
      ...(f.data.routes ?? []).map((r) => [`routes[${r.scope}].caller`, r.caller]),
    ];
    for (const [what, loc] of locs) {
      if (loc && !(loc.file.startsWith(src + path.sep) && loc.file.endsWith('.ts'))) bad.push(`${where(f.location)} ${what}: ${loc.file}:${loc.line}`);
    }
  }
  return bad;
}

/**
 * Registers the tests of a run of a tsc-compiled app (o: { expected, times, at, where,
 * oncePerRequest, cleanRoutes, queriesPerRequest, src }): each N+1 on its .ts line and no other,
 * each route's queries per request, and every finding located on a .ts line under `src`.
 * authLookup, routeTemplate: how two test names call the app's user lookup and route templates.
 */
function itChecksTypeScriptAppRun(get, { authLookup, routeTemplate, ...o }) {
  itChecksEachNPlusOneOnItsLine(get, o);

  it(`no other n-plus-one finding: none on ${authLookup}, the one-query routes or the eager routes`, () => {
    assertExactlyTheExpectedNPlusOnes(get(), o);
  });

  it(`reports every request under its ${routeTemplate} with its exact queries per request`, () => {
    assertRouteFigures(get(), o.queriesPerRequest, o.times);
  });

  it('no finding without a location', () => {
    const run = get();
    assert.deepEqual(unlocatedFindings(run), [], run.describe());
  });

  it('every location of the findings (call site, related, route callers) is a .ts line, mapped through the source maps', () => {
    assert.deepEqual(locationsOutsideTsSources(get(), o.src, o.where), []);
  });
}

// --- all at once: one test per N+1 collects every mismatch, so one run shows all that is wrong.

/**
 * Registers one test per marker in `names`: the one N+1 on the line of the expectation `e` whose
 * at.name it is, with its "1" query, worst route and count, requests, routes, and the caller of
 * each route that states one (null included). `expected()` gives the expectations when the tests
 * run, as they depend on what the seed returned.
 */
function itChecksEachNPlusOneAllAtOnce(getRun, names, { expected, times, where }) {
  for (const name of names) {
    it(`reports the N+1 at @line:${name} with its "1" query, exact counts and route template`, () => {
      const run = getRun();
      const e = expected().find((x) => x.at.name === name);
      const found = run.findingsAt(e.at.file, e.at.line, 'n-plus-one');
      assert.equal(found.length, 1, `${e.what}: one n-plus-one finding at ${where(e.at)}; findings:\n${run.describe()}`);
      const f = found[0];
      const problems = [];
      const check = (label, actual, want) => {
        if (!isDeepStrictEqual(actual, want)) problems.push(`${label}: got ${JSON.stringify(actual)}, want ${JSON.stringify(want)}`);
      };
      check('"1" query (related[0])', where(f.related[0]?.location), where(e.one));
      check('data.scope', f.data.scope, e.scope);
      check('data.count', f.data.count, Math.max(...e.routes.map((r) => r.count)));
      check('data.scopes', f.data.scopes, times * e.routes.length);
      const routes = [...(f.data.routes ?? [])].sort((a, b) => a.scope.localeCompare(b.scope));
      check(
        'data.routes',
        routes.map((r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount })),
        e.routes.map((r) => ({ scope: r.scope, requests: times, count: r.count, minCount: r.count })),
      );
      for (const r of e.routes.filter((x) => 'caller' in x)) {
        const got = routes.find((x) => x.scope === r.scope);
        check(`data.routes[${r.scope}].caller`, where(got?.caller), where(r.caller));
      }
      assert.deepEqual(problems, [], `${e.what} at ${where(e.at)}:\n${problems.join('\n')}\n${JSON.stringify(f.data)}`);
    });
  }
}

/** No N+1 off the expected lines, none on the `cleanLines` or in the `cleanRoutes`. */
function assertNoNPlusOneOffExpectedLines(run, { expected, cleanLines, cleanRoutes, where }) {
  const want = new Set(expected.map((e) => where(e.at)));
  const extra = run.nPlusOne().filter((f) => !want.has(where(f.location)));
  assert.deepEqual(extra.map((f) => nPlusOneSummary(f, where)), [], run.describe());
  for (const loc of cleanLines) {
    assert.deepEqual(nPlusOneMessagesAt(run, loc), [], `@line:${loc.name}`);
  }
  for (const f of run.nPlusOne()) {
    const scopes = scopesOf(f);
    for (const clean of cleanRoutes) assert.ok(!scopes.includes(clean), `${clean} shows an N+1: ${f.message}`);
  }
}

/**
 * Registers the tests of a run checked all at once (o: { names, expected(), cleanLines(), cleanRoutes,
 * authLine, times, where }; expected() is called when the tests run, once the seed's facts are known):
 * each N+1 of `names`, no other, nothing on the auth line, every finding located.
 * eagerRoutes, authLookup: how two test names call the app's eager routes and its user lookup.
 */
function itChecksAppRunAllAtOnce(getRun, { names, eagerRoutes, authLookup, ...o }) {
  itChecksEachNPlusOneAllAtOnce(getRun, names, o);

  it(`reports no other N+1: none on the auth lookup, the one-query routes or ${eagerRoutes}`, () => {
    assertNoNPlusOneOffExpectedLines(getRun(), { ...o, expected: o.expected(), cleanLines: o.cleanLines() });
  });

  it(`reports nothing at all on ${authLookup} (one per request, whatever the concurrency)`, () => {
    const run = getRun();
    // a route queueing for the pool of 2 may place its pool-wait finding here: it is about the route, not this lookup
    const found = run.findingsAt(o.authLine.file, o.authLine.line).filter((f) => f.kind !== 'pool-wait');
    assert.deepEqual(listFindings(found), [], run.describe());
  });

  it('gives every finding a location', () => {
    assert.deepEqual(unlocatedFindings(getRun()), []);
  });
}

/** `orm` of an expectation: a package name, or a pattern for aliased installs (typeorm03). */
const isOrm = (s, orm) => (s.orm instanceof RegExp ? typeof orm === 'string' && s.orm.test(orm) : s.orm === orm);

/**
 * Every N+1 of the app in the words of the ORM that issued it, and a severity that follows its
 * cost. `speaks`: [{ orm: the package the agent names, fix: what its advice must say }] — each
 * listed ORM must issue at least one of the app's N+1s; `lines` optionally pins which lines
 * belong to which package (an app that also calls knex directly).
 */
function itSpeaksTheOrmAndCostsTheSeverity(getRun, { speaks, lines = [] }) {
  it(`words every N+1 fix as ${speaks.map((s) => s.orm).join(' / ')} would, and sets its severity by what it costs`, () => {
    const run = getRun();
    const found = run.nPlusOne().filter((f) => f.location);
    assert.ok(found.length > 0, run.describe());
    for (const f of found) {
      const speak = speaks.find((s) => isOrm(s, f.data.orm));
      assert.ok(speak, `an N+1 issued through ${f.data.orm}, not ${speaks.map((s) => s.orm).join(' or ')}: ${f.message}`);
      assert.match(f.data.fix, speak.fix, `the fix of ${f.data.orm}`);
      assert.ok(f.message.includes(f.data.fix), 'the message carries the fix');
      const pinned = lines.find((l) => l.file === f.location.file && l.line === f.location.line);
      if (pinned) assert.ok(isOrm(pinned, f.data.orm), `${pinned.name}: issued through ${pinned.orm}, not ${f.data.orm}`);
      const want = f.data.costMs >= 100 && f.data.share !== null && f.data.share >= 0.2 ? 'error' : f.data.costMs >= 50 ? 'warning' : 'info';
      assert.equal(f.severity, want, `${f.data.costMs} ms, share ${f.data.share}: ${f.message}`);
      if (want === 'info') assert.match(f.message, /Reported as info: /);
    }
    for (const s of speaks) assert.ok(found.some((f) => isOrm(s, f.data.orm)), `an N+1 through ${s.orm}:\n${run.describe()}`);
  });
}

module.exports = {
  itSpeaksTheOrmAndCostsTheSeverity,
  whereIn,
  scopesOf,
  nPlusOneSummary,
  nPlusOneMessagesAt,
  unlocatedFindings,
  assertRouteFigures,
  itChecksEachNPlusOneByRoute,
  assertNoOtherNPlusOneByRoute,
  nPlusOneLinksInto,
  assertTslibOutput,
  itChecksTypeScriptAppRun,
  itChecksAppRunAllAtOnce,
};
