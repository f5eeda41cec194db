#!/usr/bin/env node
// Where the agent's CPU goes, from Linux perf's samples rather than from throughput. On this VM
// a process's CPU per request drifts ±15 % from one run to the next and differs by a few % from
// a twin process's, so a 1 % step cannot be told from ratios of whole runs. A sample's stack, on
// the other hand, says what ran: the share of an app's samples whose stack holds a frame of the
// agent's bundle is the agent's own JavaScript (the probes' subscribers, the transport, the
// timers), the share under V8's SamplingHeapProfiler is heap sampling, and GC is counted apart.
// What that cannot see is an indirect cost (Node's own code running differently because a
// channel has subscribers, caches the agent evicts); compare "CPU µs/req" for those, with care.
//
// Every variant runs at once, pinned to one CPU and loaded by wrk from the other (as
// cpu-slices.js's concurrent mode), with `--perf-basic-prof` so perf can name JavaScript frames;
// `perf record -C <app CPU> -g` samples them all. Fresh processes for every pass.
//
//   node bench/cpu-attribution.js [--app minimal|busy] [--configs defaults,no-sampling]
//                                 [--passes 3] [--seconds 20] [--connections 10] [--agent dist/agent.js]
//                                 [--preloads name=file,…]
//
// Needs perf (Debian package linux-perf) allowed to sample CPUs (perf_event_paranoid ≤ 0, or root).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { startApp, stopProcess, runWrk, hasWrk, cpuPlan } = require('./lib/procs');
const { startHostProcess } = require('./lib/session-host');
const { CONFIGS } = require('./lib/agent-configs');
const { flagReader, preloadVariants } = require('./lib/args');

const root = path.join(__dirname, '..');
const APPS = { minimal: 'minimal-app.js', busy: 'busy-app.js', standard: 'app.js' };
/** Stack categories, first match wins (a GC under the agent's frame is the agent's). */
const GC = /Scaveng|MarkCompact|Heap::CollectGarbage|Sweeper|ConcurrentMarking|MinorMC|IncrementalMarking|PerformGarbageCollection/;

function parseArgs(argv) {
  const flag = flagReader(argv);
  const cfg = {
    app: flag('app') ?? 'minimal',
    configs: (flag('configs') ?? 'defaults,no-sampling').split(',').filter(Boolean),
    passes: Number(flag('passes') ?? 3),
    seconds: Number(flag('seconds') ?? 20),
    connections: Number(flag('connections') ?? 10),
    preloads: preloadVariants(flag('preloads')),
    agent: path.resolve(flag('agent') ?? path.join(root, 'dist', 'agent.js')),
    core: path.join(root, 'dist', 'core.js'),
    pin: cpuPlan(),
  };
  if (!APPS[cfg.app]) throw new Error(`--app must be ${Object.keys(APPS).join(', ')}, not "${cfg.app}".`);
  for (const c of cfg.configs) if (!CONFIGS[c]) throw new Error(`Unknown --configs entry "${c}"; known: ${Object.keys(CONFIGS).join(', ')}.`);
  for (const k of ['passes', 'seconds', 'connections']) if (!(cfg[k] >= 1)) throw new Error(`--${k} must be at least 1.`);
  if (!cfg.pin) throw new Error('this bench needs 2 CPUs and taskset, to keep the apps on a CPU of their own.');
  if (!hasWrk()) throw new Error('this bench needs wrk on the PATH (Debian package wrk; scripts/install-system-deps.sh installs it).');
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('this bench needs perf on the PATH (Debian package linux-perf).');
  for (const f of [cfg.agent, cfg.core]) if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: build first with \`npm run build\`.`);
  return cfg;
}

/** Samples per pid and category from `perf script` output (blank-line separated stacks). */
function categorize(text, agentFile) {
  const byPid = new Map();
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const pid = Number.parseInt(lines[0], 10);
    if (!Number.isSafeInteger(pid)) continue;
    const frames = lines.slice(1);
    let c = byPid.get(pid);
    if (!c) byPid.set(pid, (c = { total: 0, agent: 0, sampler: 0, gc: 0 }));
    c.total++;
    if (frames.some((f) => f.includes(agentFile))) c.agent++;
    else if (frames.some((f) => f.includes('SamplingHeapProfiler'))) c.sampler++;
    else if (frames.some((f) => GC.test(f))) c.gc++;
  }
  return byPid;
}

async function pass(cfg, host, names, dir) {
  const procs = [];
  try {
    for (const name of names) {
      const env = { NODE_OPTIONS: '' };
      if (cfg.preloads[name]) env.NODE_OPTIONS = `--require ${JSON.stringify(cfg.preloads[name])}`;
      else if (name !== 'without' && name !== 'control') {
        Object.assign(env, {
          NODE_OPTIONS: `--require ${JSON.stringify(cfg.agent)}`,
          PERF_LENS_URL: host.url,
          PERF_LENS_TOKEN: host.token,
          PERF_LENS_OPTIONS: JSON.stringify(CONFIGS[name]),
        });
      }
      const { child, port } = await startApp(path.join(__dirname, 'lib', APPS[cfg.app]), env, cfg.pin.app, ['--perf-basic-prof']);
      procs.push({ name, child, url: `http://127.0.0.1:${port}/items?page=3` });
    }
    const load = (seconds) => Promise.all(procs.map((p) => runWrk({ url: p.url, connections: cfg.connections, duration: seconds }, cfg.pin.rest)));
    await load(3);
    const data = path.join(dir, 'perf.data');
    const perf = spawn('perf', ['record', '-q', '-F', '999', '-g', '-C', cfg.pin.app, '-o', data], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const results = await load(cfg.seconds);
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
    const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,ip,sym'], { encoding: 'utf8', maxBuffer: 1024 ** 3 });
    if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr.trim().split('\n')[0]}`);
    const counts = categorize(script.stdout, cfg.agent);
    return procs.map((p, i) => ({ name: p.name, requests: results[i].totalRequests, ...(counts.get(p.child.pid) ?? { total: 0, agent: 0, sampler: 0, gc: 0 }) }));
  } finally {
    for (const p of procs) await stopProcess(p.child);
  }
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  // --perf-basic-prof writes /tmp/perf-<pid>.map (perf reads it) and V8 logs into the cwd
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-attribution-'));
  process.chdir(dir);
  const host = await startHostProcess(cfg.core, 0, cfg.pin.rest);
  const names = ['without', 'control', ...cfg.configs, ...Object.keys(cfg.preloads)];
  const sums = new Map(names.map((n) => [n, { requests: 0, total: 0, agent: 0, sampler: 0, gc: 0 }]));
  try {
    for (let i = 0; i < cfg.passes; i++) {
      const rows = await pass(cfg, host, names, dir);
      for (const r of rows) for (const k of ['requests', 'total', 'agent', 'sampler', 'gc']) sums.get(r.name)[k] += r[k];
      const base = rows[0].total / rows[0].requests;
      console.error(`pass ${i + 1}/${cfg.passes}: ${rows.slice(1).map((r) => `${r.name} ×${(r.total / r.requests / base).toFixed(3)} (agent ${((100 * r.agent) / r.total).toFixed(1)} %)`).join('  ')}`);
    }
  } finally {
    await host.close();
    for (const f of fs.readdirSync(os.tmpdir())) if (/^perf-\d+\.map$/.test(f)) fs.rmSync(path.join(os.tmpdir(), f), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = sums.get('without');
  const perReq = (s) => (s.total / s.requests) * (1e6 / 999); // µs of CPU per request (999 samples a second)
  console.log(`\nPerf Lens agent CPU by perf samples, ${cfg.app} app — ${cfg.passes} passes of ${cfg.seconds} s, all variants at once on CPU ${cfg.pin.app}, wrk (${cfg.connections} connections) on ${cfg.pin.rest}, node ${process.version}`);
  const rows = [['variant', 'requests', 'CPU µs/req', 'ratio', 'agent JS %', 'heap sampler %', 'GC %', 'agent JS µs/req']];
  for (const [name, s] of sums) {
    rows.push([
      name,
      String(s.requests),
      perReq(s).toFixed(2),
      (perReq(s) / perReq(base)).toFixed(3),
      ((100 * s.agent) / s.total).toFixed(2),
      ((100 * s.sampler) / s.total).toFixed(2),
      ((100 * s.gc) / s.total).toFixed(2),
      ((s.agent / s.requests) * (1e6 / 999)).toFixed(3),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('\nagent JS: samples with a frame of the agent bundle on the stack; heap sampler: under V8\'s SamplingHeapProfiler. "control" is a second app without the agent: its ratio is the noise.');
}

main().catch((err) => {
  console.error(`cpu-attribution: ${err.message}`);
  process.exit(1);
});
