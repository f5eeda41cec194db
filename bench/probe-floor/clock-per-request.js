'use strict';
// The least a probe that times every request can do: a clock read and a property write at the
// start, a clock read and a property read at the finish, the duration summed. Nothing is sent.
const dc = require('node:diagnostics_channel');
const { performance } = require('node:perf_hooks');
const kStart = Symbol('start');
let total = 0;
let count = 0;
dc.subscribe('http.server.request.start', (m) => {
  m.request[kStart] = performance.now();
});
dc.subscribe('http.server.response.finish', (m) => {
  const start = m.request[kStart];
  if (start === undefined) return;
  total += performance.now() - start;
  count++;
});
process.on('exit', () => process.stderr.write(`timed ${count} requests, ${(total / Math.max(1, count)).toFixed(3)} ms each\n`));
