#!/usr/bin/env node
// The agent's cost per request counted in instructions, not timed: each variant's app runs under
// valgrind's callgrind, is warmed up on keep-alive connections, its counters are zeroed, it serves
// exactly --requests requests and its counters are dumped. Counts repeat within ~0.3 % between
// runs, where CPU time on this VM drifts 20 % in a minute (cpu-slices.js), so a change of 1 % of
// the lightest handler's cost is seen in one run of each variant.
//
//   node bench/instructions.js [--app minimal|busy] [--configs http-only,defaults] [--requests 4000]
//                              [--warmup 10000] [--cache] [--diff http-only] [--agents name=file@config,…]
//                              [--repeat 2] [--keep DIR]
//
// What instructions leave out: the kernel's share (about half of the minimal handler's 39 µs is
// the kernel's TCP work, the same with and without the agent: strace counts the same syscalls per
// request) and stalls. With --cache, callgrind also simulates the caches and branch predictor:
// on the minimal handler the agent's http probe added 2 % instructions, 6 % L1 instruction misses
// and 12 % L1 data misses per request, the "indirect" cost the timed benches saw (#12).
//
// Per-time work: valgrind runs the app ~50× slower, so work the agent does per second (the
// request summaries, samples) would fall on 50× fewer requests. The agent variants get
// summaryIntervalMs and sampleIntervalMs of 60 s, so the table is the cost per request only;
// the idle column is what each variant does per second with no request at all (valgrind's
// seconds hold as many timer ticks as real ones), plus any compilation still finishing from the
// window: compare it across runs, not from one.
//
// JIT-compiled functions are named from the app's --perf-basic-prof map, so --diff lists the
// functions, JS or native, whose cost per request changed most from the run without the agent.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { onJsonLines } = require('./lib/procs');
const { startHostProcess } = require('./lib/session-host');
const { CONFIGS } = require('./lib/agent-configs');
const { parseCallgrind, nameJitCode } = require('./lib/callgrind');
const { flagReader, agentVariants } = require('./lib/args');

const root = path.join(__dirname, '..');
const APPS = { minimal: 'minimal-app.js', busy: 'busy-app.js' };
const STRETCHED = { summaryIntervalMs: 60_000, sampleIntervalMs: 60_000 };
const CONNECTIONS = 4;

function parseArgs(argv) {
  const flag = flagReader(argv);
  const cfg = {
    app: flag('app') ?? 'minimal',
    configs: (flag('configs') ?? 'http-only,no-probes,defaults').split(',').filter(Boolean),
    requests: Number(flag('requests') ?? 4000),
    warmup: Number(flag('warmup') ?? 10_000),
    idleS: Number(flag('idle') ?? 5),
    cache: argv.includes('--cache'),
    diff: flag('diff'),
    keep: flag('keep'),
    // compilation that lands in a window only adds: the run with the fewest instructions is the figure
    repeat: Number(flag('repeat') ?? 2),
    agents: agentVariants(flag('agents')),
  };
  if (!APPS[cfg.app]) throw new Error(`--app must be one of ${Object.keys(APPS).join(', ')}, not "${cfg.app}".`);
  for (const c of cfg.configs) if (!CONFIGS[c]) throw new Error(`Unknown config "${c}"; known: ${Object.keys(CONFIGS).join(', ')}.`);
  if (!(cfg.requests > 0 && cfg.warmup >= 0)) throw new Error('--requests must be positive and --warmup zero or more.');
  return cfg;
}

/** `count` GETs over the same keep-alive sockets: new connections would deoptimise Node's http code in the window. */
function sender(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const one = () =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/items?page=3', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
  return {
    async send(count) {
      let left = count;
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (left > 0) {
          left--;
          await one();
        }
      }));
    },
    close: () => agent.destroy(),
  };
}

/** One variant under callgrind: [requests window, idle window] as parsed profiles. */
async function measure(name, agent, cfg, host, dir) {
  const env = { ...process.env, NODE_OPTIONS: '', PORT: '0' };
  if (agent) {
    Object.assign(env, {
      NODE_OPTIONS: `--require ${JSON.stringify(agent.file)}`,
      PERF_LENS_URL: host.url,
      PERF_LENS_TOKEN: host.token,
      PERF_LENS_OPTIONS: JSON.stringify({ ...agent.options, ...STRETCHED }),
    });
  }
  const out = path.join(dir, `${name}.%p`);
  const vg = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, ...(cfg.cache ? ['--cache-sim=yes', '--branch-sim=yes'] : [])];
  const child = spawn('valgrind', [...vg, process.execPath, '--perf-basic-prof', path.join(__dirname, 'lib', APPS[cfg.app])], {
    env,
    // --perf-basic-prof also writes a small isolate-*-v8.log into the working directory
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const port = await Promise.race([
      new Promise((resolve) => onJsonLines(child.stdout, (o) => typeof o.port === 'number' && resolve(o.port))),
      exited.then(() => Promise.reject(new Error(`${name}: the app under valgrind exited: ${stderr.trim().split('\n').slice(-3).join(' ')}`))),
    ]);
    const load = sender(port);
    await load.send(cfg.warmup);
    const control = (cmd) => execFileSync('callgrind_control', [cmd, String(child.pid)], { stdio: 'ignore' });
    control('-z');
    await load.send(cfg.requests);
    control('-d');
    control('-z');
    await new Promise((r) => setTimeout(r, cfg.idleS * 1000));
    control('-d');
    load.close();
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const dumps = fs.readdirSync(dir).filter((f) => f.startsWith(`${name}.${child.pid}.`)).sort();
  if (dumps.length < 2) throw new Error(`${name}: callgrind wrote ${dumps.length} dumps, not 2.`);
  const map = `/tmp/perf-${child.pid}.map`;
  const names = fs.existsSync(map) ? nameJitCode(fs.readFileSync(map, 'utf8')) : null;
  fs.rmSync(map, { force: true });
  const [window, idle] = dumps.slice(-2).map((f) => parseCallgrind(fs.readFileSync(path.join(dir, f), 'utf8'), names));
  return { window, idle };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).error) throw new Error('valgrind is not installed (Debian: apt-get install valgrind).');
  const dir = cfg.keep ? path.resolve(cfg.keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-callgrind-'));
  fs.mkdirSync(dir, { recursive: true });
  const host = await startHostProcess(path.join(root, 'dist', 'core.js'));
  const variants = [['without', null], ...cfg.configs.map((c) => [c, { file: path.join(root, 'dist', 'agent.js'), options: CONFIGS[c] }]), ...Object.entries(cfg.agents)];
  const results = {};
  try {
    for (const [name, agent] of variants) {
      process.stderr.write(`${name} … `);
      const runs = [];
      for (let i = 0; i < cfg.repeat; i++) runs.push(await measure(`${name}-${i}`, agent, cfg, host, dir));
      results[name] = runs.reduce((a, b) => (b.window.totals.Ir < a.window.totals.Ir ? b : a));
      process.stderr.write(`${runs.map((r) => fmt(r.window.totals.Ir / cfg.requests)).join(', ')} instructions per request\n`);
    }
  } finally {
    await host.close();
    if (!cfg.keep) fs.rmSync(dir, { recursive: true, force: true });
  }

  const base = results.without.window.totals;
  const events = cfg.cache ? ['Ir', 'I1mr', 'D1mr', 'D1mw', 'Bcm', 'Bim'] : ['Ir'];
  console.log(`\nPerf Lens agent, ${cfg.app} app: per request over ${cfg.requests} requests on ${CONNECTIONS} keep-alive connections after ${cfg.warmup}, under callgrind (node ${process.version})`);
  console.log('Ir: instructions; I1mr/D1mr/D1mw: simulated L1 instruction-read, data-read and data-write misses; Bcm/Bim: mispredicted conditional and indirect branches');
  const header = ['variant', ...events.flatMap((e) => [`${e}/req`, 'ratio']), 'idle Ir/s'];
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    ...events.flatMap((e) => [fmt(r.window.totals[e] / cfg.requests, e === 'Ir' ? 0 : 1), fmt(r.window.totals[e] / base[e], 3)]),
    fmt(r.idle.totals.Ir / cfg.idleS),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));

  if (cfg.diff) {
    const other = results[cfg.diff];
    if (!other) throw new Error(`--diff names no variant that ran: "${cfg.diff}".`);
    const a = results.without.window.functions;
    const b = other.window.functions;
    const keys = [...new Set([...a.keys(), ...b.keys()])];
    for (const ev of cfg.cache ? ['Ir', 'I1mr'] : ['Ir']) {
      const per = (m, k) => (m.get(k)?.[ev] ?? 0) / cfg.requests;
      keys.sort((x, y) => per(b, y) - per(a, y) - (per(b, x) - per(a, x)));
      console.log(`\n${cfg.diff} against without: functions whose ${ev} per request grew most (self cost; JS by --perf-basic-prof name)`);
      for (const k of keys.slice(0, 25)) console.log(`${fmt(per(b, k) - per(a, k), 1).padStart(9)}  ${fmt(per(a, k), 1).padStart(9)} → ${fmt(per(b, k), 1).padEnd(9)} ${k.slice(0, 110)}`);
    }
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
