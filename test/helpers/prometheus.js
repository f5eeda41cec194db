'use strict';
// A throw-away Prometheus server for integration tests, the same shape as postgres.js and
// redis.js: Debian's `prometheus` (2.42) on a free port of 127.0.0.1 only, its TSDB in a temp
// dir, scraping the given targets every second and evaluating the given rules every second.
//   const prom = await startPrometheus({ targets: ['127.0.0.1:9464'], rules: [...] });
//   await prom.query('up') … ; await prom.stop();
// As root it runs as the OS user `prometheus` when there is one. The Debian service is never
// started; a watchdog (server-process.js) stops the server if the test process dies.
const fs = require('node:fs');
const path = require('node:path');
const { freePort } = require('./ports');
const { isRoot, osUser, makeTempDir, removeDir, spawnServer, logTail, waitUntil } = require('./server-process');

function findPrometheus() {
  for (const bin of [process.env.PERF_LENS_PROMETHEUS, '/usr/bin/prometheus', '/usr/local/bin/prometheus']) {
    if (bin && fs.existsSync(bin)) return bin;
  }
  throw new Error('Prometheus is not installed: no /usr/bin/prometheus (run scripts/install-system-deps.sh).');
}

/** promtool, which ships with Debian's prometheus package, or null. */
function findPromtool() {
  for (const bin of ['/usr/bin/promtool', '/usr/local/bin/promtool']) if (fs.existsSync(bin)) return bin;
  return null;
}

/** GET a Prometheus API path; resolves with `data` of a success answer, rejects with its error. */
async function api(base, pathAndQuery) {
  const res = await fetch(base + pathAndQuery);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/**
 * @param {{ targets?: string[], jobName?: string, honorLabels?: boolean, scrapeConfigs?: object[],
 *   rules?: object[], scrapeIntervalS?: number, startTimeoutMs?: number }} options
 *   targets: host:port of /metrics endpoints (one job); rules: Prometheus rule objects
 *   ({ alert, expr, for, labels, annotations } or { record, expr }) in one group
 */
async function startPrometheus(options = {}) {
  const bin = findPrometheus();
  const owner = isRoot ? osUser('prometheus') : null;
  const dir = makeTempDir('prometheus', owner);
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const scrapeConfigs = options.scrapeConfigs ?? [
    {
      job_name: options.jobName ?? 'perf-lens',
      // Keep the instance label perf-lens exposes (the host); without it Prometheus renames it exported_instance.
      honor_labels: options.honorLabels ?? true,
      static_configs: [{ targets: options.targets ?? [] }],
    },
  ];
  // JSON is YAML: no YAML writer needed
  const config = { global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval }, scrape_configs: scrapeConfigs };
  if (options.rules?.length) {
    fs.writeFileSync(path.join(dir, 'rules.yml'), JSON.stringify({ groups: [{ name: 'perf-lens-test', interval, rules: options.rules }] }, null, 2), { mode: 0o644 });
    config.rule_files = [path.join(dir, 'rules.yml')];
  }
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o644 });
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  if (owner) fs.chownSync(data, owner.uid, owner.gid);
  const logFile = path.join(dir, 'prometheus.log');

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = spawnServer({
      owner,
      cmd: bin,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      logFile,
      dir,
      stopSignal: 'SIGTERM',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUntil(
        async () => {
          const res = await fetch(`${base}/-/ready`);
          if (res.status !== 200) throw new Error(`/-/ready answered ${res.status}`);
        },
        { timeoutMs: options.startTimeoutMs || 30_000, exited: server.exited, what: 'Prometheus', logFile },
      );
      return {
        url: base,
        port,
        dir,
        /** instant query: the result vector ([{ metric, value: [t, "v"] }]) */
        query: async (expr) => (await api(base, `/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
        /** label sets of the series matching a selector */
        series: (match) => api(base, `/api/v1/series?match[]=${encodeURIComponent(match)}`),
        /** active alerts: [{ labels, state: 'pending' | 'firing', value }] */
        alerts: async () => (await api(base, '/api/v1/alerts')).alerts,
        /** scrape targets: { activeTargets: [{ health, lastError, scrapeUrl, … }] } */
        targets: () => api(base, '/api/v1/targets'),
        logTail: () => logTail(logFile, 30),
        stop: () => server.stop(),
      };
    } catch (err) {
      lastErr = err;
      if (!/address already in use/i.test(logTail(logFile, 50))) {
        await server.stop();
        throw err;
      }
      await server.stop({ keepDir: true });
    }
  }
  removeDir(dir);
  throw lastErr;
}

/** Polls `fn` every 500 ms until it returns a truthy value; rejects with `what` and the last value after timeoutMs. */
async function eventually(fn, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

module.exports = { startPrometheus, findPrometheus, findPromtool, eventually };
