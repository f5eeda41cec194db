'use strict';
// Drives every route of the demo app a fixed number of times, 4 requests at a time, then exits.
// `perf-lens run --load "node demo/load.js"` sets PERF_LENS_URL_BASE to the app's address.
const base = process.env.PERF_LENS_URL_BASE || 'http://127.0.0.1:3000';

const plan = [
  ...Array.from({ length: 10 }, () => ['GET', '/health']),
  ...Array.from({ length: 30 }, (_, i) => ['GET', `/posts?limit=${5 + (i % 20)}`]),
  ...Array.from({ length: 50 }, (_, i) => ['GET', `/posts/${1 + (i % 50)}`]),
  ...Array.from({ length: 30 }, () => ['GET', '/posts-with-authors']),
  ...Array.from({ length: 100 }, () => ['POST', '/sessions']),
  // cached: ten post cards read four times each; searches that never repeat (a new term each run)
  ...Array.from({ length: 40 }, (_, i) => ['GET', `/posts/${1 + (i % 10)}/summary`]),
  ...Array.from({ length: 20 }, (_, i) => ['GET', `/search?q=${Date.now().toString(36)}-${i}`]),
];

async function main() {
  const started = Date.now();
  const statuses = {};
  let next = 0;
  async function worker() {
    while (next < plan.length) {
      const [method, path] = plan[next++];
      const res = await fetch(base + path, { method });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker));
  const summary = Object.entries(statuses).map(([s, n]) => `${n}×${s}`).join(', ');
  console.log(`load: ${plan.length} requests to ${base} in ${Date.now() - started} ms (${summary})`);
}

main().catch((err) => {
  console.error(`load: could not reach ${base}: ${err.cause?.message || err.message}`);
  process.exit(1);
});
