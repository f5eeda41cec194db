'use strict';
// Profiles a multi-module app under the real CLI (`perf-lens run --load`), driven by concurrent
// keep-alive clients, and returns the JSON report with helpers to read its findings.
//   const run = await profileApp({ entry, env, concurrency: 8, requests: [{ path: '/api/x', times: 20 }] });
//   run.nPlusOne() ; run.findingsAt(file, line) ; run.scopeNames()
// Also the setup the real-app tests share (DB_* env, signed request rounds, tsc builds, saved runs);
// the checks of a run against an app's expectations are in real-app-expectations.js.
const { CLI, ROOT } = require('./build');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const jwt = require('jsonwebtoken');
const { runCli, readJson } = require('./cli');

const LOAD = path.join(__dirname, '..', 'fixtures', 'real-apps', 'load.js');

/** `// @line:NAME` markers of a file → Map(NAME → 1-based line). */
function lineMarkers(file) {
  const lines = new Map();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /\/\/ @line:([a-z0-9-]+)\s*$/.exec(text);
      if (m) lines.set(m[1], i + 1);
    });
  return lines;
}

/** The 1-based line of marker `name` in `file`; throws when it is missing. */
function lineOf(file, name) {
  const line = lineMarkers(file).get(name);
  if (line === undefined) throw new Error(`no // @line:${name} marker in ${file}`);
  return line;
}

/** The line of marker `name` in `file` as a location; `label` names it in test names and messages. */
function markerAt(file, name, label = name) {
  return { file, line: lineOf(file, name), name: label };
}

/**
 * @param {{ entry: string, root?: string, env?: object, concurrency?: number,
 *   requests: Array<{ method?: string, path: string, headers?: object, body?: unknown, times?: number }>,
 *   args?: string[], node?: string[], runner?: string[], timeoutMs?: number }} o
 *   node: flags for node; runner: a script node runs the entry with (tsx's cli)
 */
async function profileApp(o) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-real-app-'));
  const json = path.join(dir, 'report.json');
  const loadOut = path.join(dir, 'load.json');
  const root = o.root ?? path.dirname(o.entry);
  const env = {
    ...process.env,
    ...(o.env ?? {}),
    REAL_APP_PLAN: JSON.stringify({ concurrency: o.concurrency ?? 1, requests: o.requests, holdUntilFile: o.holdUntilFile }),
    REAL_APP_LOAD_OUT: loadOut,
  };
  const args = [
    'run', '--json', json, '--root', root, '--no-heap-sampling', ...(o.args ?? []),
    '--load', `"${process.execPath}" "${LOAD}"`,
    '--', process.execPath, ...(o.node ?? []), ...(o.runner ?? []), o.entry,
  ];
  const res = await runCli(args, { cwd: root, env, timeoutMs: o.timeoutMs ?? 180_000 });
  try {
    assert.equal(res.code, 0, `perf-lens run exited ${res.code}\n${res.stdout}\n${res.stderr}`);
    assert.ok(fs.existsSync(loadOut), `the load did not finish\n${res.stdout}\n${res.stderr}`);
    const load = readJson(loadOut);
    assert.deepEqual(load.failures, [], `requests failed: ${load.failures.join('\n')}`);
    const report = readJson(json);
    // REAL_APP_REPORTS=DIR keeps each report, for comparing builds (bench/real-apps-compare.js)
    if (process.env.REAL_APP_REPORTS) {
      const name = `${path.basename(path.dirname(o.entry))}-${path.basename(o.entry, path.extname(o.entry))}-c${o.concurrency ?? 1}-${Date.now()}.json`;
      fs.mkdirSync(process.env.REAL_APP_REPORTS, { recursive: true });
      fs.writeFileSync(path.join(process.env.REAL_APP_REPORTS, name), JSON.stringify({ entry: o.entry, concurrency: o.concurrency ?? 1, env: o.env ?? {}, report }));
    }
    return new AppRun(report, load, res);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

class AppRun {
  constructor(report, load, cli) {
    this.report = report;
    this.load = load;
    this.cli = cli;
  }

  findings(kind) {
    return this.report.findings.filter((f) => kind === undefined || f.kind === kind);
  }

  nPlusOne() {
    return this.findings('n-plus-one');
  }

  /** Findings whose location is `file:line`. */
  findingsAt(file, line, kind) {
    return this.findings(kind).filter((f) => f.location && f.location.file === file && f.location.line === line);
  }

  /** One line per finding, for assertion messages. */
  describe() {
    return this.report.findings
      .map((f) => `${f.kind} ${f.location ? `${path.basename(f.location.file)}:${f.location.line}` : 'no line'} ${f.message}`)
      .join('\n');
  }
}

/** "8 concurrent clients" / "1 concurrent client", as the describe() names say it. */
function concurrentClients(n) {
  return `${n} concurrent client${n > 1 ? 's' : ''}`;
}

/** The DB_* variables the fixture apps connect with, for a started MariaDB or PostgreSQL. */
function dbEnv(db) {
  return { DB_HOST: db.host, DB_PORT: String(db.port), DB_USER: db.user, DB_PASSWORD: db.password, DB_NAME: db.database };
}

/** An `authorization` value (`Token <jwt>`) for each of `usernames`, whose ids are 1, 2, … in order. */
function signedTokens(usernames, secret) {
  return usernames.map((username, i) => `Token ${jwt.sign({ id: i + 1, username }, secret, { expiresIn: '1h' })}`);
}

/**
 * `times` rounds of every route ({ method, path, body? }), interleaved so that concurrent requests
 * are of different routes, the signed-in user rotating over `tokens` (so no route always has one user).
 */
function roundsOfRoutes(routes, times, tokens) {
  const requests = [];
  for (let i = 0; i < times; i++) {
    routes.forEach((r, j) => {
      requests.push({
        method: r.method,
        path: r.path,
        headers: { authorization: tokens[(i + j) % tokens.length] },
        ...(r.body ? { body: r.body } : {}),
      });
    });
  }
  return requests;
}

/** Compiles `app` with tsc -p `tsconfig` into a fresh `outDir` (no stale .js of a removed .ts). */
async function compileTypeScript(app, tsconfig, outDir) {
  fs.rmSync(path.join(app, outDir), { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(app, tsconfig)], { cwd: app }).catch((err) => {
    throw new Error(`tsc -p ${tsconfig} failed:\n${err.stdout}\n${err.stderr}`);
  });
}

/** Keeps a run's report and CLI output in `dir` as report-NAME.json and cli-NAME.txt, to look at them. */
function saveRun(dir, name, run) {
  fs.writeFileSync(path.join(dir, `report-${name}.json`), JSON.stringify(run.report, null, 2));
  fs.writeFileSync(path.join(dir, `cli-${name}.txt`), `${run.cli.stdout}\n--- stderr\n${run.cli.stderr}`);
}

module.exports = {
  profileApp, lineMarkers, lineOf, markerAt, AppRun,
  concurrentClients, dbEnv, signedTokens, roundsOfRoutes, compileTypeScript, saveRun,
};
