// Leak detection over time (no --rounds): real CLI, agent and fixture apps under ~100 s of
// steady traffic at 10 requests/s. Each of the five kinds of 2 MB/min leak gets a `leak`
// finding on the statement that keeps the memory (`// LEAK-SITE`), with the allocating
// function's line as related information, and a heap-growth finding; the controls (bounded
// LRU, churn, start-up table) get neither. The eight runs go side by side to save time.
const { CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LEAKS, CONTROLS, leakSite, dir } = require('../fixtures/leaks/expect');

const SECONDS = 100;
// 10 requests/s × 3.4 KB kept per request ≈ 2 MB/min
const LEAK_BYTES = '3496';

const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function timedRun(fixture) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-leak-'));
  const json = path.join(tmp, 'report.json');
  const args = ['run', '--load', `node load.js --seconds ${SECONDS} --rate 10`, '--json', json, '--', 'node', fixture];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, LEAK_BYTES }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      try {
        assert.equal(code, 0, out);
        resolve({ report: readReport(json), out });
      } catch (err) {
        reject(err);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

const runs = {};
const names = [...LEAKS, ...CONTROLS];
const all = Promise.allSettled(names.map((n) => timedRun(n).then((r) => (runs[n] = r))));
const result = async (name) => {
  await all;
  if (!runs[name]) throw (await all)[names.indexOf(name)].reason;
  return runs[name];
};

for (const fixture of LEAKS) {
  test(`a 2 MB/min leak in ${fixture} is found on its storing line within ${SECONDS} s`, { timeout: (SECONDS + 90) * 1000 }, async (t) => {
    const { report, out } = await result(fixture);
    const site = leakSite(fixture);
    const hit = report.findings.find((f) => f.kind === 'leak' && f.location?.file === site.file && f.location.line === site.line);
    assert.ok(hit, `no leak at ${fixture}:${site.line}:\n${out}`);
    t.diagnostic(`${fixture}: ${(hit.data.bytesPerMinute / 1048576).toFixed(2)} MB/min read for 2 MB/min, ${hit.data.samples} reads`);
    // The rate is a sampled estimate: ~20 samples of 128 KB over the window, so it spreads by
    // about a quarter either way; the band is three such spreads wide below and more above.
    assert.ok(hit.data.bytesPerMinute > 0.5 * 1024 * 1024 && hit.data.bytesPerMinute < 5 * 1024 * 1024, `rate ${hit.data.bytesPerMinute}`);
    assert.ok(hit.data.confidence >= 0.99);
    assert.ok(hit.data.samples >= 5);
    assert.match(hit.message, /handle\(\) keeps growing: \+[\d.]+ (KB|MB)\/min/);
    assert.ok(hit.data.retainedBy && hit.message.includes(`${hit.data.retainedBy} on this line keeps it`), hit.message);
    assert.equal(hit.data.functionLine, site.functionLine);
    assert.ok(hit.related.some((r) => r.message === `allocated in function handle() at line ${site.functionLine}` && r.location?.line === site.functionLine), JSON.stringify(hit.related));
    assert.deepEqual(report.findings.filter((f) => f.kind === 'leak' && f !== hit && f.location?.file === site.file), [], 'one finding per fixture');
    const growth = report.findings.find((f) => f.kind === 'heap-growth');
    assert.ok(growth, `no heap-growth finding:\n${out}`);
    assert.ok(growth.data.bytesPerMinute > 1024 * 1024 && growth.data.windowMs >= 60_000, JSON.stringify(growth.data));
  });
}

for (const fixture of CONTROLS) {
  test(`the control ${fixture} stays clean over ${SECONDS} s`, { timeout: (SECONDS + 90) * 1000 }, async () => {
    const { report } = await result(fixture);
    assert.deepEqual(report.findings.filter((f) => ['leak', 'heap-growth', 'heap-limit'].includes(f.kind)), []);
    assert.ok(report.processes[0].metrics.http.requests >= SECONDS * 5, 'the app served the traffic');
  });
}
