// Tier 1 and 2 leak detectors over realistic series fed through a Session exactly as the
// server feeds it (hello, gc, heapMeasure, heapSites messages), plus the statistics beneath.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(CORE);
const { Session, detectLeaks, theilSenSlope, mannKendall, runDetectors } = core;

const MB = 1024 * 1024;
const T0 = 1_700_000_000_000;

/** Deterministic noise (mulberry32), so a failure replays. */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function session(heapLimit = 4096 * MB) {
  const s = new Session(4242);
  s.ingest({ type: 'hello', pid: 4242, t: T0, protocol: 1, nodeVersion: 'v20.20.2', argv: ['node', 'app.js'], cwd: '/srv', startedAt: T0, heapLimit });
  return s;
}

/** Major GCs every ~4 s for `seconds`, heap after GC = f(t in s) + noise of a busy app. */
function feedGcs(s, seconds, heapAt, seed = 1) {
  const r = rng(seed);
  for (let t = 2; t < seconds; t += 3 + r() * 2) {
    s.ingest({ type: 'gc', pid: 4242, t: T0 + t * 1000, kind: 'major', durationMs: 4, heapUsedAfter: Math.round(heapAt(t) + (r() - 0.5) * 600_000) });
    s.ingest({ type: 'gc', pid: 4242, t: T0 + t * 1000 + 50, kind: 'minor', durationMs: 1, heapUsedAfter: Math.round(heapAt(t) + 9 * MB * r()) });
  }
}

const kinds = (findings) => findings.map((f) => f.kind).sort();

test('Theil–Sen ignores outliers and Mann–Kendall is exact for short series', () => {
  const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => ({ x, y: 2 * x + (x === 4 ? 100 : 0) }));
  assert.equal(theilSenSlope(pts), 2);
  assert.ok(Math.abs(mannKendall([1, 2, 3]).pIncreasing - 1 / 6) < 1e-12);
  assert.ok(Math.abs(mannKendall([1, 2, 3, 4, 5]).pIncreasing - 1 / 120) < 1e-12);
  assert.equal(mannKendall([5, 4, 3, 2, 1]).pIncreasing, 1);
  const long = Array.from({ length: 30 }, (_, i) => i + (i % 3));
  assert.ok(mannKendall(long).pIncreasing < 1e-6);
});

test('a post-GC heap growing 1 MB/min is a heap-growth finding with rate, window and confidence', () => {
  const s = session();
  feedGcs(s, 180, (t) => 40 * MB + (t / 60) * MB);
  const f = detectLeaks(s, {}).filter((x) => x.kind === 'heap-growth');
  assert.equal(f.length, 1);
  assert.equal(f[0].location, null);
  assert.ok(Math.abs(f[0].data.bytesPerMinute - MB) < 0.25 * MB, `rate ${f[0].data.bytesPerMinute}`);
  assert.ok(f[0].data.windowMs >= 150_000);
  assert.ok(f[0].data.confidence >= 0.99);
  assert.match(f[0].message, /grows by 1\.\d MB\/min/);
  assert.equal(f[0].severity, 'warning');
});

test('no heap-growth for a cache that fills then levels off, for churn, or for a start-up allocation', () => {
  const plateau = session();
  feedGcs(plateau, 240, (t) => 30 * MB + Math.min(t, 100) * 0.1 * MB, 2); // +10 MB over 100 s, then flat
  const churn = session();
  feedGcs(churn, 240, (t) => 30 * MB + Math.sin(t / 7) * 2 * MB, 3);
  const startup = session();
  feedGcs(startup, 240, (t) => (t < 15 ? 10 * MB + t * 8 * MB : 130 * MB), 4);
  for (const s of [plateau, churn, startup]) assert.deepEqual(kinds(detectLeaks(s, {})), []);
});

test('a post-GC heap near its limit is a heap-limit error, and fast growth toward it an error', () => {
  const s = session(512 * MB);
  feedGcs(s, 180, (t) => 420 * MB + (t / 60) * 10 * MB);
  const f = detectLeaks(s, {});
  const limit = f.find((x) => x.kind === 'heap-limit');
  assert.ok(limit, JSON.stringify(f));
  assert.equal(limit.severity, 'error');
  assert.ok(limit.data.ratio >= 0.85 && limit.data.ratio < 1);
  const growth = f.find((x) => x.kind === 'heap-growth');
  assert.equal(growth.severity, 'error');
  assert.ok(growth.data.minutesToLimit < 10);
});

/** A heapSites message every 10 s with the given sites ({ url, name, line, bytes, callers? }). */
function feedSites(s, seconds, sitesAt, intervalBytes = 128 * 1024) {
  for (let t = 10; t <= seconds; t += 10) {
    const sites = sitesAt(t).map((x) => ({ name: x.name, url: x.url, line: x.line, column: 17, bytes: x.bytes, count: Math.round(x.bytes / intervalBytes), ...(x.callers ? { callers: x.callers } : {}), ...(x.allocatedBy ? { allocatedBy: x.allocatedBy } : {}) }));
    s.ingest({ type: 'heapSites', pid: 4242, t: T0 + t * 1000, intervalBytes, totalBytes: sites.reduce((a, x) => a + x.bytes, 0), sites });
  }
}

/** Live bytes of a site as the sampler estimates them: whole samples of ~interval bytes. */
const sampled = (bytes, r) => Math.max(0, Math.round((bytes + (r() - 0.5) * 3 * 131072) / 131072)) * 131072;

test('a site whose live bytes grow 1 MB/min becomes a leak on its line, callers as related', () => {
  const s = session();
  const r = rng(7);
  feedGcs(s, 125, (t) => 40 * MB + (t / 60) * MB, 7); // the post-GC heap agrees
  feedSites(s, 120, (t) => [
    {
      name: 'remember', url: 'file:///srv/src/cache.js', line: 12, bytes: sampled((t / 60) * MB, r),
      callers: [{ name: 'getUser', url: '/srv/src/routes/users.js', line: 30, column: 3 }],
      allocatedBy: { name: 'set', url: '', line: 0, column: 0 },
    },
    { name: 'render', url: '/srv/src/view.js', line: 5, bytes: sampled(3 * MB + (r() - 0.5) * MB, r) },
    { name: 'loadConfig', url: '/srv/src/config.js', line: 1, bytes: 20 * MB },
    { name: 'parse', url: 'node:internal/url', line: 100, bytes: sampled(t * 20_000, r) },
  ]);
  const leaks = detectLeaks(s, {}).filter((f) => f.kind === 'leak');
  assert.equal(leaks.length, 1, JSON.stringify(leaks, null, 1));
  const [leak] = leaks;
  // /srv/src/cache.js does not exist here: no source to read, so the function's line stays.
  assert.deepEqual(leak.location, { file: '/srv/src/cache.js', line: 12, column: 17 });
  assert.equal(leak.data.functionLine, 12);
  assert.equal(leak.data.retainedBy, undefined);
  assert.ok(Math.abs(leak.data.bytesPerMinute - MB) < 0.35 * MB, `rate ${leak.data.bytesPerMinute}`);
  assert.ok(leak.data.liveBytes >= 1.5 * MB);
  assert.ok(leak.data.samples >= 10);
  assert.ok(leak.data.confidence >= 0.99);
  assert.deepEqual(leak.related[0], { message: 'called from getUser', location: { file: '/srv/src/routes/users.js', line: 30, column: 3 } });
  assert.match(leak.message, /remember\(\) keeps growing: \+(\d{3} KB|1\.\d MB)\/min, [\d.]+ MB still live, allocated through set\./);
  // The same finding through runDetectors (the built-in list).
  assert.ok(runDetectors([s]).some((f) => f.kind === 'leak' && f.id === leak.id));
});

test('no leak for a site that fills and plateaus, a churning site, or too short a window', () => {
  const plateau = session();
  feedSites(plateau, 180, (t) => [{ name: 'lru', url: '/srv/lru.js', line: 3, bytes: Math.min(t, 70) * 100_000 }]);
  const churn = session();
  const r = rng(9);
  feedSites(churn, 180, () => [{ name: 'handle', url: '/srv/app.js', line: 8, bytes: sampled(2 * MB, r) }]);
  const short = session();
  feedSites(short, 50, (t) => [{ name: 'grow', url: '/srv/app.js', line: 20, bytes: t * 50_000 }]);
  for (const s of [plateau, churn, short]) assert.deepEqual(detectLeaks(s, {}).filter((f) => f.kind === 'leak'), []);
});

test('under --rounds, sites measured after each round give bytesPerRound from 3 rounds', () => {
  const s = session();
  const perRound = [0, 2.1, 3.2, 4.2].map((x) => x * MB);
  perRound.forEach((bytes, round) => {
    s.ingest({ type: 'heapSites', pid: 4242, t: T0 + 5000 + round * 2000, round, intervalBytes: 131072, totalBytes: bytes, sites: [
      { name: 'handle', url: '/srv/app.js', line: 8, column: 16, bytes, count: Math.round(bytes / 131072) },
      { name: 'fill', url: '/srv/lru.js', line: 2, column: 1, bytes: round ? 2 * MB : 0, count: 16 },
    ] });
  });
  const leaks = detectLeaks(s, {}).filter((f) => f.kind === 'leak');
  assert.equal(leaks.length, 1);
  assert.equal(leaks[0].location.line, 8);
  assert.ok(Math.abs(leaks[0].data.bytesPerRound - 1.05 * MB) < 0.1 * MB);
  assert.equal(leaks[0].data.bytesPerMinute, undefined);
  assert.ok(Math.abs(leaks[0].data.confidence - 5 / 6) < 0.001);
});

/** A site's samples after each of three rounds (round 0, the baseline, is empty), at 32 KB. */
function roundsSession(counts, heapPerRound, { options = {} } = {}) {
  const s = session();
  [0, ...counts].forEach((count, round) => {
    const bytes = count * 32768;
    const site = { name: 'handle', url: '/srv/app.js', line: 8, column: 16, bytes, count };
    s.ingest({ type: 'heapMeasure', pid: 4242, t: T0 + 5000 + round * 2000 - 10, round, heapUsed: 30 * MB + round * heapPerRound, heapTotal: 60 * MB, rss: 90 * MB, external: 0, arrayBuffers: 0 });
    s.ingest({ type: 'heapSites', pid: 4242, t: T0 + 5000 + round * 2000, round, intervalBytes: 32768, totalBytes: bytes, sites: count ? [site] : [] });
  });
  return detectLeaks(s, options).filter((f) => f.kind === 'leak');
}

test('under --rounds, a rise in samples within sampling noise is no leak, even as the heap drifts up', () => {
  // A full 400 KB cache replaced between rounds: three Poisson counts of mean ~13 that happen
  // to rise (12 → 16 → 21: +9 samples, 1.6 standard deviations of the difference).
  assert.deepEqual(roundsSession([12, 16, 21], 300 * 1024), []);
  // Only the noise test stops it: the rise is steady, above the floor, and the heap grows.
  assert.equal(roundsSession([12, 16, 21], 300 * 1024, { options: { leakRoundNoiseZ: 0 } }).length, 1);
  const leak = roundsSession([34, 68, 103], 1.2 * MB);
  assert.equal(leak.length, 1);
  assert.equal(leak[0].location.line, 8);
  assert.ok(Math.abs(leak[0].data.bytesPerRound - 34.5 * 32768) < 32768, `${leak[0].data.bytesPerRound}`);
});

/**
 * A Poisson stream of live samples, as the sampling profiler sees a leak: each leaked object is
 * sampled with a small probability and, once sampled, stays counted while it lives.
 */
function poissonCounts(r, perSecond, until) {
  const counts = new Map();
  let n = 0;
  let t = 0;
  for (let at = 10; at <= until; at += 10) {
    for (;;) {
      const gap = -Math.log(1 - r()) / perSecond;
      if (t + gap > at) {
        t = at;
        break;
      }
      t += gap;
      n++;
    }
    counts.set(at, n);
  }
  return counts;
}

test('over time, a leak sampled as a Poisson stream is found for every seed (the flattening check does not drop it)', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const s = session();
    const r = rng(100 + seed);
    const counts = poissonCounts(r, 8 / 60, 150); // 1 MB/min at a 128 KB sampling interval
    feedGcs(s, 155, (t) => 40 * MB + (t / 60) * MB, seed);
    feedSites(s, 150, (t) => [{ name: 'handle', url: '/srv/app.js', line: 8, bytes: counts.get(t) * 131072 }]);
    const leaks = detectLeaks(s, {}).filter((f) => f.kind === 'leak');
    assert.equal(leaks.length, 1, `seed ${seed}: ${[...counts.values()].join(' ')}`);
  }
});

test('over time, a 2 MB/min leak is found at 100 s for every seed, however late in the first 35 s the profiler woke', () => {
  // leak-duration's timeline: tier 1 wakes the profiler 15–35 s in, reads come every 11 s, and
  // the run ends at 101.7 s with a last read. 1–3 new samples a read leave the later half's
  // slope noisy; the finding must not hang on it (it did for 4 of these 200 seeds. Of 2 000
  // seeds, 26 were missed and 3 still are, by the trend's confidence).
  const missed = [];
  for (let seed = 101; seed <= 300; seed++) {
    const r = rng(500 + seed);
    const wake = 15 + 20 * r();
    const reads = [];
    for (let t = wake + 11; t < 100; t += 11) reads.push(t);
    reads.push(101.7);
    const s = session();
    feedGcs(s, 102, (t) => 6 * MB + (t / 60) * 2 * MB, seed);
    let count = 0;
    let from = wake;
    for (const t of reads) {
      for (let at = from - Math.log(1 - r()) / (16 / 60); at <= t; at -= Math.log(1 - r()) / (16 / 60)) count++;
      from = t;
      const site = { name: 'handle', url: '/srv/app.js', line: 8, column: 17, bytes: count * 131072, count };
      s.ingest({ type: 'heapSites', pid: 4242, t: T0 + t * 1000, intervalBytes: 131072, totalBytes: site.bytes, sites: count ? [site] : [] });
    }
    if (detectLeaks(s, {}).filter((f) => f.kind === 'leak').length !== 1) missed.push(`seed ${seed}, woke at ${wake.toFixed(0)} s`);
  }
  assert.deepEqual(missed, []);
});

test('over time, a bounded cache that filled and stopped in the latest part of the window is clean', () => {
  // Rises steadily to 130 s (the later half still rises), then holds its size to 170 s.
  const s = session();
  const r = rng(5);
  const counts = poissonCounts(r, 40 / 60, 170);
  const at = (t) => counts.get(Math.min(t, 130));
  feedGcs(s, 175, (t) => 40 * MB + (Math.min(t, 130) / 60) * 5 * MB, 5);
  feedSites(s, 170, (t) => [{ name: 'remember', url: '/srv/lru.js', line: 4, bytes: at(t) * 131072 }]);
  assert.deepEqual(detectLeaks(s, {}).filter((f) => f.kind === 'leak'), []);
  // The same site still rising at the end is a leak: what made the difference is the end.
  const rising = session();
  feedGcs(rising, 175, (t) => 40 * MB + (t / 60) * 5 * MB, 5);
  feedSites(rising, 170, (t) => [{ name: 'remember', url: '/srv/lru.js', line: 4, bytes: counts.get(t) * 131072 }]);
  assert.equal(detectLeaks(rising, {}).filter((f) => f.kind === 'leak').length, 1);
});

test('over time, a site that grows while the post-GC heap stays flat is not a leak', () => {
  const s = session();
  const r = rng(11);
  const counts = poissonCounts(r, 16 / 60, 150);
  feedGcs(s, 155, () => 60 * MB, 11); // the exact heap says nothing is kept
  feedSites(s, 150, (t) => [{ name: 'handle', url: '/srv/app.js', line: 8, bytes: counts.get(t) * 131072 }]);
  assert.deepEqual(detectLeaks(s, {}).filter((f) => f.kind === 'leak'), []);
  // Without any post-GC heap point in the window there is nothing to agree with: no finding.
  const blind = session();
  feedSites(blind, 150, (t) => [{ name: 'handle', url: '/srv/app.js', line: 8, bytes: counts.get(t) * 131072 }]);
  assert.deepEqual(detectLeaks(blind, {}).filter((f) => f.kind === 'leak'), []);
});

test('a leak lands on the storing line read from the file; an ignore directive on either line silences it', () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-leak-line-'));
  try {
    const lines = ['const cache = new Map();', 'function handle(req, res) {', '  const entry = { url: req.url, rows: new Array(512).fill(1) };', '  cache.set(req.url, entry);', '  res.end();', '}', ''];
    const run = (src) => {
      const file = path.join(dir, `app-${Math.random().toString(36).slice(2)}.js`);
      fs.writeFileSync(file, src.join('\n'));
      const s = session();
      const r = rng(3);
      const counts = poissonCounts(r, 16 / 60, 150);
      feedGcs(s, 155, (t) => 40 * MB + (t / 60) * 2 * MB, 3);
      // V8 places handle() at its parameter list (line 2); feedSites says column 17, one off
      feedSites(s, 150, (t) => [{ name: 'handle', url: file, line: 2, bytes: counts.get(t) * 131072 }]);
      return { file, leaks: detectLeaks(s, {}).filter((f) => f.kind === 'leak') };
    };
    const plain = run(lines);
    assert.equal(plain.leaks.length, 1);
    assert.deepEqual(plain.leaks[0].location, { file: plain.file, line: 4, column: 3 });
    assert.equal(plain.leaks[0].data.functionLine, 2);
    assert.match(plain.leaks[0].message, /cache\.set\(…\) on this line keeps it; the memory is allocated in handle\(\) at line 2\./);
    const atStore = lines.slice();
    atStore[3] += ' // perf-lens-ignore leak';
    assert.deepEqual(run(atStore).leaks, []);
    const atFunction = lines.slice();
    atFunction[1] += ' // perf-lens-ignore leak';
    assert.deepEqual(run(atFunction).leaks, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
