'use strict';
// Attach never enables an inspector on a non-loopback address: whatever the way the app's
// command line or NODE_OPTIONS sets the inspector host, the flags attach reads name it, and
// only loopback hosts pass. Options that take a value before the inspector flag must not end
// the scan early (`node --diagnostic-dir /tmp --inspect-port=0.0.0.0 app.js`).
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(CORE);
const { inspectorFlags, isLoopbackHost } = core;

const REFUSED = [
  [['node', '--inspect-port=0.0.0.0:0', 'app.js']],
  [['node', '--inspect-port', '0.0.0.0:9230', 'app.js']],
  [['node', '--inspect-port=0.0.0.0', 'app.js']],
  [['node', '--inspect=[::]:0', 'app.js']],
  [['node', '--inspect-port=[::]', 'app.js']],
  [['node', '--debug-port=192.168.1.5:9229', 'app.js']],
  [['node', '--inspect-port=example.com:0', 'app.js']],
  [['node', '--inspect-port=127.0.0.1.evil.test:0', 'app.js']],
  [['node', '--inspect-port=::ffff:10.0.0.1', 'app.js']],
  [['node', '--diagnostic-dir', '/tmp', '--inspect-port=0.0.0.0:0', 'app.js']],
  [['node', '--openssl-config', '/etc/ssl.cnf', '--inspect-port', '0.0.0.0:0', 'app.js']],
  [['node', '--report-dir', '/tmp', '--title', 'x', '--inspect-port=0.0.0.0', 'app.js']],
  [['node', '--heapsnapshot-signal', 'SIGUSR2', '--inspect-port=0.0.0.0', 'app.js']],
  [['node', '-r', 'x.js', '--unhandled-rejections', 'strict', '--inspect-port=0.0.0.0', 'app.js']],
  [['node', 'app.js'], '--inspect-port=0.0.0.0:0'],
  [['node', 'app.js'], '--require x.js --inspect-port 0.0.0.0:0'],
  [['node', 'app.js'], '"--inspect-port=0.0.0.0:0"'],
];
const ALLOWED = [
  [['node', 'app.js']],
  [['node', '--inspect-port=0', 'app.js']],
  [['node', '--inspect-port=127.0.0.1:0', 'app.js']],
  [['node', '--inspect-port=[::1]:0', 'app.js']],
  [['node', '--inspect-port=localhost:0', 'app.js']],
  // after the script, flags are the app's own arguments, not Node's
  [['node', 'app.js', '--inspect-port=0.0.0.0:0']],
  [['node', '-e', 'x', '--inspect-port=0.0.0.0:0']],
  // the command line wins over NODE_OPTIONS
  [['node', '--inspect-port=127.0.0.1', 'app.js'], '--inspect-port=0.0.0.0'],
];

for (const [argv, env] of REFUSED) {
  test(`refused: ${argv.join(' ')}${env ? ` with NODE_OPTIONS=${env}` : ''}`, () => {
    const flags = inspectorFlags(argv, env);
    assert.equal(isLoopbackHost(flags.host), false, `read host ${flags.host}`);
  });
}
for (const [argv, env] of ALLOWED) {
  test(`allowed: ${argv.join(' ')}${env ? ` with NODE_OPTIONS=${env}` : ''}`, () => {
    const flags = inspectorFlags(argv, env);
    assert.equal(isLoopbackHost(flags.host), true, `read host ${flags.host}`);
  });
}

test('isLoopbackHost: only 127/8, ::1 and localhost', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', 'localhost.evil', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0', '1270.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
});
