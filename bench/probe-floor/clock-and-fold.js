'use strict';
// The floor with the least a percentile needs: each duration folded into a log-scaled class of
// its URL (one string compare, a logarithm, a map update). Nothing is sent.
const dc = require('node:diagnostics_channel');
const { performance } = require('node:perf_hooks');
const kStart = Symbol('start');
const classes = new Map();
let lastKey = '';
let last = classes;
dc.subscribe('http.server.request.start', (m) => {
  m.request[kStart] = performance.now();
});
dc.subscribe('http.server.response.finish', (m) => {
  const req = m.request;
  const start = req[kStart];
  if (start === undefined) return;
  const ms = performance.now() - start;
  const url = req.url;
  if (url !== lastKey) {
    lastKey = url;
    last = classes.get(url) ?? new Map();
    classes.set(url, last);
  }
  const c = Math.floor(Math.log2(1 + ms * 1000) * 32);
  last.set(c, (last.get(c) ?? 0) + 1);
});
