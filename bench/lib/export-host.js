'use strict';
// What `perf-lens run` does with the agent's messages, in its own process, bundled from src/ by
// bench/export-cost.js: a SessionServer feeding a SessionStore (validate, ingest, source-map),
// and with `export` also what --metrics-port adds (src/cli/export.ts: FleetMetrics, the live
// analysis for the findings gauge, the /metrics endpoint); with `metrics` the same without the
// live analysis. Prints JSON lines: {url, token,
// metricsUrl}, then {cpuUs, wallMs, rssMB, messages, analysis} of the span from the first hello to the last end.
const { SessionServer, createSessionStore, connectSessionServer } = require('../../src/core');
const { startExport } = require('../../src/cli/export');
const { FleetMetrics } = require('../../src/core/export/fleet-metrics');
const { startMetricsServer } = require('../../src/core/export/metrics-http');

const mode = process.argv[2];
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

async function main() {
  const server = new SessionServer();
  const store = createSessionStore();
  let messages = 0;
  connectSessionServer(server, store, { onMessage: () => messages++ });
  // the messages as decoded, in batches of 100, for bench/lib/export-replay.js
  const recordTo = process.env.PERF_LENS_BENCH_RECORD;
  if (recordTo) {
    const fs = require('node:fs');
    const out = fs.openSync(recordTo, 'w');
    let batch = [];
    const flush = () => {
      if (batch.length) fs.writeSync(out, `${JSON.stringify({ type: 'batch', messages: batch })}\n`);
      batch = [];
    };
    server.on('message', (msg) => {
      if (msg.type === 'result') return;
      batch.push(msg);
      if (batch.length >= 100) flush();
    });
    store.on('end', flush);
  }
  const url = await server.listen();
  const exporter = mode === 'export' ? await startExport(store, { metricsPort: 0, detectors: {} }, process.cwd(), {}) : null;
  // `metrics`: the series and the endpoint without the live analysis behind the findings gauge
  let endpoint = null;
  if (mode === 'metrics') {
    const fleet = new FleetMetrics(store, { service: 'bench', instance: 'host', attributes: {} });
    endpoint = await startMetricsServer({ port: 0, snapshot: () => fleet.snapshot() });
  }

  let cpu0 = null;
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
  let wall0 = 0;
  store.on('session', () => {
    if (cpu0) return;
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
  });
  store.on('end', () => {
    if (store.liveSessions.length > 0 || !cpu0) return;
    const c = process.cpuUsage(cpu0);
    clearInterval(rssTimer);
    const analysis = exporter?.analysisStats() ?? null;
    print({ cpuUs: c.user + c.system, wallMs: performance.now() - wall0, rssMB: rssPeak / 2 ** 20, messages, analysis });
  });
  print({ url, token: server.token, metricsUrl: exporter?.metricsUrl ?? endpoint?.url ?? null });
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await exporter?.stop();
    await endpoint?.close();
    await server.close();
    process.exit(0);
  });
}

main().catch((err) => {
  process.stderr.write(`export host: ${err.stack}\n`);
  process.exit(1);
});
