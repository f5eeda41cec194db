'use strict';
// The /metrics HTTP server (startMetricsServer, from dist/core.js) in this process, with a real
// HTTP client: content negotiation, HEAD, 404 and 405, a snapshot that throws, loopback by
// default, close() with a keep-alive scraper connected, and the error for a port in use.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');

const { startMetricsServer, MetricsListenError } = require(CORE);

const snapshot = () => ({
  t: 2000,
  startT: 1000,
  resource: { service: 'shop', instance: 'h', attributes: {} },
  families: [{ type: 'counter', name: 'perf_lens_cache_reads', help: 'Cache reads.', unit: '{read}', points: [{ labels: { pid: '1', service: 'shop', instance: 'h', result: 'hit' }, value: 4 }] }],
});

function request(url, { method = 'GET', headers = {}, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /metrics: 0.0.4 by default, OpenMetrics when asked; HEAD has the headers only', async (t) => {
  const server = await startMetricsServer({ port: 0, snapshot });
  t.after(() => server.close());
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const plain = await request(server.url);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(plain.body, '# HELP perf_lens_cache_reads_total Cache reads.\n# TYPE perf_lens_cache_reads_total counter\nperf_lens_cache_reads_total{pid="1",service="shop",instance="h",result="hit"} 4\n');
  assert.equal(Number(plain.headers['content-length']), Buffer.byteLength(plain.body));

  const om = await request(`${server.url}?debug=1`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
  assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.ok(om.body.endsWith('# EOF\n'));

  const head = await request(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(Number(head.headers['content-length']), Buffer.byteLength(plain.body));
});

test('other paths are 404, other methods 405, a failing snapshot 500 with its reason', async (t) => {
  let fail = false;
  const server = await startMetricsServer({
    port: 0,
    snapshot: () => {
      if (fail) throw new Error('snapshot broke');
      return snapshot();
    },
  });
  t.after(() => server.close());
  const base = server.url.replace('/metrics', '');
  assert.equal((await request(`${base}/`)).status, 404);
  assert.equal((await request(`${base}/metrics/x`)).status, 404);
  const post = await request(server.url, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  fail = true;
  const broken = await request(server.url);
  assert.equal(broken.status, 500);
  assert.equal(broken.body, 'The metrics could not be rendered: snapshot broke\n');
});

test('close() resolves with a keep-alive scraper still connected, and frees the port', async () => {
  const server = await startMetricsServer({ port: 0, snapshot });
  const agent = new http.Agent({ keepAlive: true });
  assert.equal((await request(server.url, { agent })).status, 200);
  await server.close();
  agent.destroy();
  const refused = await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: server.port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
  assert.ok(refused, 'nothing listens after close');
});

test('a port in use rejects with one sentence naming port and address', async (t) => {
  const taken = net.createServer();
  await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = taken.address().port;
  await assert.rejects(startMetricsServer({ port, snapshot }), (err) => {
    assert.ok(err instanceof MetricsListenError);
    assert.equal(err.code, 'EADDRINUSE');
    assert.equal(err.message, `The metrics port ${port} is already in use on 127.0.0.1.`);
    return true;
  });
  await assert.rejects(startMetricsServer({ port: 0, host: '203.0.113.7', snapshot }), /The metrics address 203\.0\.113\.7 is not an address of this machine\./);
});
