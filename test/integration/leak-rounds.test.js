// Leak detection under `perf-lens run --load … --rounds 3`, through the real CLI, agent and
// fixture apps: each leaking fixture gets a `leak` finding on the statement that keeps the
// memory (marked `// LEAK-SITE`), with the allocating function's line (`// LEAK-FUNCTION`) as
// related information, and a heap-growth finding; the controls (bounded LRU, garbage churn,
// start-up table) get neither.
const { CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LEAKS, CONTROLS, leakSite, dir } = require('../fixtures/leaks/expect');


function runCli(args, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`perf-lens ${args.join(' ')} did not finish\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function roundsReport(fixture) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-leak-'));
  const json = path.join(tmp, 'report.json');
  try {
    const { code, out } = await runCli(['run', '--load', 'node load.js --requests 300', '--rounds', '3', '--json', json, '--', 'node', fixture]);
    assert.equal(code, 0, out);
    return { report: readReport(json), out };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

for (const fixture of LEAKS) {
  test(`--rounds 3 puts a leak finding on the storing line of ${fixture}`, async () => {
    const { report, out } = await roundsReport(fixture);
    const site = leakSite(fixture);
    const leaks = report.findings.filter((f) => f.kind === 'leak');
    const hit = leaks.find((f) => f.location && f.location.file === site.file && f.location.line === site.line);
    assert.ok(hit, `no leak finding at ${fixture}:${site.line}; findings: ${JSON.stringify(report.findings, null, 1)}`);
    assert.ok(hit.data.bytesPerRound >= 256 * 1024, `growth per round ${hit.data.bytesPerRound}`);
    assert.ok(hit.data.liveBytes > hit.data.bytesPerRound, 'live bytes include every round');
    assert.equal(hit.data.samples, 3);
    assert.ok(hit.data.confidence > 0.8 && hit.data.confidence <= 1);
    assert.match(hit.message, /handle\(\) keeps growing: \+[\d.]+ (KB|MB) per load round/);
    // The line is the storing statement, named in the message; the function's line is related.
    assert.ok(hit.data.retainedBy && hit.message.includes(`${hit.data.retainedBy} on this line keeps it`), hit.message);
    assert.equal(hit.data.functionLine, site.functionLine);
    assert.ok(
      hit.related.some((r) => r.message === `allocated in function handle() at line ${site.functionLine}` && r.location?.file === site.file && r.location.line === site.functionLine),
      JSON.stringify(hit.related),
    );
    if (site.viaLine) {
      assert.ok(hit.related.some((r) => r.message.startsWith('stored by ') && r.location?.line === site.viaLine), JSON.stringify(hit.related));
    }
    assert.match(out, new RegExp(`${fixture.replace('.', '\\.')}:${site.line}:\\d+: \\w+ leak`), 'the summary names file:line');
    // Nothing else in the fixture is reported as leaking.
    assert.deepEqual(leaks.filter((f) => f !== hit && f.location?.file === site.file), []);
    const growth = report.findings.find((f) => f.kind === 'heap-growth');
    assert.ok(growth, 'heap-growth finding');
    assert.equal(growth.location, null);
    assert.ok(growth.data.bytesPerRound >= 512 * 1024, `heap growth per round ${growth.data.bytesPerRound}`);
  });
}

for (const fixture of CONTROLS) {
  test(`--rounds 3 reports no leak for the control ${fixture}`, async () => {
    const { report } = await roundsReport(fixture);
    const leaky = report.findings.filter((f) => f.kind === 'leak' || f.kind === 'heap-growth' || f.kind === 'heap-limit');
    assert.deepEqual(leaky, []);
    // The run did happen: the app served the load and sent its heap measurements.
    assert.equal(report.processes[0].metrics.http.requests, 900);
  });
}
