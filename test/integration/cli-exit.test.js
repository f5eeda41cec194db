// Exit codes, the stop sequence, --fail-on, and the app's independence from the CLI.
const { CLI } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { runCli, fixtureDir, readJson } = require('../helpers/cli');

const oneSentence = (s) => {
  const lines = s.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${s}`);
  assert.match(lines[0], /^perf-lens: [A-Za-z].*\.$/);
};

test('bad usage exits 2 with one sentence on stderr', async () => {
  for (const args of [[], ['run'], ['frobnicate'], ['run', '--rounds', '0', '--load', 'x', '--', 'node'], ['run', '--fail-on', 'nope', '--', 'node'], ['analyze']]) {
    const res = await runCli(args);
    if (args.length === 0) {
      assert.equal(res.code, 0); // bare `perf-lens` prints the usage
      assert.match(res.stdout, /perf-lens run/);
      continue;
    }
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    oneSentence(res.stderr);
  }
});

test('analyze of a missing or empty recording exits 2 with a clear sentence', async () => {
  const dir = fixtureDir({ 'empty.ndjson': '', 'junk.ndjson': 'not json\n{"type":"nope"}\n' });
  for (const file of ['missing.ndjson', 'empty.ndjson', 'junk.ndjson']) {
    const res = await runCli(['analyze', file], { cwd: dir });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, new RegExp(`perf-lens: The recording .*${file.replace('.', '\\.')} `));
  }
});

test('a command that does not exist exits 3', async () => {
  const res = await runCli(['run', '--', 'no-such-command-perf-lens']);
  assert.equal(res.code, 3);
  oneSentence(res.stderr);
  assert.match(res.stderr, /was not found/);
});

test('a command that starts no Node.js process exits 3', async () => {
  const res = await runCli(['run', '--', 'sh', '-c', 'sleep 0.3']);
  assert.equal(res.code, 3);
  oneSentence(res.stderr);
  assert.match(res.stderr, /No Perf Lens agent connected/);
});

test('--load with an app that exits before listening exits 3', async () => {
  const dir = fixtureDir({ 'quick.js': 'console.log("bye")' });
  const res = await runCli(['run', '--load', 'true', '--', 'node', 'quick.js'], { cwd: dir });
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /exited before it listened/);
});

test('stop sequence: an app that ignores SIGINT gets SIGTERM after the grace period', async () => {
  const dir = fixtureDir({
    'stubborn.js': `
      process.on('SIGINT', () => console.log('got SIGINT, ignoring'));
      process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });
      setInterval(() => {}, 1000);`,
  });
  const res = await runCli(['run', '--duration', '1', '--json', 'r.json', '--', 'node', 'stubborn.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /got SIGINT, ignoring\n[^]*got SIGTERM/);
  const p = readJson(path.join(dir, 'r.json')).processes[0];
  const span = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  assert.ok(span >= 5000, `the app lived through the 5 s grace period (${span} ms)`);
});

test('SIGTERM to the CLI (a container stopping) reaches the app as SIGTERM first, so its own shutdown handler drains', async () => {
  const dir = fixtureDir({
    'graceful.js': `
      process.on('SIGINT', () => console.log('got SIGINT'));
      process.on('SIGTERM', () => { console.log('got SIGTERM, draining'); setTimeout(() => process.exit(0), 200); });
      setInterval(() => {}, 1000);
      console.log('ready');`,
  });
  let child;
  const done = runCli(['run', '--json', 'r.json', '--', 'node', 'graceful.js'], { cwd: dir, onSpawn: (c) => (child = c) });
  await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
  });
  child.kill('SIGTERM');
  const res = await done;
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /got SIGTERM, draining/);
  assert.doesNotMatch(res.stdout, /got SIGINT/);
  assert.equal(readJson(path.join(dir, 'r.json')).processes.length, 1);
});

test('with the CLI killed by SIGKILL the app keeps answering requests', async () => {
  const dir = fixtureDir({
    'app.js': `
      const fs = require('node:fs');
      const s = require('node:http').createServer((q, r) => r.end('still here'));
      // written whole, then renamed: the test may look between the file's creation and its write
      s.listen(0, '127.0.0.1', () => {
        fs.writeFileSync('port.tmp', JSON.stringify({ port: s.address().port, pid: process.pid }));
        fs.renameSync('port.tmp', 'port');
      });`,
  });
  let cli;
  const done = runCli(['run', '--', 'node', 'app.js'], { cwd: dir, onSpawn: (c) => (cli = c) });
  const portFile = path.join(dir, 'port');
  for (let i = 0; i < 200 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const { port, pid } = JSON.parse(fs.readFileSync(portFile, 'utf8'));
  try {
    cli.kill('SIGKILL');
    await done;
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const body = await new Promise((resolve, reject) =>
        http.get(`http://127.0.0.1:${port}/`, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        }).on('error', reject),
      );
      assert.equal(body, 'still here');
    }
  } finally {
    process.kill(pid, 'SIGKILL');
  }
});

test('--fail-on exits 1 only when a finding of that kind exists', async () => {
  const dir = fixtureDir({ 'app.js': 'setTimeout(() => {}, 300);' });
  const res = await runCli(['run', '--fail-on', 'n-plus-one,leak', '--', 'node', 'app.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
});

test('a one-line live status is drawn on a terminal, and never when stdout is piped', async () => {
  const { execFileSync } = require('node:child_process');
  const { CLI } = require('../helpers/cli');
  const dir = fixtureDir({ 'idle.js': 'setInterval(() => {}, 100);' });
  // `script` gives the CLI a pseudo-terminal as stdout, as a developer's shell would.
  const tty = execFileSync('script', ['-qec', `${process.execPath} ${CLI} run --duration 1.6 -- node idle.js`, '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.match(tty, /\r\x1b\[2Kperf-lens ● 1 process · heap \d+\.\d MB · 0 requests · 0 queries · \d+ s/);
  assert.match(tty, /\x1b\[2KPerf Lens: 1 process over/, 'the status line is cleared before the summary');
  const piped = await runCli(['run', '--duration', '1.6', '--', 'node', 'idle.js'], { cwd: dir });
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout, /perf-lens ●|\x1b\[/);
});
