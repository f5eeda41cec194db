'use strict';
// One autocannon run in its own process (its CPU use must not count against the bench's
// orchestrator). argv[2] is a JSON of autocannon options; prints the summary as one JSON line.
const autocannon = require('autocannon');

const opts = JSON.parse(process.argv[2]);
autocannon(opts, (err, result) => {
  if (err) {
    process.stderr.write(`autocannon failed: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({
    reqPerSec: result.requests.average,
    totalRequests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationS: result.duration,
  })}\n`);
});
