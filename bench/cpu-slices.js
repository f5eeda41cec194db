#!/usr/bin/env node
// The agent's CPU cost per request, measured so a few percent can be told from the machine's
// drift. On this VM a plain app's CPU per request drifts 20 % over a minute, within one process
// and between fresh ones, with no steal time reported; runs of 4–6 s back to back then spread
// their ratios ±15 % and a ×1.03 goal cannot be checked.
//
// So every variant runs at once: one app process without the agent, a second one without it (the
// control: its ratio is the noise floor), and one per agent configuration, all pinned to the same
// CPU. The load (wrk, pinned to the other CPUs with the session server) goes to one app at a time
// in short slices, every variant once per round in a rotating order. Slices of one round are a
// few seconds apart, so the drift cancels in each round's ratio; the median over rounds is the
// figure. CPU is each process's own (all its threads, /proc/PID/task/*/schedstat, ns).
//
//   node bench/cpu-slices.js [--app minimal|busy|standard] [--configs defaults,no-sampling,no-db]
//                            [--rounds 30] [--restart-every 6] [--slice 1] [--warmup 3] [--connections 10] [--quick]
//                            [--agents name=file@config,…] [--preloads name=file,…] [--node-args name=flags,…] [--out bench/results/cpu-slices.json]
//
// Caveat: with N apps sharing the CPU each gets 1/N of it, so a cost paid per unit of time (a
// heap profile read every 10 s, ~300 ms of re-optimisation after the full GC it runs) weighs N
// times what it weighs in an app that has the CPU to itself; a cost paid per request does not.
// Compare configurations that differ in such costs with few variants, or with overhead.js.
//
// "in slices": CPU used during the variant's own slices ÷ its requests (the per-request cost).
// "whole run": all the CPU the process used from the first round to the last ÷ its requests,
// so what the agent does on its own clock (samplers, heap profile reads) is charged too, and
// charged in full although the app was loaded only part of that time (an upper bound).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp, stopProcess, runWrk, hasWrk, rssBytes, cpuPlan } = require('./lib/procs');
const { describe, median } = require('./lib/stats');
const { startHostProcess } = require('./lib/session-host');
const { CONFIGS } = require('./lib/agent-configs');
const { flagReader, agentVariants, preloadVariants } = require('./lib/args');

const root = path.join(__dirname, '..');
const APPS = { minimal: 'minimal-app.js', busy: 'busy-app.js', standard: 'app.js' };

function parseArgs(argv) {
  const flag = flagReader(argv);
  const quick = argv.includes('--quick');
  const num = (name, dflt, quickDflt) => Number(flag(name) ?? (quick ? quickDflt : dflt));
  const cfg = {
    app: flag('app') ?? 'minimal',
    configs: (flag('configs') ?? 'defaults,no-sampling,no-db').split(',').filter(Boolean),
    rounds: num('rounds', 30, 4),
    // a process of its own carries a bias of a few % (where its heap and code landed): fresh
    // processes every few rounds average it out
    restartEvery: num('restart-every', 6, 2),
    mode: flag('mode') ?? 'concurrent',
    sliceS: num('slice', flag('mode') === 'slices' ? 1 : 4, flag('mode') === 'slices' ? 1 : 2),
    warmupS: num('warmup', 3, 1),
    connections: num('connections', 10, 10),
    agent: path.resolve(flag('agent') ?? path.join(root, 'dist', 'agent.js')),
    core: path.resolve(flag('core') ?? path.join(root, 'dist', 'core.js')),
    out: path.resolve(flag('out') ?? path.join(__dirname, 'results', 'cpu-slices.json')),
    preloads: preloadVariants(flag('preloads')),
    // beside the configurations of --agent: before and after in the same rounds
    agents: agentVariants(flag('agents')),
    // name=flags: node's own flags for a variant (V8's, which NODE_OPTIONS refuses), space-separated;
    // with a preload or agent of the same name they apply to it, else to an app without the agent
    nodeArgs: Object.fromEntries((flag('node-args') ?? '').split(',').filter(Boolean).map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at), p.slice(at + 1).split(' ').filter(Boolean)];
    })),
    pin: cpuPlan(),
  };
  if (!['concurrent', 'slices'].includes(cfg.mode)) throw new Error(`--mode must be concurrent or slices, not "${cfg.mode}".`);
  if (!APPS[cfg.app]) throw new Error(`--app must be ${Object.keys(APPS).join(', ')}, not "${cfg.app}".`);
  for (const c of cfg.configs) if (!CONFIGS[c]) throw new Error(`Unknown --configs entry "${c}"; known: ${Object.keys(CONFIGS).join(', ')}.`);
  for (const k of ['rounds', 'restartEvery', 'sliceS', 'connections']) if (!(cfg[k] >= 1)) throw new Error(`--${k.replace(/S$/, '')} must be at least 1.`);
  if (!hasWrk()) throw new Error('this bench needs wrk on the PATH (Debian package wrk; scripts/install-system-deps.sh installs it).');
  for (const f of [cfg.agent, cfg.core]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: build first with \`npm run build\`.`);
  }
  return cfg;
}

/** CPU time of every thread of `pid`, in ns (schedstat's first field), or null once it is gone. */
function cpuNs(pid) {
  try {
    let sum = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      sum += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return sum;
  } catch {
    return null;
  }
}

/** Starts one app per variant (agent variants connected to `host`), in parallel. */
async function startVariants(names, cfg, host, greeted) {
  const connected = async (pid) => {
    for (let waited = 0; waited < 10_000 && !greeted.has(pid); waited += 50) await new Promise((r) => setTimeout(r, 50));
    return greeted.has(pid);
  };
  return Promise.all(
    names.map(async (name) => {
      const env = { NODE_OPTIONS: '' };
      const agent = cfg.agents[name] ?? (CONFIGS[name] && !cfg.preloads[name] ? { file: cfg.agent, options: CONFIGS[name] } : null);
      if (cfg.preloads[name]) env.NODE_OPTIONS = `--require ${JSON.stringify(cfg.preloads[name])}`;
      else if (agent) {
        Object.assign(env, {
          NODE_OPTIONS: `--require ${JSON.stringify(agent.file)}`,
          PERF_LENS_URL: host.url,
          PERF_LENS_TOKEN: host.token,
          PERF_LENS_OPTIONS: JSON.stringify(agent.options),
        });
      }
      const { child, port } = await startApp(path.join(__dirname, 'lib', APPS[cfg.app]), env, cfg.pin?.app, cfg.nodeArgs[name]);
      if (agent && !(await connected(child.pid))) {
        throw new Error(`the agent in process ${child.pid} (${name}) did not connect to the session server`);
      }
      return { name, child, url: `http://127.0.0.1:${port}/items?page=3` };
    }),
  );
}

/** Round r's order: rotated by r, reversed every other round, so no variant keeps a place. */
function orderOf(variants, r) {
  const k = r % variants.length;
  const rotated = [...variants.slice(k), ...variants.slice(0, k)];
  return Math.floor(r / variants.length) % 2 === 0 ? rotated : rotated.reverse();
}

function summarize(variants, rounds) {
  const base = variants[0];
  const out = {};
  for (const v of variants) {
    const reqs = v.slices.reduce((a, s) => a + s.requests, 0);
    const inSlices = v.slices.reduce((a, s) => a + s.cpuNs, 0);
    const s = {
      requests: reqs,
      cpuPerReqUs: inSlices / reqs / 1000,
      wholeRunCpuPerReqUs: v.wholeRunCpuNs / reqs / 1000,
      reqPerSecMedian: median(v.slices.map((x) => x.reqPerSec)),
      rssMB: v.rssMB,
    };
    if (v !== base) {
      const ratios = [];
      for (let r = 0; r < rounds; r++) {
        const a = base.slices.find((x) => x.round === r);
        const b = v.slices.find((x) => x.round === r);
        if (a && b && a.requests && b.requests) ratios.push(b.cpuNs / b.requests / (a.cpuNs / a.requests));
      }
      const sorted = [...ratios].sort((x, y) => x - y);
      s.ratioMedian = median(ratios);
      s.ratioQ1 = sorted[Math.floor((sorted.length - 1) / 4)];
      s.ratioQ3 = sorted[Math.ceil(((sorted.length - 1) * 3) / 4)];
      s.ratios = ratios;
      s.wholeRunRatio = s.wholeRunCpuPerReqUs / (base.wholeRunCpuNs / base.slices.reduce((a, x) => a + x.requests, 0) / 1000);
      s.rssIncreaseMB = v.rssMB - base.rssMB;
    }
    out[v.name] = s;
  }
  return out;
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function printTable(summary, cfg) {
  const rows = [['variant', 'req/s', 'CPU µs/req', 'ratio, median of rounds (IQR)', 'whole run µs/req', 'whole-run ratio', 'RSS MB', 'ΔRSS MB']];
  for (const [name, s] of Object.entries(summary)) {
    rows.push([
      name,
      fmt(s.reqPerSecMedian),
      fmt(s.cpuPerReqUs, 2),
      s.ratioMedian === undefined ? '1' : `${fmt(s.ratioMedian, 3)} (${fmt(s.ratioQ1, 3)}–${fmt(s.ratioQ3, 3)})`,
      fmt(s.wholeRunCpuPerReqUs, 2),
      s.wholeRunRatio === undefined ? '1' : fmt(s.wholeRunRatio, 3),
      fmt(s.rssMB, 1),
      s.rssIncreaseMB === undefined ? '' : `${s.rssIncreaseMB >= 0 ? '+' : ''}${fmt(s.rssIncreaseMB, 1)}`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  console.log(`\nPerf Lens agent CPU per request, ${cfg.app} app — ${cfg.rounds} rounds of ${cfg.sliceS} s slices, ${cfg.connections} connections (wrk), node ${process.version}${cfg.pin ? `, apps on CPU ${cfg.pin.app}, load and server on ${cfg.pin.rest}` : ', unpinned'}`);
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const host = await startHostProcess(cfg.core, 0, cfg.pin?.rest);
  let variants = [];
  let procs = [];
  try {
    const names = [...new Set(['without', 'control', ...cfg.configs, ...Object.keys(cfg.agents), ...Object.keys(cfg.preloads), ...Object.keys(cfg.nodeArgs)])];
    variants = names.map((name) => ({ name, slices: [], wholeRunCpuNs: 0, rssMBs: [] }));
    const greeted = new Set();
    host.on('hello', (pid) => greeted.add(typeof pid === 'number' ? pid : pid.pid));
    const startedAt = new Date().toISOString();
    for (let first = 0; first < cfg.rounds; first += cfg.restartEvery) {
      procs = await startVariants(names, cfg, host, greeted);
      if (cfg.warmupS > 0) {
        const warm = (p) => runWrk({ url: p.url, connections: cfg.connections, duration: cfg.warmupS }, cfg.pin?.rest);
        if (cfg.mode === 'concurrent') await Promise.all(procs.map(warm));
        else for (const p of procs) await warm(p);
      }
      const startCpu = procs.map((p) => cpuNs(p.child.pid));
      for (let r = first; r < Math.min(cfg.rounds, first + cfg.restartEvery); r++) {
        if (cfg.mode === 'concurrent') {
          // Every app loaded at once: each is busy the whole time, as an app under steady load
          // is, and all of them see the same moments of the machine.
          const before = procs.map((p) => cpuNs(p.child.pid));
          const results = await Promise.all(procs.map((p) => runWrk({ url: p.url, connections: cfg.connections, duration: cfg.sliceS }, cfg.pin?.rest)));
          procs.forEach((p, i) => {
            const res = results[i];
            variants[i].slices.push({ round: r, pid: p.child.pid, requests: res.totalRequests, reqPerSec: res.reqPerSec, cpuNs: cpuNs(p.child.pid) - before[i], errors: res.errors + res.non2xx });
          });
        }
        if (cfg.mode === 'slices') for (const i of orderOf([...names.keys()], r)) {
          const pid = procs[i].child.pid;
          const before = cpuNs(pid);
          const res = await runWrk({ url: procs[i].url, connections: cfg.connections, duration: cfg.sliceS }, cfg.pin?.rest);
          const after = cpuNs(pid);
          variants[i].slices.push({ round: r, pid, requests: res.totalRequests, reqPerSec: res.reqPerSec, cpuNs: after - before, errors: res.errors + res.non2xx });
        }
        const a = variants[0].slices.at(-1);
        const line = variants.slice(1).map((v) => `${v.name} ×${fmt(v.slices.at(-1).cpuNs / v.slices.at(-1).requests / (a.cpuNs / a.requests), 3)}`);
        console.error(`round ${r + 1}/${cfg.rounds}  ${fmt(a.cpuNs / a.requests / 1000, 2)} µs/req without; ${line.join('  ')}`);
      }
      procs.forEach((p, i) => {
        variants[i].wholeRunCpuNs += cpuNs(p.child.pid) - startCpu[i];
        variants[i].rssMBs.push(rssBytes(p.child.pid) / 2 ** 20);
      });
      for (const p of procs) await stopProcess(p.child);
      procs = [];
    }
    for (const v of variants) v.rssMB = median(v.rssMBs);
    const summary = summarize(variants, cfg.rounds);
    printTable(summary, cfg);
    const result = {
      version: 1,
      startedAt,
      endedAt: new Date().toISOString(),
      node: process.version,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
      config: { ...cfg, agent: path.relative(root, cfg.agent), core: path.relative(root, cfg.core), out: undefined },
      summary,
      slices: Object.fromEntries(variants.map((v) => [v.name, v.slices])),
    };
    fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
    fs.writeFileSync(cfg.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nWrote ${path.relative(process.cwd(), cfg.out)}`);
  } finally {
    for (const p of procs) await stopProcess(p.child);
    await host.close();
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
