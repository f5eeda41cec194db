'use strict';
// A throw-away Redis server for integration tests, the same shape as postgres.js and
// mariadb.js: Debian's redis-server on a free port of 127.0.0.1 only, its files in a temp dir,
// no persistence. As root it runs as the OS user `redis` when there is one.
//   const redis = await startRedis(); … redis.url … ; await redis.stop();
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { freePort } = require('./ports');
const { isRoot, osUser, makeTempDir, removeDir, spawnServer, logTail, waitUntil } = require('./server-process');

function findRedis() {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const bin = path.join(dir, 'redis-server');
    if (fs.existsSync(bin)) return bin;
  }
  throw new Error('Redis is not installed: no redis-server (run scripts/install-system-deps.sh).');
}

/** Resolves once the server answers PING with PONG. */
function ping(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no answer to PING')));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n')) {
        socket.end();
        if (data.startsWith('+PONG')) resolve();
        else reject(new Error(`PING answered ${JSON.stringify(data.trim())}`));
      }
    });
    socket.on('error', reject);
  });
}

/**
 * @param {{ startTimeoutMs?: number }} [options]
 * @returns {Promise<{ host: string, port: number, url: string, dir: string, pid: number, stop(): Promise<void> }>}
 *   pid: the redis-server process, for a test that kills it the hard way (SIGKILL) mid-run
 */
async function startRedis(options = {}) {
  const bin = findRedis();
  const owner = isRoot ? osUser('redis') : null;
  const dir = makeTempDir('redis', owner);
  const logFile = path.join(dir, 'redis.log');
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = spawnServer({
      owner,
      cmd: bin,
      args: [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
        '--daemonize', 'no', '--logfile', logFile, '--protected-mode', 'yes',
      ],
      logFile: path.join(dir, 'stdout.log'),
      dir,
      stopSignal: 'SIGTERM',
    });
    const info = { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, dir, pid: server.child.pid, stop: () => server.stop() };
    try {
      await waitUntil(() => ping(port), { timeoutMs: options.startTimeoutMs || 30_000, exited: server.exited, what: 'Redis', logFile });
      return info;
    } catch (err) {
      lastErr = err;
      if (!/Address already in use/i.test(logTail(logFile, 50))) {
        await server.stop();
        throw err;
      }
      await server.stop({ keepDir: true });
    }
  }
  removeDir(dir);
  throw lastErr;
}

module.exports = { startRedis, findRedis };
