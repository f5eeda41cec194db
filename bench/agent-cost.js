#!/usr/bin/env node
// The agent's own CPU per HTTP request, without the noise of a load generator: a child process
// (pinned to its own CPU where taskset exists) drives N requests through Node's real
// diagnostics channels (`http.server.request.start` / `response.finish`, what a server
// publishes) with real IncomingMessage/ServerResponse objects, at a steady pace, and reads its
// CPU time. Once without the agent, once with dist/agent.js started against a real session
// server in another process (so stringify, batching and socket writes are all paid), pairs
// interleaved. The difference is what the agent costs a request; set beside the bench app's CPU
// per request (bench/overhead.js) it is the overhead the 2 % goal speaks of.
//
//   node bench/agent-cost.js [--pairs 6] [--requests 50000] [--out bench/results/agent-cost.json]
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { nodeCommand, cpuPlan, onJsonLines } = require('./lib/procs');
const { median, describe } = require('./lib/stats');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const PAIRS = Number(flag('pairs', args.includes('--quick') ? 3 : 6));
const REQUESTS = Number(flag('requests', args.includes('--quick') ? 20000 : 50000));
const OUT = path.resolve(flag('out', path.join(__dirname, 'results', 'agent-cost.json')));

// The replaying child: 50 requests per macrotask, about 5 000 a second, then the CPU it used.
const CHILD = `
const http = require('node:http');
const net = require('node:net');
const dc = require('node:diagnostics_channel');
const [agentPath, url, token, total] = process.argv.slice(1);
if (agentPath !== '-') require(agentPath).start({ url, token });
const start = dc.channel('http.server.request.start');
const finish = dc.channel('http.server.response.finish');
const socket = new net.Socket();
const server = http.createServer();
const paths = ['/items?page=3', '/users/42/posts', '/items', '/orders/7'];
let done = 0;
function one(i) {
  const request = new http.IncomingMessage(socket);
  request.method = 'GET';
  request.url = paths[i & 3];
  const response = new http.ServerResponse(request);
  response.statusCode = 200;
  if (start.hasSubscribers) start.publish({ request, response, socket, server });
  if (finish.hasSubscribers) finish.publish({ request, response, socket, server });
}
function burst() {
  for (let k = 0; k < 50 && done < total; k++) one(done++);
  if (done < total) setTimeout(burst, 10);
  else setTimeout(report, 300); // the last flush
}
let c0;
setTimeout(() => { c0 = process.cpuUsage(); burst(); }, 1500); // the agent connected, code warm
function report() {
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ cpuUs: c.user + c.system, requests: Number(total) }) + '\\n');
  process.exit(0);
}
`;

function runChild(withAgent, host, cpus) {
  const agentArgs = withAgent ? [path.join(root, 'dist', 'agent.js'), host.url, host.token] : ['-', '', ''];
  const [cmd, cargs] = nodeCommand(['-e', CHILD, ...agentArgs, String(REQUESTS)], cpus);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cargs, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
    let result = null;
    onJsonLines(child.stdout, (o) => (result = o));
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`the replaying child exited with ${code}`))));
  });
}

async function startHost(cpus) {
  const [cmd, cargs] = nodeCommand([path.join(__dirname, 'lib', 'session-host-process.js'), path.join(root, 'dist', 'core.js')], cpus);
  const child = spawn(cmd, cargs, { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the session host exited (code ${code})`)));
    onJsonLines(child.stdout, (o) => o.url && resolve(o));
  });
  return { ...info, close: () => child.stdin.end() };
}

async function main() {
  const pin = cpuPlan();
  const host = await startHost(pin?.rest);
  const rows = { without: [], with: [] };
  try {
    for (let p = 0; p < PAIRS; p++) {
      const order = p % 2 === 0 ? [false, true] : [true, false];
      for (const withAgent of order) {
        const r = await runChild(withAgent, host, pin?.app);
        rows[withAgent ? 'with' : 'without'].push(r.cpuUs / r.requests);
      }
      process.stderr.write(`pair ${p + 1}/${PAIRS}: without ${rows.without[p].toFixed(2)} µs/req, with agent ${rows.with[p].toFixed(2)} µs/req\n`);
    }
  } finally {
    host.close();
  }
  const diffs = rows.with.map((w, i) => w - rows.without[i]);
  const agentUs = median(diffs);
  let appUs = null;
  try {
    appUs = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'overhead.json'), 'utf8')).summary.without.cpuPerReqUs.min;
  } catch {
    /* overhead.js not run yet */
  }
  const share = appUs ? (agentUs / appUs) * 100 : null;
  console.log(`agent cost  ${agentUs.toFixed(2)} µs per request (paired median of ${PAIRS}; without ${median(rows.without).toFixed(2)}, with ${median(rows.with).toFixed(2)} µs/req)` +
    (appUs ? `  bench app ${appUs.toFixed(1)} µs per request  share ${share.toFixed(2)} %` : ''));
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify({ when: new Date().toISOString(), node: process.version, pinned: pin, requests: REQUESTS, pairs: PAIRS, without: describe(rows.without), with: describe(rows.with), diffs, agentUsPerRequest: agentUs, appUsPerRequest: appUs, sharePct: share }, null, 2) + '\n');
}

main().catch((err) => {
  console.error(`agent-cost: ${err.message}`);
  process.exit(1);
});
