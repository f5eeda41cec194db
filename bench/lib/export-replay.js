'use strict';
// The CPU FleetMetrics adds per message, measured without another process's noise: the
// messages a real run received (recorded by export-host.js as batches) decoded and ingested
// the way the CLI does (decodeFrame, connectSessionServer's expand-and-ingest) into a fresh
// store, alternately without and with FleetMetrics listening, and then the cost of one scrape
// (snapshot + OpenMetrics text); then FleetMetrics alone on the same messages, warmed up.
// Prints one JSON line. Run with --expose-gc.
//   node --expose-gc bench/lib/export-replay.js dist/core.js recording.ndjson [rounds]
const fs = require('node:fs');
const { EventEmitter } = require('node:events');

const [corePath, file, roundsArg] = process.argv.slice(2);
const core = require(require('node:path').resolve(corePath));
const frames = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
const ROUNDS = Number(roundsArg) || 10;
const cpuUs = (c) => c.user + c.system;

function once(withMetrics) {
  global.gc();
  const server = new EventEmitter();
  const store = core.createSessionStore();
  core.connectSessionServer(server, store);
  const fleet = withMetrics ? new core.FleetMetrics(store, { service: 'bench', instance: 'host', attributes: {} }) : null;
  const conn = { pid: null, framesDropped: 0 };
  let messages = 0;
  const c0 = process.cpuUsage();
  for (const f of frames) {
    const d = core.decodeFrame(f);
    if (!d.ok) throw new Error(d.reason);
    for (const m of d.messages) {
      messages++;
      server.emit('message', m, conn);
    }
  }
  const us = cpuUs(process.cpuUsage(c0));
  let scrapeUs = null;
  let bytes = 0;
  if (fleet) {
    const s0 = process.cpuUsage();
    for (let i = 0; i < 20; i++) bytes = core.renderMetricsText(fleet.snapshot(), 'openmetrics').length;
    scrapeUs = cpuUs(process.cpuUsage(s0)) / 20;
  }
  return { us, messages, scrapeUs, bytes };
}

const plain = [];
const metrics = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const withMetrics of r % 2 ? [true, false] : [false, true]) (withMetrics ? metrics : plain).push(once(withMetrics));
}
// FleetMetrics alone: the same messages, decoded and expanded once, emitted to it by a bare
// emitter standing in for the store (a no-op listener as the baseline), so the difference is
// its own work and nothing else's noise.
const expanded = [];
for (const f of frames) for (const m of core.decodeFrame(f).messages) expanded.push(...(core.expandSummary(m) ?? [m]));
const session = { pid: expanded[0].pid, endedAt: null, lastT: 0 };
function listenerOnly(withMetrics) {
  global.gc();
  const store = new EventEmitter();
  store.liveSessions = [];
  if (withMetrics) new core.FleetMetrics(store, { service: 'bench', instance: 'host', attributes: {} });
  else store.on('message', () => undefined);
  const sessions = new Map();
  const sessionOf = (pid) => sessions.get(pid) ?? (sessions.set(pid, { ...session, pid }), sessions.get(pid));
  const c0 = process.cpuUsage();
  for (const m of expanded) store.emit('message', sessionOf(m.pid), m);
  return cpuUs(process.cpuUsage(c0));
}
const alone = { noop: [], metrics: [] };
// 10 rounds to warm the JIT up, then 4 × ROUNDS measured
for (let r = 0; r < 10; r++) listenerOnly(r % 2 === 0);
for (let r = 0; r < 4 * ROUNDS; r++) for (const w of r % 2 ? [true, false] : [false, true]) alone[w ? 'metrics' : 'noop'].push(listenerOnly(w));

const min = (xs) => Math.min(...xs);
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
process.stdout.write(
  `${JSON.stringify({
    messages: plain[0].messages,
    plainUs: { min: min(plain.map((x) => x.us)), median: med(plain.map((x) => x.us)) },
    metricsUs: { min: min(metrics.map((x) => x.us)), median: med(metrics.map((x) => x.us)) },
    scrapeUs: { min: min(metrics.map((x) => x.scrapeUs)), median: med(metrics.map((x) => x.scrapeUs)) },
    scrapeBytes: metrics[0].bytes,
    expandedMessages: expanded.length,
    aloneUs: { noop: med(alone.noop), metrics: med(alone.metrics), noopMin: min(alone.noop), metricsMin: min(alone.metrics) },
  })}\n`,
);
