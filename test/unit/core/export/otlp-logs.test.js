// Findings encoded as an OTLP ExportLogsServiceRequest, decoded back with the official
// protobuf definitions: severity, body, code.* attributes (code.function read from real
// source files), the finding's data with its types, timestamps, resource and scope.
const { CORE } = require('../../../helpers/build');
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const { attributes, attributeValues } = require('../../../helpers/otlp-receiver');

const { encodeLogsRequest, CodeFunctionNames, MAX_ATTRIBUTE_CHARS } = require(CORE);
const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
const decode = (bytes) => ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(bytes), { longs: String, enums: Number, oneofs: true, arrays: true });

const SCOPE = { name: 'perf-lens', version: '0.1.0' };
const RESOURCE = { service: 'orders', instance: 'orders-1', attributes: { 'deployment.environment': 'prod' } };
const FOUND_AT = 1_764_000_123_456;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-otlp-logs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Two modules of a small service, as a person writes them.
const SERVICE = path.join(dir, 'services', 'order-service.js');
const REPO = path.join(dir, 'db', 'order-repo.ts');
fs.mkdirSync(path.dirname(SERVICE), { recursive: true });
fs.mkdirSync(path.dirname(REPO), { recursive: true });
fs.writeFileSync(
  SERVICE,
  [
    "'use strict';",
    "const { pool } = require('../db/pool');",
    '',
    'async function ordersWithCustomers() {',
    "  const { rows: orders } = await pool.query('SELECT id, customer_id FROM orders');",
    '  for (const order of orders) {',
    "    const { rows } = await pool.query('SELECT * FROM customers WHERE id = $1', [order.customer_id]);", // line 7
    '    order.customer = rows[0];',
    '  }',
    '  return orders;',
    '}',
    '',
    'const withTags = (db, products) => products.map((p) => ({ ...p, tag: db.get(p.tag_id) }));', // line 13
    '',
    "pool.query('SELECT 1');", // line 15: top level
    'module.exports = { ordersWithCustomers, withTags };',
  ].join('\n'),
);
fs.writeFileSync(
  REPO,
  [
    "import { pool } from './pool';",
    '',
    'export class OrderRepo {',
    '  async linesOf(orderIds: number[]): Promise<unknown[]> {',
    '    return Promise.all(orderIds.map(async (id) => {',
    "      const { rows } = await pool.query<{ id: number }>('SELECT * FROM lines WHERE order_id = $1', [id]);", // line 6
    '      return rows;',
    '    }));',
    '  }',
    '}',
  ].join('\n'),
);

const nPlusOne = {
  id: '3f2a9c0d1e4b5a67',
  kind: 'n-plus-one',
  severity: 'warning',
  message: 'N+1 query: "SELECT * FROM customers WHERE id = $1" ran 10 times in GET /orders (152.4 ms); load them in one query.',
  pid: 4242,
  location: { file: SERVICE, line: 7, column: 30 },
  related: [{ message: 'the "1" query', location: { file: SERVICE, line: 5, column: 34 } }],
  data: {
    count: 10,
    totalMs: 152.375,
    fingerprint: 'select * from customers where id = ?',
    sample: 'SELECT * FROM customers WHERE id = $1',
    scope: 'GET /orders',
    scopes: 4,
    db: 'postgres',
    share: null,
    orm: undefined,
    routes: [{ route: 'GET /orders', counts: [10, 10] }],
    fix: { text: 'WHERE id = ANY($1)' },
    flagged: true,
  },
};
const heapGrowth = {
  id: '0a1b2c3d4e5f6789',
  kind: 'heap-growth',
  severity: 'info',
  message: 'The heap grows 1.2 MB per minute after GC.',
  pid: 4243,
  location: null,
  related: [],
  data: { bytesPerMinute: 1258291, windowMs: 90000, confidence: 0.995 },
};
const tsFinding = {
  id: 'ffee000011112222',
  kind: 'n-plus-one',
  severity: 'error',
  message: 'N+1 query in OrderRepo.linesOf.',
  pid: 4242,
  location: { file: REPO, line: 6, column: 32 },
  related: [],
  data: { count: 25, sample: `SELECT '${'x'.repeat(20_000)}'` },
};

function records() {
  const names = new CodeFunctionNames((file) => fs.readFileSync(file, 'utf8'));
  return [nPlusOne, heapGrowth, tsFinding].map((finding, i) => ({ timeMs: FOUND_AT + i, finding, codeFunction: names.at(finding.location) }));
}

test('one resource and one scope hold a log record per finding, in order', () => {
  const req = decode(encodeLogsRequest(records(), RESOURCE, SCOPE));
  assert.equal(req.resourceLogs.length, 1);
  const [rl] = req.resourceLogs;
  assert.deepEqual(attributeValues(rl.resource.attributes), { 'service.name': 'orders', 'service.instance.id': 'orders-1', 'deployment.environment': 'prod' });
  assert.equal(rl.scopeLogs.length, 1);
  assert.deepEqual(rl.scopeLogs[0].scope, { name: 'perf-lens', version: '0.1.0', attributes: [] });
  assert.deepEqual(rl.scopeLogs[0].logRecords.map((r) => attributeValues(r.attributes)['perf_lens.finding.id']), [nPlusOne.id, heapGrowth.id, tsFinding.id]);
});

test('an N+1 is a WARN record: its message as body, code.* on its line, the function around it, and its data typed', () => {
  const [r] = decode(encodeLogsRequest(records(), RESOURCE, SCOPE)).resourceLogs[0].scopeLogs[0].logRecords;
  assert.equal(r.severityNumber, 13); // SEVERITY_NUMBER_WARN
  assert.equal(r.severityText, 'WARN');
  assert.deepEqual(r.body, { stringValue: nPlusOne.message, value: 'stringValue' });
  assert.equal(r.timeUnixNano, '1764000123456000000');
  assert.equal(r.observedTimeUnixNano, '1764000123456000000');
  assert.equal(r.eventName, 'perf_lens.finding');
  const a = attributes(r.attributes);
  const typed = (k) => {
    const { value, ...rest } = a[k];
    return [value, Object.values(rest)[0]];
  };
  assert.deepEqual(typed('code.filepath'), ['stringValue', SERVICE]);
  assert.deepEqual(typed('code.lineno'), ['intValue', '7']);
  assert.deepEqual(typed('code.column'), ['intValue', '30']);
  assert.deepEqual(typed('code.function'), ['stringValue', 'ordersWithCustomers']);
  assert.deepEqual(typed('process.pid'), ['intValue', '4242']);
  assert.deepEqual(typed('perf_lens.finding.kind'), ['stringValue', 'n-plus-one']);
  assert.deepEqual(typed('perf_lens.finding.severity'), ['stringValue', 'warning']);
  assert.deepEqual(typed('perf_lens.finding.data.count'), ['intValue', '10']);
  assert.deepEqual(typed('perf_lens.finding.data.scopes'), ['intValue', '4']);
  assert.deepEqual(typed('perf_lens.finding.data.totalMs'), ['doubleValue', 152.375]);
  assert.deepEqual(typed('perf_lens.finding.data.flagged'), ['boolValue', true]);
  assert.deepEqual(typed('perf_lens.finding.data.fingerprint'), ['stringValue', 'select * from customers where id = ?']);
  assert.deepEqual(typed('perf_lens.finding.data.db'), ['stringValue', 'postgres']);
  assert.deepEqual(JSON.parse(a['perf_lens.finding.data.routes'].stringValue), nPlusOne.data.routes);
  assert.deepEqual(JSON.parse(a['perf_lens.finding.data.fix'].stringValue), nPlusOne.data.fix);
  assert.deepEqual(JSON.parse(a['perf_lens.finding.related'].stringValue), nPlusOne.related);
  // null and undefined data are left out rather than sent as empty values
  assert.equal(a['perf_lens.finding.data.share'], undefined);
  assert.equal(a['perf_lens.finding.data.orm'], undefined);
});

test('a finding with no line (heap growth) has no code.* attributes and is INFO', () => {
  const r = decode(encodeLogsRequest(records(), RESOURCE, SCOPE)).resourceLogs[0].scopeLogs[0].logRecords[1];
  assert.equal(r.severityNumber, 9);
  assert.equal(r.severityText, 'INFO');
  assert.equal(r.timeUnixNano, '1764000123457000000');
  const a = attributeValues(r.attributes);
  assert.deepEqual(
    Object.keys(a).filter((k) => k.startsWith('code.')),
    [],
  );
  assert.deepEqual(a, {
    'process.pid': 4243,
    'perf_lens.finding.id': heapGrowth.id,
    'perf_lens.finding.kind': 'heap-growth',
    'perf_lens.finding.severity': 'info',
    'perf_lens.finding.data.bytesPerMinute': 1258291,
    'perf_lens.finding.data.windowMs': 90000,
    'perf_lens.finding.data.confidence': 0.995,
  });
});

test('in TypeScript, a query inside an async arrow in a method is placed in the method; huge strings are cut', () => {
  const r = decode(encodeLogsRequest(records(), RESOURCE, SCOPE)).resourceLogs[0].scopeLogs[0].logRecords[2];
  assert.equal(r.severityNumber, 17);
  assert.equal(r.severityText, 'ERROR');
  const a = attributeValues(r.attributes);
  assert.equal(a['code.function'], 'linesOf');
  assert.equal(a['code.filepath'], REPO);
  assert.equal(a['code.lineno'], 6);
  assert.equal(a['perf_lens.finding.data.sample'].length, MAX_ATTRIBUTE_CHARS);
  assert.ok(a['perf_lens.finding.data.sample'].endsWith('…'));
  assert.ok(a['perf_lens.finding.data.sample'].startsWith("SELECT 'xxx"));
});

test('code.function: an arrow in .map inside a named arrow takes the named one; the top level of a module has none; an unreadable file has none', () => {
  const names = new CodeFunctionNames((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined));
  assert.equal(names.at({ file: SERVICE, line: 13, column: 70 }), 'withTags');
  assert.equal(names.at({ file: SERVICE, line: 15, column: 6 }), null);
  assert.equal(names.at({ file: path.join(dir, 'gone.js'), line: 1, column: 1 }), null);
  assert.equal(names.at(null), null);
});
