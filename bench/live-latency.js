#!/usr/bin/env node
// Live latency: from an event in the app to the chart update that shows it. A real app with
// the agent (dist/agent.js) requests itself at random moments (each request runs one SQLite
// query); a real SessionServer + SessionStore + ChartFeed (dist/core.js) is pumped the way the
// charts panel pumps it (takeUpdate every CHART_UPDATE_MS, the constant the panel host reads
// from the same module; an update is posted only when it is not null). For each event, stamped
// by the agent when it happened (same machine, same clock), it records:
//   transport  event → message received by the server (agent queue, 50 ms flush, socket)
//   request    event → first update with a requests point that shows it: the provisional point
//              of its still-open second counts, since the page draws it
//   final      event → first update whose closed (final) requests point covers it (for reference)
//   query      event → first update whose top-queries table counts it
// Goal: p95 ≤ 250 ms for request and query. Not included: the webview's postMessage hop and its
// next animation frame. Prints a table, writes bench/results/live-latency.json.
//
//   node bench/live-latency.js [--seconds 20] [--pump-ms N (default CHART_UPDATE_MS)] [--quick]
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..');
const GOAL_P95_MS = 250;
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const SECONDS = flag('seconds', quick ? 8 : 20);
const corePath = process.env.PERF_LENS_CORE || path.join(root, 'dist', 'core.js');
const agentPath = process.env.PERF_LENS_AGENT || path.join(root, 'dist', 'agent.js');

// Requests itself at random moments (mean 10 per second), so events fall anywhere in a second.
const APP = `
const http = require('node:http');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(':memory:');
const one = db.prepare('SELECT 1 AS x');
const server = http.createServer((req, res) => { one.get(); res.end('ok'); });
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const next = () => setTimeout(() => { http.get({ host: '127.0.0.1', port, path: '/event', agent: false }, (r) => r.resume()); next(); }, Math.random() * 200);
  next();
});
process.stdin.on('data', () => process.exit(0));
`;

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Moves the events whose second is at or before the newest of `secondStarts` to `latencies`. */
function settle(waiting, latencies, secondStarts, now) {
  const newest = Math.max(-Infinity, ...secondStarts);
  for (let i = waiting.length - 1; i >= 0; i--) {
    if (Math.floor(waiting[i] / 1000) * 1000 <= newest) {
      latencies.push(now - waiting[i]);
      waiting.splice(i, 1);
    }
  }
}

function stats(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), max: s[s.length - 1] };
}

async function main() {
  const { SessionServer, SessionStore, ChartFeed, CHART_UPDATE_MS } = require(corePath);
  const PUMP_MS = flag('pump-ms', CHART_UPDATE_MS);
  if (!(PUMP_MS > 0)) throw new Error(`${corePath} exports no CHART_UPDATE_MS (an old build?); pass --pump-ms`);
  const server = new SessionServer();
  const url = await server.listen();
  const store = new SessionStore();
  const feed = new ChartFeed();
  feed.attach(store);

  const transport = [];
  const waitingHttp = []; // event times not yet on the chart
  const waitingFinal = []; // event times not yet in a closed point
  const waitingQuery = [];
  const requestLatency = [];
  const finalLatency = [];
  const queryLatency = [];
  let measuring = false;
  server.on('message', (msg) => {
    if (msg.type === 'result') return;
    store.ingest(msg);
    if (!measuring) return;
    const now = Date.now();
    if (msg.type === 'http') {
      transport.push(now - msg.t);
      waitingHttp.push(msg.t);
      waitingFinal.push(msg.t);
    } else if (msg.type === 'query') {
      waitingQuery.push(msg.t);
    }
  });

  const pump = setInterval(() => {
    const now = Date.now();
    const update = feed.takeUpdate(now);
    // Events are collected while measuring; they are settled until the end, so none is dropped.
    if (!update) return;
    // A requests point [secondStartMs, count, …] covers the events of its second (late ones
    // are counted in the next open second, so "at or after" is the right test). The update was
    // taken after every waiting event was ingested, so its points include them.
    const finals = update.series.flatMap((s) => s.http.map((p) => p[0]));
    const shown = [...finals, ...update.series.flatMap((s) => (s.provisional?.http ? [s.provisional.http[0]] : []))];
    settle(waitingHttp, requestLatency, shown, now);
    settle(waitingFinal, finalLatency, finals, now);
    if (update.queries) {
      for (const t of waitingQuery.splice(0)) queryLatency.push(now - t);
    }
  }, PUMP_MS);

  const app = spawn(process.execPath, ['-e', APP], {
    env: { ...process.env, NODE_OPTIONS: `--require ${agentPath}`, PERF_LENS_URL: url, PERF_LENS_TOKEN: server.token },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = new Promise((r) => app.once('exit', r));
  await new Promise((r) => setTimeout(r, 2000)); // start-up and the first seconds are not measured
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  await new Promise((r) => setTimeout(r, 2000)); // let the last seconds reach the chart
  app.stdin.write('x');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  app.kill('SIGKILL');
  clearInterval(pump);
  await server.close();

  const rows = [
    ['event → server (transport)', stats(transport), true],
    ['request event → chart point', stats(requestLatency), true],
    ['request event → final point', stats(finalLatency), false],
    ['query event → queries table', stats(queryLatency), true],
  ];
  const f = (v) => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
  console.log(`\nLive latency — ${SECONDS} s, chart pumped every ${PUMP_MS} ms, node ${process.version}`);
  console.log(['path'.padEnd(30), 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', `p95 ≤ ${GOAL_P95_MS}`].join('  '));
  for (const [name, s, goal] of rows) {
    console.log([name.padEnd(30), String(s.n), f(s.p50), f(s.p95), f(s.p99), f(s.max), !goal ? '(no goal)' : s.p95 <= GOAL_P95_MS ? 'met' : 'NOT met'].join('  '));
  }
  const result = {
    version: 1,
    when: new Date().toISOString(),
    node: process.version,
    config: { seconds: SECONDS, pumpMs: PUMP_MS },
    goals: { p95Ms: GOAL_P95_MS },
    transport: stats(transport),
    request: stats(requestLatency),
    requestFinal: stats(finalLatency),
    query: stats(queryLatency),
    unseen: { requests: waitingHttp.length, requestsFinal: waitingFinal.length, queries: waitingQuery.length },
  };
  const out = path.join(__dirname, 'results', 'live-latency.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((err) => {
  console.error(`live-latency: ${err.message}`);
  process.exit(1);
});
