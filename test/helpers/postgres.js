'use strict';
// A throw-away PostgreSQL server for integration tests: initdb into a fresh temp dir, a free
// port on 127.0.0.1 only, the unix socket inside that dir, durability off for speed.
//   const pg = await startPostgres({ database: 'shop' });
//   new Client({ connectionString: pg.connectionString }) … ; await pg.stop();
// As root the binaries run as the OS user `postgres` (initdb refuses root). If the test process
// dies without stop(), a watchdog (see server-process.js) stops the server and removes the dir.
const fs = require('node:fs');
const path = require('node:path');
const { freePort } = require('./ports');
const { isRoot, osUser, makeTempDir, removeDir, runAs, spawnServer, logTail, waitUntil } = require('./server-process');

/** The bin dir of the highest PostgreSQL under /usr/lib/postgresql, or PERF_LENS_PG_BIN. */
function findPgBin() {
  if (process.env.PERF_LENS_PG_BIN) return process.env.PERF_LENS_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/postgres (run scripts/install-system-deps.sh).');
  return path.join(base, versions[0], 'bin');
}

/**
 * @param {{ database?: string, user?: string, password?: string, startTimeoutMs?: number,
 *   settings?: Record<string, string | number> }} [options]  settings: extra `-c name=value`
 * @returns {Promise<{ host: string, port: number, user: string, password: string, database: string,
 *   connectionString: string, dir: string, stop(): Promise<void> }>}
 */
async function startPostgres(options = {}) {
  const database = options.database || 'perf_lens_test';
  const user = options.user || 'perflens';
  const password = options.password || 'perflens';
  const bin = findPgBin();
  const owner = isRoot ? osUser('postgres') : null;
  if (isRoot && !owner) throw new Error('Running as root needs the OS user "postgres" to run PostgreSQL as.');

  const dir = makeTempDir('pg', owner);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  try {
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) fs.chownSync(pwfile, owner.uid, owner.gid);
    // TCP connections need the password (scram), so the driver's auth path is exercised.
    runAs(owner, path.join(bin, 'initdb'), [
      '-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ], { cwd: dir });
  } catch (err) {
    removeDir(dir);
    throw err;
  }

  // A port picked now may be taken before postgres binds it: try a few.
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = spawnServer({
      owner,
      cmd: path.join(bin, 'postgres'),
      args: [
        '-D', data, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
        '-c', 'shared_buffers=32MB', '-c', 'max_connections=60',
        ...Object.entries(options.settings || {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      logFile,
      dir,
      stopSignal: 'SIGINT', // "fast" shutdown, as pg_ctl stop -m fast
    });
    const info = {
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      dir,
      connectionString: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      stop: () => server.stop(),
    };
    try {
      const { Client } = require('pg');
      await waitUntil(
        async () => {
          const c = new Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 2000 });
          await c.connect();
          try {
            if (database !== 'postgres') await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
          } finally {
            await c.end();
          }
        },
        { timeoutMs: options.startTimeoutMs || 30_000, exited: server.exited, what: 'PostgreSQL', logFile },
      );
      return info;
    } catch (err) {
      lastErr = err;
      const portTaken = /could not bind|address already in use/i.test(logTail(logFile, 50));
      if (!portTaken) {
        await server.stop();
        throw err;
      }
      await server.stop({ keepDir: true });
      fs.writeFileSync(logFile, '');
    }
  }
  removeDir(dir);
  throw lastErr;
}

module.exports = { startPostgres, findPgBin };
