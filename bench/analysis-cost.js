#!/usr/bin/env node
'use strict';
// What one live analysis costs (the CLI's and the editor's event loop waits that long): the
// messages a real run received, decoded and ingested as the CLI does them (decodeFrame,
// connectSessionServer) into a fresh store, then core.runDetectors over all its sessions, timed
// run after run in this one process. Prints each run's wall and CPU ms, and their medians.
//   node bench/analysis-cost.js --recording FILE [--runs 5] [--core dist/core.js]
// A recording: node bench/export-cost.js --keep-recording FILE (the messages of its first plain
// run, ~5 000 requests a second; at --seconds 40 about as many as a session's rings keep).
const fs = require('node:fs');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { median } = require('./lib/stats');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RECORDING = flag('recording');
const RUNS = Math.max(1, Number(flag('runs', 5)) || 5);
const CORE = path.resolve(flag('core', path.join(__dirname, '..', 'dist', 'core.js')));

if (!RECORDING || !fs.existsSync(RECORDING)) {
  console.error(
    `analysis-cost: ${RECORDING ? `no file ${RECORDING}` : 'no --recording'}; make one with ` +
      '`node bench/export-cost.js --rounds 1 --seconds 40 --out /tmp/export-cost.json --keep-recording /tmp/rec.ndjson` (the messages of a real run at ~5 000 requests a second).',
  );
  process.exit(2);
}

async function main() {
  const core = require(CORE);
  await core.initDetectors();
  const server = new EventEmitter();
  const store = core.createSessionStore();
  core.connectSessionServer(server, store);
  const conn = { pid: null, framesDropped: 0 };
  for (const frame of fs.readFileSync(RECORDING, 'utf8').split('\n')) {
    if (!frame) continue;
    const d = core.decodeFrame(frame);
    if (!d.ok) throw new Error(`a frame of ${RECORDING} did not decode: ${d.reason}`);
    for (const m of d.messages) server.emit('message', m, conn);
  }
  const sessions = store.sessions;
  const requests = sessions.reduce((n, s) => n + s.http.length, 0);
  const queries = sessions.reduce((n, s) => n + s.queries.length, 0);
  console.log(`${sessions.length} session(s) in the store: ${requests} requests, ${queries} queries kept`);

  const wall = [];
  const cpu = [];
  let findings = 0;
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    findings = core.runDetectors(sessions, {}).length;
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    console.log(`run ${r + 1}/${RUNS}: ${wall[r].toFixed(0)} ms wall, ${cpu[r].toFixed(0)} ms CPU, ${findings} findings`);
  }
  console.log(
    `analysis cost  one full analysis ${median(wall).toFixed(0)} ms wall, ${median(cpu).toFixed(0)} ms CPU (median of ${RUNS}) ` +
      `for ${requests} requests and ${queries} queries`,
  );
}

main().catch((err) => {
  console.error(`analysis-cost: ${err.stack || err.message}`);
  process.exit(1);
});
