#!/usr/bin/env node
// Overhead of the Perf Lens agent on an HTTP app: throughput (autocannon, in its own process)
// and resident memory, with and without `--require dist/agent.js`, runs interleaved
// (without/with, then with/without, …) so drift of the machine hits both sides alike.
// Each run is a fresh app: warm-up, measured run, RSS read at its end, stop. Besides req/s it
// reads the app's own CPU time per request (/proc), which other load on the machine barely moves.
//
//   node bench/overhead.js [--pairs 6] [--duration 10] [--warmup 3] [--connections 10]
//                          [--server child|inproc|both] [--host-nice N] [--no-pin] [--quick] [--out FILE]
//                          [--app standard|minimal] [--configs defaults,no-sampling,no-db,…]
//                          [--load wrk|autocannon]
// --load: the load generator; wrk (default where it is installed) saturates the pinned app from
// one core, autocannon needs about a core for 40 000 requests/s and leaves the app half idle,
// which blurs its CPU per request (pairs spread ±15 % on the minimal app, ±4 % with wrk).
// --app minimal: a handler of ~50 µs (one JSON.stringify of 20 objects), where a fixed
// per-request cost shows most. --configs: one agent variant per named configuration (what
// PERF_LENS_OPTIONS the agent gets, see CONFIGS), each paired with a run without the agent;
// the table gives the app's CPU per request against that run, median of the pairs and spread.
// Env: BENCH_PAIRS, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_SERVER,
//      PERF_LENS_AGENT (default dist/agent.js), PERF_LENS_CORE (default dist/core.js).
// `--server child` runs the session server in its own process, as `perf-lens run` does beside
// the app; `inproc` runs it inside this orchestrator process (also apart from the app).
// `--host-nice 19` lowers the child server's priority: on a busy 2-core machine that shows how
// much of the loss is the server's CPU rather than the agent's work inside the app.
// Pinning (default where taskset exists and there are ≥ 2 CPUs): the app gets the last CPU to
// itself; autocannon and the session server share the others. The app then saturates one
// core and competes with nothing, so req/s and CPU per request move together and the
// run-to-run spread drops from tens of percent to a few.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp, stopProcess, runAutocannon, runWrk, hasWrk, rssBytes, cpuSeconds, cpuPlan } = require('./lib/procs');
const { describe, median } = require('./lib/stats');
const { startSessionHost, startHostProcess, waitForPid } = require('./lib/session-host');
const { CONFIGS } = require('./lib/agent-configs');
const { flagReader } = require('./lib/args');

const root = path.join(__dirname, '..');
const GOALS = { maxThroughputLossPct: 2, maxRssIncreaseMB: 15 };

const APPS = { standard: 'app.js', minimal: 'minimal-app.js' };

function parseConfig(argv) {
  const flag = flagReader(argv);
  const quick = argv.includes('--quick');
  const num = (name, env, dflt, quickDflt) => Number(flag(name) ?? process.env[env] ?? (quick ? quickDflt : dflt));
  const cfg = {
    pairs: num('pairs', 'BENCH_PAIRS', 6, 2),
    durationS: num('duration', 'BENCH_DURATION', 10, 3),
    warmupS: num('warmup', 'BENCH_WARMUP', 3, 1),
    connections: num('connections', 'BENCH_CONNECTIONS', 10, 10),
    server: flag('server') ?? process.env.BENCH_SERVER ?? 'child',
    hostNice: Number(flag('host-nice') ?? process.env.BENCH_HOST_NICE ?? 0),
    agent: path.resolve(flag('agent') ?? process.env.PERF_LENS_AGENT ?? path.join(root, 'dist', 'agent.js')),
    core: path.resolve(flag('core') ?? process.env.PERF_LENS_CORE ?? path.join(root, 'dist', 'core.js')),
    out: path.resolve(flag('out') ?? path.join(__dirname, 'results', 'overhead.json')),
    pin: argv.includes('--no-pin') ? null : cpuPlan(),
    app: flag('app') ?? process.env.BENCH_APP ?? 'standard',
    load: flag('load') ?? process.env.BENCH_LOAD ?? (hasWrk() ? 'wrk' : 'autocannon'),
    configs: (flag('configs') ?? process.env.BENCH_CONFIGS ?? '').split(',').filter(Boolean),
  };
  if (!APPS[cfg.app]) throw new Error(`--app must be ${Object.keys(APPS).join(' or ')}, not "${cfg.app}".`);
  for (const c of cfg.configs) if (!CONFIGS[c]) throw new Error(`Unknown --configs entry "${c}"; known: ${Object.keys(CONFIGS).join(', ')}.`);
  if (!['wrk', 'autocannon'].includes(cfg.load)) throw new Error(`--load must be wrk or autocannon, not "${cfg.load}".`);
  if (cfg.load === 'wrk' && !hasWrk()) throw new Error('--load wrk needs wrk on the PATH (Debian package wrk; scripts/setup.sh installs it).');
  if (!['child', 'inproc', 'both'].includes(cfg.server)) throw new Error(`--server must be child, inproc or both, not "${cfg.server}".`);
  for (const k of ['pairs', 'durationS', 'warmupS', 'connections']) {
    if (!(cfg[k] >= (k === 'warmupS' ? 0 : 1))) throw new Error(`--${k.replace(/S$/, '')} must be a positive number.`);
  }
  return cfg;
}

/** One measured run of a variant: fresh app, warm-up, measured load, RSS, stop. */
async function measure(variant, cfg) {
  const env = { NODE_OPTIONS: '' };
  if (variant.host) {
    Object.assign(env, {
      NODE_OPTIONS: `--require ${JSON.stringify(cfg.agent)}`,
      PERF_LENS_URL: variant.host.url,
      PERF_LENS_TOKEN: variant.host.token,
    });
    if (variant.options) env.PERF_LENS_OPTIONS = JSON.stringify(variant.options);
  }
  const { child, port } = await startApp(path.join(__dirname, 'lib', APPS[cfg.app]), env, cfg.pin?.app);
  const disconnected = variant.host ? waitForPid(variant.host, 'disconnect', child.pid, 60_000 + cfg.durationS * 2000) : null;
  try {
    if (variant.host && !(await waitForPid(variant.host, 'hello', child.pid, 10_000))) {
      throw new Error(`the agent in process ${child.pid} did not connect to the session server`);
    }
    const loadPath = path.join(__dirname, 'lib', 'load.js');
    const base = { url: `http://127.0.0.1:${port}/items?page=3`, connections: cfg.connections };
    const load = (opts) => (cfg.load === 'wrk' ? runWrk(opts, cfg.pin?.rest) : runAutocannon(loadPath, opts, cfg.pin?.rest));
    if (cfg.warmupS > 0) await load({ ...base, duration: cfg.warmupS });
    const cpuBefore = cpuSeconds(child.pid);
    const result = await load({ ...base, duration: cfg.durationS });
    const cpuAfter = cpuSeconds(child.pid);
    const rss = rssBytes(child.pid);
    // The app's own CPU per request: unlike req/s, barely moved by other load on the machine.
    const cpuPerReqUs = cpuBefore === null || cpuAfter === null || !result.totalRequests ? null : ((cpuAfter - cpuBefore) * 1e6) / result.totalRequests;
    await stopProcess(child);
    const bye = disconnected ? await Promise.race([disconnected, new Promise((r) => setTimeout(() => r(null), 3000))]) : null;
    return { variant: variant.name, pid: child.pid, ...result, cpuPerReqUs, rssMB: rss === null ? null : rss / 2 ** 20, agentMessages: bye ? bye.messages : null, agentMessageTypes: bye ? bye.types : null };
  } finally {
    await stopProcess(child);
  }
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function summarize(runs, variants, pairs) {
  const base = runs.filter((r) => r.variant === 'without');
  const out = {};
  for (const v of variants) {
    const mine = runs.filter((r) => r.variant === v.name);
    const rps = describe(mine.map((r) => r.reqPerSec));
    const rss = describe(mine.map((r) => r.rssMB).filter((x) => x !== null));
    const cpu = describe(mine.map((r) => r.cpuPerReqUs).filter((x) => x !== null));
    const s = { reqPerSec: rps, cpuPerReqUs: cpu, rssMB: rss, errors: mine.reduce((a, r) => a + r.errors + r.non2xx, 0) };
    if (v.name !== 'without') {
      // Paired ratios: each run against the baseline run of the same pair.
      const ratios = [];
      for (let p = 0; p < pairs; p++) {
        const a = base.find((r) => r.pair === p);
        const b = mine.find((r) => r.pair === p);
        if (a && b) ratios.push(b.reqPerSec / a.reqPerSec);
      }
      const ratio = rps.median / describe(base.map((r) => r.reqPerSec)).median;
      s.ratio = ratio;
      s.pairedRatioMedian = median(ratios);
      s.pairedRatios = ratios;
      s.throughputLossPct = (1 - ratio) * 100;
      s.cpuPerReqRatio = cpu.median / describe(base.map((r) => r.cpuPerReqUs).filter((x) => x !== null)).median;
      // Paired too: each run's CPU per request against the run without the agent of its pair.
      const cpuRatios = [];
      for (let p = 0; p < pairs; p++) {
        const a = base.find((r) => r.pair === p);
        const b = mine.find((r) => r.pair === p);
        if (a && b && a.cpuPerReqUs && b.cpuPerReqUs) cpuRatios.push(b.cpuPerReqUs / a.cpuPerReqUs);
      }
      s.cpuPairedRatios = cpuRatios;
      s.cpuPairedRatioMedian = median(cpuRatios);
      s.cpuPairedRatioMin = Math.min(...cpuRatios);
      s.cpuPairedRatioMax = Math.max(...cpuRatios);
      // A CPU-bound app serves 1/ratio as many requests: the loss without the machine's noise.
      s.cpuLossPct = (1 - 1 / s.cpuPerReqRatio) * 100;
      s.rssIncreaseMB = rss.median - describe(base.map((r) => r.rssMB).filter((x) => x !== null)).median;
      s.agentMessagesMedian = median(mine.map((r) => r.agentMessages).filter((x) => x !== null));
      // Both loss estimates must hold: on a busy machine req/s alone can hide a real cost.
      s.meetsGoals =
        s.throughputLossPct <= GOALS.maxThroughputLossPct &&
        !(s.cpuLossPct > GOALS.maxThroughputLossPct) &&
        s.rssIncreaseMB <= GOALS.maxRssIncreaseMB;
    }
    out[v.name] = s;
  }
  return out;
}

function printTable(summary, cfg) {
  const rows = [['variant', 'req/s median', 'min–max', 'spread', 'ratio', 'paired', 'loss', 'CPU µs/req', 'CPU ratio', 'paired CPU (min–max)', 'RSS MB', 'ΔRSS MB', 'msgs']];
  for (const [name, s] of Object.entries(summary)) {
    rows.push([
      name,
      fmt(s.reqPerSec.median),
      `${fmt(s.reqPerSec.min)}–${fmt(s.reqPerSec.max)}`,
      `${fmt(s.reqPerSec.spreadPct, 1)} %`,
      s.ratio === undefined ? '1' : fmt(s.ratio, 4),
      s.pairedRatioMedian === undefined ? '' : fmt(s.pairedRatioMedian, 4),
      s.throughputLossPct === undefined ? '' : `${fmt(s.throughputLossPct, 2)} %`,
      fmt(s.cpuPerReqUs.median, 1),
      s.cpuPerReqRatio === undefined ? '1' : fmt(s.cpuPerReqRatio, 3),
      s.cpuPairedRatioMedian === undefined ? '' : `${fmt(s.cpuPairedRatioMedian, 3)} (${fmt(s.cpuPairedRatioMin, 3)}–${fmt(s.cpuPairedRatioMax, 3)})`,
      fmt(s.rssMB.median, 1),
      s.rssIncreaseMB === undefined ? '' : `${s.rssIncreaseMB >= 0 ? '+' : ''}${fmt(s.rssIncreaseMB, 1)}`,
      s.agentMessagesMedian === undefined ? '' : fmt(s.agentMessagesMedian),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  console.log(`\nPerf Lens agent overhead, ${cfg.app} app — ${cfg.pairs} pairs × ${cfg.durationS} s (warm-up ${cfg.warmupS} s), ${cfg.connections} connections (${cfg.load}), node ${process.version}, ${os.cpus().length} CPUs${cfg.pin ? `, app pinned to CPU ${cfg.pin.app}, load and server to ${cfg.pin.rest}` : ', unpinned'}`);
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const [name, s] of Object.entries(summary)) {
    if (s.meetsGoals === undefined) continue;
    console.log(`${name}: ${s.meetsGoals ? 'meets' : 'MISSES'} the goals (throughput loss ≤ ${GOALS.maxThroughputLossPct} %, RSS ≤ +${GOALS.maxRssIncreaseMB} MB); ` +
      `loss estimated from the app's CPU per request: ${fmt(s.cpuLossPct, 2)} %`);
  }
}

async function main() {
  const cfg = parseConfig(process.argv.slice(2));
  for (const f of [cfg.agent, cfg.core]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: build first with \`npm run build\`.`);
  }
  const hosts = [];
  const variants = [{ name: 'without', host: null }];
  try {
    if (cfg.configs.length) {
      const host = await startHostProcess(cfg.core, cfg.hostNice, cfg.pin?.rest);
      hosts.push(host);
      for (const c of cfg.configs) variants.push({ name: c, host, options: CONFIGS[c] });
    } else if (cfg.server === 'child' || cfg.server === 'both') {
      const host = await startHostProcess(cfg.core, cfg.hostNice, cfg.pin?.rest);
      hosts.push(host);
      variants.push({ name: cfg.server === 'both' ? 'with (server in own process)' : 'with agent', host });
    }
    if (!cfg.configs.length && (cfg.server === 'inproc' || cfg.server === 'both')) {
      const host = await startSessionHost(cfg.core);
      hosts.push(host);
      variants.push({ name: cfg.server === 'both' ? 'with (server in bench process)' : 'with agent', host });
    }
    const startedAt = new Date().toISOString();
    const runs = [];
    for (let pair = 0; pair < cfg.pairs; pair++) {
      // Alternate the order (ABAB… then BABA…) so a slow drift does not favour one side.
      const order = pair % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const r = await measure(v, cfg);
        runs.push({ pair, ...r });
        console.log(`pair ${pair + 1}/${cfg.pairs}  ${v.name.padEnd(30)} ${fmt(r.reqPerSec)} req/s  p99 ${fmt(r.latencyP99Ms, 1)} ms  CPU ${fmt(r.cpuPerReqUs, 1)} µs/req  RSS ${fmt(r.rssMB, 1)} MB${r.agentMessages === null ? '' : `  ${r.agentMessages} agent messages`}`);
      }
    }
    const summary = summarize(runs, variants, cfg.pairs);
    printTable(summary, cfg);
    const result = {
      version: 1,
      startedAt,
      endedAt: new Date().toISOString(),
      node: process.version,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, totalMemMB: Math.round(os.totalmem() / 2 ** 20) },
      config: { ...cfg, agent: path.relative(root, cfg.agent), core: path.relative(root, cfg.core), out: undefined },
      goals: GOALS,
      summary,
      runs,
    };
    fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
    fs.writeFileSync(cfg.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nWrote ${path.relative(process.cwd(), cfg.out)}`);
  } finally {
    for (const h of hosts) await h.close();
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
