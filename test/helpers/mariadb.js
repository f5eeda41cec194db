'use strict';
// A throw-away MariaDB (or MySQL) server for integration tests, the same shape as postgres.js:
// install-db into a fresh temp datadir, a free port on 127.0.0.1 only, the socket inside the
// temp dir, durability off. A real user with a password (mysql_native_password) is created, so
// the driver's auth handshake is exercised. As root the server runs as the OS user `mysql`.
//   const db = await startMariadb({ database: 'shop' }); … ; await db.stop();
const fs = require('node:fs');
const path = require('node:path');
const { freePort } = require('./ports');
const { isRoot, osUser, makeTempDir, removeDir, runAs, spawnServer, logTail, waitUntil } = require('./server-process');

const SEARCH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/libexec'];

function findBinary(names) {
  for (const dir of SEARCH) for (const n of names) if (fs.existsSync(path.join(dir, n))) return path.join(dir, n);
  return null;
}

/** Paths of the server and its install-db script; throws a plain sentence when absent. */
function findMariadb() {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!server || !installDb) throw new Error('MariaDB is not installed: no mariadbd/mysqld (run scripts/install-system-deps.sh).');
  return { server, installDb };
}

// Small and lax InnoDB: 26 MB per datadir instead of 114 MB, no waiting on disk.
const INNODB = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--skip-log-bin'];

const quote = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (s) => `\`${String(s).replace(/`/g, '``')}\``;

/**
 * @param {{ database?: string, user?: string, password?: string, startTimeoutMs?: number }} [options]
 * @returns {Promise<{ host: string, port: number, user: string, password: string, database: string,
 *   socketPath: string, connectionString: string, dir: string, stop(): Promise<void> }>}
 */
async function startMariadb(options = {}) {
  const database = options.database || 'perf_lens_test';
  const user = options.user || 'perflens';
  const password = options.password || 'perflens';
  const { server: serverBin, installDb } = findMariadb();
  const owner = isRoot ? osUser('mysql') : null; // without a `mysql` user, root runs it with --user=root

  const dir = makeTempDir('mariadb', owner);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const socketPath = path.join(dir, 'mysqld.sock');
  const runUser = isRoot ? [`--user=${owner ? owner.name : 'root'}`] : [];
  try {
    runAs(null, installDb, [
      '--no-defaults', `--datadir=${data}`, ...runUser,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...INNODB,
    ], { cwd: dir });
    // Runs at every start before connections are accepted: our database and user.
    const init = path.join(dir, 'init.sql');
    fs.writeFileSync(init, [
      `CREATE DATABASE IF NOT EXISTS ${ident(database)};`,
      `CREATE USER IF NOT EXISTS ${quote(user)}@'%' IDENTIFIED BY ${quote(password)};`,
      `GRANT ALL PRIVILEGES ON *.* TO ${quote(user)}@'%';`,
      '',
    ].join('\n'));
  } catch (err) {
    removeDir(dir);
    throw err;
  }

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = spawnServer({
      // mariadbd drops to --user itself; started as root it must be told which user.
      owner: null,
      cmd: serverBin,
      args: [
        '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1',
        `--socket=${socketPath}`, `--pid-file=${path.join(dir, 'mysqld.pid')}`, `--log-error=${logFile}`,
        `--init-file=${path.join(dir, 'init.sql')}`, ...runUser,
        '--skip-name-resolve', '--max-connections=100', ...INNODB,
      ],
      logFile: path.join(dir, 'stdout.log'),
      dir,
      stopSignal: 'SIGTERM',
    });
    const info = {
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      socketPath,
      dir,
      connectionString: `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      stop: () => server.stop(),
    };
    try {
      const mysql = require('mysql2/promise');
      await waitUntil(
        async () => {
          const c = await mysql.createConnection({ host: '127.0.0.1', port, user, password, database, connectTimeout: 2000 });
          await c.end();
        },
        { timeoutMs: options.startTimeoutMs || 60_000, exited: server.exited, what: 'MariaDB', logFile },
      );
      return info;
    } catch (err) {
      lastErr = err;
      if (!/address already in use|Can't start server: Bind/i.test(logTail(logFile, 50))) {
        await server.stop();
        throw err;
      }
      await server.stop({ keepDir: true });
    }
  }
  removeDir(dir);
  throw lastErr;
}

module.exports = { startMariadb, findMariadb };
