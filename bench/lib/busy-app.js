'use strict';
// A handler of about 200 µs of CPU (twenty JSON round trips of 20 small objects, plus Node's
// http): the "ordinary" request the ≤ ×1.01 goal speaks of, where the agent's fixed cost per
// request is a small share. Listens the way every bench app does (see serve.js).
const http = require('node:http');
const { serveForBench } = require('./serve');

const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 2 === 0 }));

const server = http.createServer((req, res) => {
  let rows = 0;
  for (let k = 0; k < 20; k++) rows += JSON.parse(JSON.stringify(items)).length;
  const body = JSON.stringify({ rows, items });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
serveForBench(server);
