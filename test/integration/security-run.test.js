// A real `perf-lens run`, inspected from outside while it runs: every listening socket of the
// CLI is on 127.0.0.1 (read from /proc/<pid>/net/tcp*, matched to the process's own socket
// inodes), the agent opens no listener in the app and talks to 127.0.0.1 only, and the token
// appears in none of what the run writes: stdout, stderr, the recording, the JSON report, SARIF.
const { CLI } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { runCli, fixtureDir } = require('../helpers/cli');

const APP = `
const fs = require('node:fs');
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  setInterval(() => http.get({ host: '127.0.0.1', port, agent: false }, (r) => r.resume()), 50);
  // Tell the test the port and token through a file: the app's stdout is the CLI's stdout.
  fs.writeFileSync(process.env.SIDE_FILE, JSON.stringify({ port, token: process.env.PERF_LENS_TOKEN }));
});
`;

/** Sockets of `pid` from /proc: [{ proto, local: 'ip:port', remote, state }]. */
function socketsOf(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  const out = [];
  for (const proto of ['tcp', 'tcp6']) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${proto}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9])) continue;
      out.push({ proto, local: addr(f[1]), remote: addr(f[2]), state: f[3] === '0A' ? 'LISTEN' : f[3] === '01' ? 'ESTABLISHED' : f[3] });
    }
  }
  return out;
}

/** /proc/net/tcp hex "0100007F:1F90" → "127.0.0.1:8080"; tcp6 addresses as hex groups. */
function addr(hex) {
  const [ip, port] = hex.split(':');
  const p = parseInt(port, 16);
  if (ip.length === 8) return `${[3, 2, 1, 0].map((i) => parseInt(ip.slice(i * 2, i * 2 + 2), 16)).join('.')}:${p}`;
  const words = ip.match(/.{8}/g).map((w) => w.match(/../g).reverse().join(''));
  const v6 = words.join('').match(/.{4}/g).join(':');
  if (v6 === '0000:0000:0000:0000:0000:ffff:0100:007f') return `::ffff:127.0.0.1:${p}`; // mapped loopback
  return `[${v6}]:${p}`;
}

const loopback = (a) => /^127\.\d+\.\d+\.\d+:\d+$/.test(a) || a.startsWith('[0000:0000:0000:0000:0000:0000:0000:0001]') || a.startsWith('::ffff:127.0.0.1:');

test('a real run: every listening socket on 127.0.0.1, the agent opens none, and the token is written nowhere', async (t) => {
  const dir = fixtureDir({ 'app.js': APP });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const side = path.join(dir, 'side.json');
  let seen = null;
  const res = await runCli(['run', '--duration', '4', '--json', 'report.json', '--sarif', 'report.sarif', '--record', 'rec.ndjson', '--', process.execPath, 'app.js'], {
    cwd: dir,
    env: { ...process.env, SIDE_FILE: side },
    timeoutMs: 60_000,
    onSpawn: (cli) => {
      const poll = setInterval(() => {
        if (!fs.existsSync(side) || fs.statSync(side).size === 0) return;
        clearInterval(poll);
        const appPid = Number(fs.readFileSync(`/proc/${cli.pid}/task/${cli.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
        seen = { cli: socketsOf(cli.pid), app: socketsOf(appPid), cliCmdline: fs.readFileSync(`/proc/${cli.pid}/cmdline`, 'utf8') };
      }, 50);
      cli.once('exit', () => clearInterval(poll));
    },
  });
  assert.equal(res.code, 0, res.stderr);
  assert.ok(seen, 'the sockets were read while the run went on');
  const { port, token } = JSON.parse(fs.readFileSync(side, 'utf8'));

  const cliListen = seen.cli.filter((s) => s.state === 'LISTEN');
  t.diagnostic(`CLI listens on ${cliListen.map((s) => s.local).join(', ')}; app listens on ${seen.app.filter((s) => s.state === 'LISTEN').map((s) => s.local).join(', ')}`);
  assert.equal(cliListen.length, 1, 'the CLI listens on one socket: its session server');
  assert.ok(cliListen.every((s) => s.proto === 'tcp' && loopback(s.local)), JSON.stringify(cliListen));
  const serverPort = cliListen[0].local.split(':')[1];
  // The app listens on its own port only: the agent opened no listener (no inspector either).
  assert.deepEqual(seen.app.filter((s) => s.state === 'LISTEN').map((s) => s.local), [`127.0.0.1:${port}`]);
  // The agent's connection goes to the CLI's server on 127.0.0.1.
  const toServer = seen.app.filter((s) => s.state === 'ESTABLISHED' && s.remote.endsWith(`:${serverPort}`));
  assert.equal(toServer.length, 1);
  assert.ok(loopback(toServer[0].remote) && loopback(toServer[0].local));
  // Every socket of either process is on loopback.
  for (const s of [...seen.cli, ...seen.app]) assert.ok(loopback(s.local), `${s.proto} ${s.local} ${s.state}`);

  // The token: long, random, and in none of what the user sees or keeps.
  assert.ok(token && token.length >= 24);
  assert.equal(seen.cliCmdline.includes(token), false, 'not on the command line');
  for (const [what, text] of [
    ['stdout', res.stdout],
    ['stderr', res.stderr],
    ['recording', fs.readFileSync(path.join(dir, 'rec.ndjson'), 'utf8')],
    ['report', fs.readFileSync(path.join(dir, 'report.json'), 'utf8')],
    ['sarif', fs.readFileSync(path.join(dir, 'report.sarif'), 'utf8')],
  ]) {
    if (what !== 'stderr') assert.ok(text.length > 0, `${what} is not empty`);
    assert.equal(text.includes(token), false, `the token is in the ${what}`);
  }
  assert.ok(fs.readFileSync(path.join(dir, 'rec.ndjson'), 'utf8').split('\n').filter(Boolean).every((l) => !/"type":"auth"/.test(l)), 'no auth frame recorded');
});
