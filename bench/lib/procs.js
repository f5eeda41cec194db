'use strict';
// Child processes of the bench: JSON-line readers, the app under test, one autocannon run,
// and the app's resident memory.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const readline = require('node:readline');

/** Calls onLine(obj) for every JSON line the stream prints; other lines are ignored. */
function onJsonLines(stream, onLine) {
  readline.createInterface({ input: stream }).on('line', (line) => {
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      return;
    }
    onLine(obj);
  });
}

/** Resolves with the first JSON line `pred` accepts; rejects on exit or after timeoutMs. */
function waitForLine(child, pred, what, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code) => done(new Error(`${what}: the process exited (code ${code}) first`));
    function done(err, value) {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value);
    }
    child.once('exit', onExit);
    onJsonLines(child.stdout, (obj) => {
      if (pred(obj)) done(null, obj);
    });
  });
}

/**
 * [command, args] that run node with `args`, pinned to the CPUs in `cpus` ("1", "0-2") when
 * given. taskset execs in place, so the child's pid is node's.
 */
function nodeCommand(args, cpus) {
  return cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
}

/** CPU sets that keep the app apart from the load and the session server, or null. */
function cpuPlan() {
  const n = require('node:os').cpus().length;
  if (n < 2 || spawnSyncOk('taskset', ['-c', '0', 'true']) === false) return null;
  return { app: String(n - 1), rest: n === 2 ? '0' : `0-${n - 2}` };
}

function spawnSyncOk(cmd, args) {
  const r = require('node:child_process').spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

/** Starts bench/lib/app.js with `env` added (on `cpus` if given); resolves with { child, port }. */
async function startApp(appPath, env, cpus) {
  const [cmd, args] = nodeCommand([appPath], cpus);
  const child = spawn(cmd, args, {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port } = await waitForLine(child, (o) => typeof o.port === 'number', 'bench app');
  return { child, port };
}

/** SIGINT, then SIGKILL after timeoutMs; resolves when the process has exited. */
function stopProcess(child, timeoutMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** One autocannon run in its own process; resolves with the summary load.js prints. */
async function runAutocannon(loadPath, opts, cpus) {
  const [cmd, args] = nodeCommand([loadPath, JSON.stringify(opts)], cpus);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return waitForLine(child, (o) => typeof o.reqPerSec === 'number', 'autocannon', (opts.duration + 30) * 1000);
}

/** Resident set size of a process in bytes (Linux /proc), or null when unknown. */
function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

let clockTicks;
/** CPU time (user + system) a process has used so far, in seconds (Linux /proc), or null. */
function cpuSeconds(pid) {
  try {
    clockTicks ??= Number(require('node:child_process').execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

module.exports = { nodeCommand, cpuPlan, onJsonLines, waitForLine, startApp, stopProcess, runAutocannon, rssBytes, cpuSeconds };
