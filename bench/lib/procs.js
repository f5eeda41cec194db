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
async function startApp(appPath, env, cpus, nodeArgs = []) {
  const [cmd, args] = nodeCommand([...nodeArgs, appPath], cpus);
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

/** Whether wrk (Debian's `wrk`) is on the PATH: a C load generator that saturates the app from one core. */
function hasWrk() {
  return require('node:child_process').spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** "1.23ms" → 1.23 (wrk prints latencies with their unit). */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/** wrk's report as the summary runAutocannon resolves with; throws on output it cannot read. */
function parseWrk(out, durationS) {
  const total = /(\d+) requests in ([\d.]+)(\w+)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!total || !rps) throw new Error(`wrk printed no request count: ${out.slice(0, 200)}`);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? wrkMs(m[1]) : null;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    reqPerSec: Number(rps[1]),
    totalRequests: Number(total[1]),
    latencyP50Ms: pct(50),
    latencyP99Ms: pct(99),
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    durationS,
  };
}

/**
 * One wrk run (one thread, opts.connections keep-alive connections) on `cpus`: unlike
 * autocannon, which needs about a core for 40 000 requests a second, it leaves the app the
 * bottleneck, so the app runs at 100 % of its core and its CPU per request is not blurred by
 * how requests happen to batch in a half-idle event loop.
 */
function runWrk(opts, cpus) {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.duration}s`, '--latency', opts.url];
  const [cmd, argv] = cpus ? ['taskset', ['-c', cpus, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    // 'close', not 'exit': the output may still be in the pipe when the process has exited.
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with code ${code}: ${out.slice(0, 200)}`));
      try {
        resolve(parseWrk(out, opts.duration));
      } catch (err) {
        reject(err);
      }
    });
  });
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

module.exports = { hasWrk, runWrk, parseWrk, nodeCommand, cpuPlan, onJsonLines, waitForLine, startApp, stopProcess, runAutocannon, rssBytes, cpuSeconds };
