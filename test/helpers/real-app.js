'use strict';
// Profiles a multi-module app under the real CLI (`perf-lens run --load`), driven by concurrent
// keep-alive clients, and returns the JSON report with helpers to read its findings.
//   const run = await profileApp({ entry, env, concurrency: 8, requests: [{ path: '/api/x', times: 20 }] });
//   run.nPlusOne() ; run.findingsAt(file, line) ; run.scopeNames()
const { CLI } = require('./build');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
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
    REAL_APP_PLAN: JSON.stringify({ concurrency: o.concurrency ?? 1, requests: o.requests }),
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

module.exports = { profileApp, lineMarkers, lineOf, AppRun };
