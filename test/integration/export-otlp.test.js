'use strict';
// `perf-lens run --otlp` pushing to a receiver that decodes with the official OpenTelemetry
// protobuf definitions. The app: an Express 5 back office over PostgreSQL (pg Pool) and
// better-sqlite3, several modules, with an N+1 in each database; driven by 8 concurrent
// keep-alive clients and by one client at a time. Each finding arrives once as a log record
// on its file, line and function; metrics arrive every interval, cumulative, with the
// service name and resource attributes from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
// Then the CLI as a container's command: no terminal, export only, stopped by SIGTERM, whose
// final push carries the findings of the last requests.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const { runCli } = require('../helpers/cli');
const { startPostgres } = require('../helpers/postgres');
const { profileApp, markerAt, concurrentClients } = require('../helpers/real-app');
const { startOtlpReceiver, attributeValues, metricsByName } = require('../helpers/otlp-receiver');

const APP = path.join(__dirname, '..', 'fixtures', 'real-apps', 'severity-express');
const { seed } = require(path.join(APP, 'seed.js'));
const at = (file, name) => markerAt(path.join(APP, file), name);
const { version: TOOL_VERSION } = require('../../package.json');

const ORDERS = 12;
const PRODUCTS = 12;
const PLAN = [
  { path: '/reports/orders', times: ORDERS },
  { path: '/catalog/products', times: PRODUCTS },
];
const RESOURCE_ENV = {
  OTEL_SERVICE_NAME: 'back-office',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci,service.namespace=shop,team=orders%20%26%20billing',
};

let pg;
before(async () => {
  pg = await startPostgres({ database: 'shop' });
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

/** The log record of each finding id; fails on a finding sent twice. */
function recordsById(rx) {
  const out = new Map();
  for (const { record, resource, scope } of rx.logRecords()) {
    const a = attributeValues(record.attributes);
    assert.ok(!out.has(a['perf_lens.finding.id']), `finding ${a['perf_lens.finding.id']} was sent twice`);
    out.set(a['perf_lens.finding.id'], { record, attrs: a, resource, scope });
  }
  return out;
}

/** Point attributes → values, for the points of a metric in one request. */
function pointsOf(request, name) {
  const m = metricsByName(request).get(name)?.metric;
  if (!m) return [];
  return m[m.data].dataPoints.map((p) => ({ ...p, attrs: attributeValues(p.attributes) }));
}

for (const concurrency of [8, 1]) {
  describe(`perf-lens run --otlp, severity-express, ${concurrentClients(concurrency)}`, () => {
    let rx;
    let run;
    before(async () => {
      rx = await startOtlpReceiver();
      run = await profileApp({
        entry: path.join(APP, 'server.js'),
        root: APP,
        env: { DATABASE_URL: pg.connectionString, ...RESOURCE_ENV },
        args: ['--otlp', rx.url, '--otlp-interval', '1'],
        concurrency,
        requests: PLAN,
        timeoutMs: 120_000,
      });
      assert.deepEqual(run.load.statuses, { 200: ORDERS + PRODUCTS });
    });
    after(() => rx?.close());

    it('every request was decoded as an OTLP metrics or logs request, and nothing failed', () => {
      assert.deepEqual(rx.requests.filter((r) => !r.body).map((r) => `${r.path} ${r.decodeError}`), []);
      assert.ok(rx.requests.every((r) => r.method === 'POST' && r.headers['content-type'] === 'application/x-protobuf'));
      const summary = /perf-lens: OTLP: (\d+) requests, 0 failed; findings: (\d+) sent, 0 dropped\./.exec(run.cli.stderr);
      assert.ok(summary, run.cli.stderr);
      assert.equal(Number(summary[1]), rx.requests.length);
      assert.equal(Number(summary[2]), rx.logRecords().length);
    });

    it('the PostgreSQL N+1 arrives as one ERROR log record on its file, line and function, with the numbers of the report', () => {
      const loc = at('services/report-service.js', 'order-customer');
      const [finding] = run.findingsAt(loc.file, loc.line, 'n-plus-one');
      assert.ok(finding, run.describe());
      const got = recordsById(rx).get(finding.id);
      assert.ok(got, `no log record for ${finding.id}`);
      const { record, attrs } = got;
      assert.equal(record.severityNumber, 17);
      assert.equal(record.severityText, 'ERROR');
      assert.equal(record.eventName, 'perf_lens.finding');
      assert.match(record.body.stringValue, /^N\+1 query: "select id, name from customer_card \(\?\)" ran 10 times in GET \/reports\/orders/);
      assert.equal(attrs['code.filepath'], loc.file);
      assert.equal(attrs['code.lineno'], loc.line);
      assert.equal(attrs['code.column'], finding.location.column);
      assert.equal(attrs['code.function'], 'ordersWithCustomers');
      assert.equal(attrs['process.pid'], finding.pid);
      assert.equal(attrs['perf_lens.finding.kind'], 'n-plus-one');
      assert.equal(attrs['perf_lens.finding.data.count'], 10);
      assert.equal(attrs['perf_lens.finding.data.scope'], 'GET /reports/orders');
      assert.equal(attrs['perf_lens.finding.data.db'], 'postgres');
      assert.equal(attrs['perf_lens.finding.data.fingerprint'], finding.data.fingerprint);
      assert.equal(typeof attrs['perf_lens.finding.data.totalMs'], 'number');
      assert.ok(attrs['perf_lens.finding.data.totalMs'] >= 150, `totalMs ${attrs['perf_lens.finding.data.totalMs']}`);
      // the record's time is when the live analysis first found it: after the run began, before it was received
      const t = Number(BigInt(record.timeUnixNano) / 1_000_000n);
      const received = rx.requests.find((r) => r.signal === 'logs' && r.body.resourceLogs[0].scopeLogs[0].logRecords.includes(record)).at;
      assert.ok(t >= Date.parse(run.report.startedAt) && t <= received, `${new Date(t).toISOString()} is not between the start and ${new Date(received).toISOString()}`);
    });

    it('the SQLite N+1 inside an arrow passed to .map() names the function that holds it', () => {
      const loc = at('services/catalog-service.js', 'product-tag');
      const [finding] = run.findingsAt(loc.file, loc.line, 'n-plus-one');
      assert.ok(finding, run.describe());
      const { record, attrs } = recordsById(rx).get(finding.id);
      assert.equal(record.severityText, finding.severity === 'info' ? 'INFO' : 'WARN');
      assert.equal(attrs['code.filepath'], loc.file);
      assert.equal(attrs['code.lineno'], loc.line);
      assert.equal(attrs['code.function'], 'productsWithTags');
      assert.equal(attrs['perf_lens.finding.data.count'], 25);
      assert.equal(attrs['perf_lens.finding.data.db'], 'sqlite');
    });

    it('every finding of the report was sent once, with the resource and scope of the run', () => {
      const byId = recordsById(rx);
      for (const f of run.report.findings) assert.ok(byId.has(f.id), `finding ${f.kind} ${f.id} was not sent`);
      for (const { resource, scope } of byId.values()) {
        assert.deepEqual(attributeValues(resource.attributes), {
          'service.name': 'back-office',
          'service.instance.id': os.hostname(),
          'deployment.environment': 'ci',
          'service.namespace': 'shop',
          team: 'orders & billing',
        });
        assert.equal(scope.name, 'perf-lens');
        assert.equal(scope.version, TOOL_VERSION);
      }
    });

    it('metrics arrive every interval and once more at the end: one resource named by OTEL_SERVICE_NAME, cumulative series that never go back', () => {
      const pushes = rx.metrics();
      assert.ok(pushes.length >= 2, `${pushes.length} metrics pushes`);
      for (const p of pushes) {
        assert.equal(p.resourceMetrics.length, 1);
        assert.equal(attributeValues(p.resourceMetrics[0].resource.attributes)['service.name'], 'back-office');
        assert.equal(attributeValues(p.resourceMetrics[0].resource.attributes)['service.namespace'], 'shop');
      }
      const requests = pushes.map((p) => pointsOf(p, 'perf_lens_export_requests'));
      requests.forEach((points, i) => {
        const ok = points.find((x) => x.attrs.signal === 'metrics' && x.attrs.outcome === 'success');
        // each push counts the metrics pushes that succeeded before it
        assert.equal(ok.asDouble, i);
        assert.equal(ok.startTimeUnixNano, requests[0][0].startTimeUnixNano);
        if (i > 0) assert.ok(BigInt(ok.timeUnixNano) > BigInt(requests[i - 1][0].timeUnixNano));
      });
    });

    it('the final push holds the requests per route: the histogram counts every request sent, and queries per request show the N+1', () => {
      const final = rx.metrics().at(-1);
      const duration = pointsOf(final, 'perf_lens_http_request_duration_seconds');
      const orders = duration.filter((p) => p.attrs.route === '/reports/orders' && p.attrs.method === 'GET' && p.attrs.status_class === '2xx');
      assert.equal(orders.length, 1, JSON.stringify(duration.map((p) => p.attrs)));
      assert.equal(orders[0].count, String(ORDERS));
      assert.equal(orders[0].bucketCounts.reduce((s, c) => s + Number(c), 0), ORDERS);
      assert.equal(orders[0].bucketCounts.length, orders[0].explicitBounds.length + 1);
      assert.ok(orders[0].sum >= ORDERS * 0.15, `sum ${orders[0].sum} s`);
      assert.equal(typeof orders[0].attrs['process.pid'], 'number');
      assert.equal(orders[0].attrs.service, undefined, 'service is the resource\'s, not a point attribute');
      const queries = pointsOf(final, 'perf_lens_http_queries_per_request').find((p) => p.attrs.route === '/reports/orders');
      assert.equal(queries.count, String(ORDERS));
      assert.equal(queries.sum, ORDERS * 11); // the list, then one lookup per order
      const findings = pointsOf(final, 'perf_lens_findings').filter((p) => p.attrs.kind === 'n-plus-one');
      assert.ok(findings.reduce((s, p) => s + p.asDouble, 0) >= 2, JSON.stringify(findings.map((p) => [p.attrs, p.asDouble])));
    });
  });
}

test('in a container: no terminal, export only; SIGTERM stops the app and a final push carries the findings of the last requests', { timeout: 120_000 }, async (t) => {
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  let cli;
  let appPort;
  let onListening;
  const listening = new Promise((resolve) => (onListening = resolve));
  const done = runCli(['run', '--otlp', rx.url, '--otlp-interval', '3600', '--', process.execPath, 'server.js'], {
    cwd: APP,
    env: { ...process.env, DATABASE_URL: pg.connectionString, ...RESOURCE_ENV },
    timeoutMs: 110_000,
    onSpawn: (child) => {
      cli = child;
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (\d+)/.exec(out);
        if (m && !appPort) {
          appPort = Number(m[1]);
          onListening();
        }
      });
    },
  });
  t.after(() => done.catch(() => undefined));
  await Promise.race([listening, done.then((r) => assert.fail(`perf-lens ended before the app listened: ${r.stdout}\n${r.stderr}`))]);
  // four keep-alive clients, then the orchestrator stops the container
  const paths = Array.from({ length: 8 }, (_, i) => (i % 2 ? '/reports/orders' : '/catalog/products'));
  const statuses = await Promise.all(
    [0, 1, 2, 3].map(async (c) => {
      const out = [];
      for (let i = c; i < paths.length; i += 4) {
        const res = await fetch(`http://127.0.0.1:${appPort}${paths[i]}`);
        await res.arrayBuffer();
        out.push(res.status);
      }
      return out;
    }),
  );
  assert.deepEqual(statuses.flat(), Array(8).fill(200));
  assert.equal(rx.requests.length, 0, 'nothing is pushed before the interval');
  cli.kill('SIGTERM');
  const res = await done;
  assert.equal(res.code, 0, res.stderr);

  // one push at the end: the metrics, then the findings
  assert.deepEqual(rx.requests.map((r) => r.signal), ['metrics', 'logs']);
  const loc = at('services/report-service.js', 'order-customer');
  const records = rx.logRecords().map(({ record }) => attributeValues(record.attributes));
  const nPlusOne = records.find((a) => a['code.lineno'] === loc.line && a['code.filepath'] === loc.file);
  assert.ok(nPlusOne, JSON.stringify(records.map((a) => `${a['code.filepath']}:${a['code.lineno']}`)));
  assert.equal(nPlusOne['code.function'], 'ordersWithCustomers');
  const duration = pointsOf(rx.metrics()[0], 'perf_lens_http_request_duration_seconds');
  assert.equal(duration.reduce((s, p) => s + Number(p.count), 0), 8);
  assert.match(res.stderr, new RegExp(`perf-lens: OTLP: 2 requests, 0 failed; findings: ${records.length} sent, 0 dropped\\.`));
});
