'use strict';
// OTLP over https:// to a collector with its own certificate authority that asks for a client
// certificate (mutual TLS), as OTEL_EXPORTER_OTLP_CERTIFICATE, …_CLIENT_CERTIFICATE and
// …_CLIENT_KEY name them: certificates made by openssl for this run, a real https receiver
// decoding the requests, the severity-express catalog under 8 clients.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { runCli } = require('../helpers/cli');
const { profileCatalog } = require('../helpers/otlp-catalog');
const { startOtlpReceiver } = require('../helpers/otlp-receiver');

let dir;
const file = (name) => path.join(dir, name);
const pem = (name) => fs.readFileSync(file(name));

/** A certificate authority, and a server (127.0.0.1) and a client certificate it signed. */
function makeCertificates() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-otlp-tls-'));
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=perf-lens test CA');
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', '127.0.0.1', ['-extfile', 'server.ext']], ['client', 'perf-lens-run', []]]) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext);
  }
}

before(makeCertificates);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The collector: https with the test CA's server certificate, a client certificate of that CA required. */
async function startCollector(t) {
  const rx = await startOtlpReceiver({ tls: { key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true } });
  t.after(() => rx.close());
  return rx;
}

const summaryOf = (run) => run.cli.stderr.split('\n').filter((l) => l.startsWith('perf-lens: OTLP:')).at(-1);

test('mutual TLS: the collector is trusted through OTEL_EXPORTER_OTLP_CERTIFICATE and knows the run by its client certificate', { timeout: 120_000 }, async (t) => {
  const rx = await startCollector(t);
  const run = await profileCatalog(['--otlp', rx.url], {
    OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem'),
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: file('client.pem'),
    OTEL_EXPORTER_OTLP_CLIENT_KEY: file('client.key'),
  });
  assert.ok(rx.metrics().length >= 1, 'metrics pushed');
  const records = rx.logRecords();
  assert.equal(records.length, run.report.findings.length, 'each finding once, as a log record');
  assert.deepEqual(new Set(rx.requests.map((r) => r.clientCN)), new Set(['perf-lens-run']));
  assert.deepEqual(rx.tlsErrors, []);
  assert.equal(summaryOf(run), `perf-lens: OTLP: ${rx.requests.length} requests, 0 failed; findings: ${records.length} sent, 0 dropped.`);
});

test('without the collector\'s authority every push fails on its certificate, and the app is not affected', { timeout: 120_000 }, async (t) => {
  const rx = await startCollector(t);
  const run = await profileCatalog(['--otlp', rx.url], { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: file('client.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: file('client.key') });
  assert.equal(rx.requests.length, 0, 'nothing got through');
  assert.match(summaryOf(run), /^perf-lens: OTLP: (\d+) requests?, \1 failed \(last: (self-signed certificate in certificate chain|unable to get local issuer certificate|unable to verify the first certificate)\); findings: 0 sent, \d+ dropped \(\d+ unsent at exit\)\.$/);
});

test('a certificate file that cannot be read is bad usage: exit 2 and one sentence, before the app starts', { timeout: 60_000 }, async () => {
  const missing = file('nowhere.pem');
  const res = await runCli(['run', '--otlp', 'https://127.0.0.1:4318', '--', process.execPath, '-e', 'console.log("app ran")'], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_CERTIFICATE: missing },
  });
  assert.equal(res.code, 2, res.stderr);
  assert.equal(res.stderr, `perf-lens: OTEL_EXPORTER_OTLP_CERTIFICATE names ${missing}, which cannot be read (ENOENT).\n`);
  assert.doesNotMatch(res.stdout, /app ran/);
});
