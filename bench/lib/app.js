'use strict';
// The app the overhead bench loads: plain node:http, a little JSON work per request, no DB.
// Prints one JSON line {"port":N} once it listens on 127.0.0.1 (PORT, default 0).
const http = require('node:http');
const { serveForBench } = require('./serve');

const catalog = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: (i * 37) % 1000, tags: ['a', 'b', 'c'].slice(i % 3) }));

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const page = Number(url.searchParams.get('page')) || 0;
  const items = catalog.slice((page * 20) % 180, ((page * 20) % 180) + 20).map((it) => ({ ...it, total: it.price * 1.2 }));
  const body = JSON.stringify({ page, count: items.length, items, at: Date.now() });
  // Parse back and summarise: a stand-in for request validation and response shaping.
  const sum = JSON.parse(body).items.reduce((acc, it) => acc + it.total, 0);
  res.writeHead(200, { 'content-type': 'application/json', 'x-sum': String(Math.round(sum)) });
  res.end(body);
}

const server = http.createServer(handle);
serveForBench(server);
