'use strict';
// bench/overhead.js in its shortest form: one interleaved pair against the built agent and
// core. Checks what the bench reports (both variants measured, the agent really connected and
// reported the requests), never how fast anything was.
const { ROOT } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = ROOT;

/** Runs a bench script to its end; resolves with its exit code and output. */
async function runBench(t, script, args) {
  const child = spawn(process.execPath, [path.join(root, 'bench', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('exit', r));
  return { code, stdout, stderr };
}

test('the overhead bench measures the app with and without the agent and writes its JSON', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-bench-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'overhead.json');
  const { code, stdout, stderr } = await runBench(t, 'overhead.js', ['--pairs', '1', '--duration', '1', '--warmup', '0', '--connections', '2', '--out', out]);
  assert.equal(code, 0, stderr);

  assert.match(stdout, /^variant\s+req\/s median\s+min–max\s+spread\s+ratio/m);
  assert.match(stdout, /^with agent\s+\d+/m);
  assert.match(stdout, /with agent: (meets|MISSES) the goals/);

  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(result.runs.map((r) => r.variant).sort(), ['with agent', 'without']);
  const without = result.runs.find((r) => r.variant === 'without');
  const withAgent = result.runs.find((r) => r.variant === 'with agent');
  for (const r of [without, withAgent]) {
    assert.ok(r.totalRequests > 0, 'autocannon sent requests');
    assert.equal(r.errors + r.non2xx, 0);
    assert.ok(r.rssMB > 10, 'the app RSS was read');
    assert.ok(r.cpuPerReqUs > 0, 'the app CPU time was read');
  }
  assert.equal(without.agentMessages, null);
  assert.equal(withAgent.agentMessageTypes.hello, 1);
  assert.ok((withAgent.agentMessageTypes.http ?? 0) + (withAgent.agentMessageTypes.httpSummary ?? 0) > 0, 'the agent reported the requests');
  assert.ok(Number.isFinite(result.summary['with agent'].ratio));
  assert.ok(Number.isFinite(result.summary['with agent'].rssIncreaseMB));
  assert.ok(Number.isFinite(result.summary['with agent'].cpuLossPct));
});

test('the GC-watching bench runs each variant, sees the collections only where it watches, and writes its JSON', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-bench-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'gc-probe.json');
  const { code, stdout, stderr } = await runBench(t, 'gc-probe.js', ['--pairs', '1', '--iterations', '400000', '--out', out]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^observer\s+\d+\s+[\d.]+ \(/m);
  const { summary } = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(summary), ['without', 'observer', 'observer+heap', 'gcprofiler']);
  assert.equal(summary.without.gcs, 0);
  for (const v of ['observer', 'observer+heap', 'gcprofiler']) {
    assert.ok(summary[v].gcs > 0, `${v} saw the collections`);
    assert.ok(summary[v].cpuMs > 0 && Number.isFinite(summary[v].ratio));
  }
});

test('the all-at-once bench loads every variant in rounds and reports each against the app without the agent', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-bench-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'cpu-slices.json');
  const { code, stdout, stderr } = await runBench(t, 'cpu-slices.js', ['--rounds', '2', '--restart-every', '1', '--slice', '1', '--warmup', '0', '--connections', '2', '--configs', 'defaults,http-only', '--out', out]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^variant\s+req\/s\s+CPU µs\/req\s+ratio, median of rounds/m);
  assert.match(stdout, /^defaults\s+\d+\s+[\d.]+\s+[\d.]+ \(/m);
  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(result.summary), ['without', 'control', 'defaults', 'http-only']);
  for (const [name, slices] of Object.entries(result.slices)) {
    assert.deepEqual(slices.map((s) => s.round), [0, 1], name);
    assert.notEqual(slices[0].pid, slices[1].pid, `${name}: a fresh process each round (--restart-every 1)`);
    for (const s of slices) {
      assert.ok(s.requests > 0 && s.cpuNs > 0, `${name}: requests served and CPU read`);
      assert.equal(s.errors, 0);
    }
  }
  for (const name of ['control', 'defaults', 'http-only']) {
    const s = result.summary[name];
    assert.equal(s.ratios.length, 2);
    assert.ok(Number.isFinite(s.ratioMedian) && Number.isFinite(s.wholeRunRatio) && Number.isFinite(s.rssIncreaseMB), name);
  }
});

// bench/instructions.js reads callgrind's files: compressed names (one table per kind), the
// inclusive cost under a `calls=` line left to the callee, JIT addresses named from a perf map.
test('the instruction bench reads callgrind files: self cost per function, JIT code named, callgrind\'s summary as totals', () => {
  const { parseCallgrind, nameJitCode } = require(path.join(root, 'bench', 'lib', 'callgrind'));
  const text = [
    '# callgrind format',
    'events: Ir I1mr',
    'summary: 1000 9',
    'ob=(1) /usr/bin/node',
    'fl=(1) ???',
    'fn=(1) Builtins_LoadIC',
    '0 100 2',
    '+3 20',
    'cfl=(1)',
    'cfn=(2) 0x0000000000001010',
    'calls=4 0',
    '0 500 5',
    'fl=(2) lib.cc',
    'fn=(2)',
    '0 300 3',
    "fn=(3) 0x0000000000001010'2",
    '0 50',
    'fn=(4) 0x0000000000009999',
    '* 7',
    '',
  ].join('\n');
  const map = nameJitCode('1000 40 JS:*handler /app/server.js:3:10\n2000 10 JS:~other /app/x.js:1:1\n');
  assert.equal(map(0x1010), 'JS:*handler /app/server.js:3:10');
  assert.equal(map(0x1040), null, 'past the end of the code object');
  const { events, totals, functions } = parseCallgrind(text, map);
  assert.deepEqual(events, ['Ir', 'I1mr']);
  assert.deepEqual(totals, { Ir: 1000, I1mr: 9 });
  assert.deepEqual(Object.fromEntries(functions), {
    Builtins_LoadIC: { Ir: 120, I1mr: 2 },
    // fn=(2) is the JIT address named above, its recursion (`'2`) folded in; the call's 500 is not its own
    'JS:*handler /app/server.js:3:10': { Ir: 350, I1mr: 3 },
    'JIT code (unnamed)': { Ir: 7, I1mr: 0 },
  });
});
