'use strict';
// The lightest handler the overhead bench loads: one JSON.stringify of 20 small objects per
// request (about 50 µs of CPU with Node's http). A fixed per-request cost of the agent shows
// most here: health checks, proxies and cached reads look like this.
// Prints one JSON line {"port":N} once it listens on 127.0.0.1 (PORT, default 0).
const http = require('node:http');
const { serveForBench } = require('./serve');

const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 2 === 0 }));

const server = http.createServer((req, res) => {
  const body = JSON.stringify(items);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
serveForBench(server);
