// The retaining line of a leak: given source text and the function V8's sampling heap profiler
// names (its position: the parameter list, 1-based), the statement that stores what the
// function allocates somewhere long-lived. Real snippets for each leak kind, inner arrows,
// methods, braces in strings/comments/regexes, TypeScript, negatives; and, end to end, a tsc
// build with a .map profiled by the real V8 profiler, mapped back to the .ts storing line.
const { ROOT, CORE } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { findRetainingLine, Session, SourceMapper, detectLeaks } = require(CORE);

/** 1-based line of the line whose trailing comment names `marker` (`// FN STORE`). */
function lineOf(src, marker) {
  const i = src.split('\n').findIndex((l) => new RegExp(`//.*\\b${marker}\\b`).test(l));
  assert.ok(i >= 0, `marker ${marker}`);
  return i + 1;
}

/** Where V8 puts a function: the line marked `// FN`, at `head` (its parameter list). */
function fnAt(src, head = '(', marker = 'FN') {
  const line = lineOf(src, marker);
  const column = src.split('\n')[line - 1].indexOf(head) + 1;
  assert.ok(column > 0, `${head} on line ${line}`);
  return [line, column];
}

/** The retaining line found for the `// FN` function must be the `// STORE` line. */
function expectStore(src, statement, head) {
  const [line, column] = fnAt(src, head);
  const r = findRetainingLine(src, line, column);
  assert.ok(r, `no retaining line for:\n${src}`);
  assert.equal(r.line, lineOf(src, 'STORE'), JSON.stringify(r));
  assert.equal(r.statement, statement);
  assert.equal(r.allocatedIn.line, line);
  return r;
}

test('an unbounded Map cache: the .set line, not the function line', () => {
  const src = `const http = require('node:http');
const cache = new Map();
let n = 0;
function handle(req, res) { // FN
  n++;
  const key = \`\${req.url}#\${n}\`;
  cache.set(key, { at: Date.now(), rows: new Array(512).fill(n) }); // STORE
  const body = JSON.stringify({ n, items: new Array(32).fill('item') });
  res.end(body);
}
http.createServer(handle).listen(0);
`;
  expectStore(src, 'cache.set(…)');
  // Two module-level stores: the one keeping what this function allocates, not the caller's string.
  const two = `const urls = [];
const cache = new Map();
function handle(req) { // FN
  urls.push(req.url);
  cache.set(req.url, { rows: new Array(512).fill(0) }); // STORE
}`;
  expectStore(two, 'cache.set(…)');
});

test('a listener added per request on a module-level emitter (and on process)', () => {
  const src = `const bus = new (require('node:events').EventEmitter)();
function handle(req, res) { // FN
  const view = { url: req.url, rows: new Array(512).fill(1) };
  req.on('data', () => view.rows.length);
  bus.on('config-changed', () => view.rows.length); // STORE
  res.end('ok');
}`;
  expectStore(src, 'bus.on(…)');
  const onProcess = `function track(job) { // FN
  const state = { job, log: [] };
  process.once('beforeExit', () => state.log.push('x')); // STORE
}`;
  expectStore(onProcess, 'process.once(…)');
});

test('closures pushed to a module-level array; a local array that is built and returned is not it', () => {
  const src = `const pending = [];
function handle(req, res) { // FN
  const out = [];
  const snapshot = new Array(512).fill(req.url.length);
  out.push(snapshot.length);
  pending.push(() => snapshot.length); // STORE
  res.end(JSON.stringify(out));
}`;
  expectStore(src, 'pending.push(…)');
  const local = `function rows(n) { // FN
  const out = [];
  for (let i = 0; i < n; i++) out.push({ id: i, name: 'row' + i });
  const byId = new Map();
  byId.set(1, out[0]);
  return out;
}`;
  assert.equal(findRetainingLine(local, ...fnAt(local)), null, 'the function line is kept');
});

test('an interval never cleared is the line; one whose handle is cleared or returned is not', () => {
  const src = `function handle(req, res) { // FN
  const state = { url: req.url, history: new Array(512).fill(0) };
  setInterval(() => state.history.push(Date.now()), 3_600_000); // STORE
  res.end('ok');
}`;
  expectStore(src, 'setInterval(…)');
  const kept = `let timer;
function poll(req) { // FN
  const state = { history: new Array(512).fill(0) };
  const t = setInterval(() => state.history.push(1), 1000); // STORE
  res.end(String(t));
}`;
  expectStore(kept, 'setInterval(…)');
  const cleared = `function poll(req) { // FN
  const state = { history: new Array(512).fill(0) };
  const t = setInterval(() => { state.history.push(1); if (state.history.length > 600) clearInterval(t); }, 1000);
}`;
  assert.equal(findRetainingLine(cleared, ...fnAt(cleared)), null);
  const returned = `function every(ms, fn) { // FN
  const ctx = { fn, calls: [] };
  return setInterval(() => ctx.calls.push(ctx.fn()), ms);
}`;
  assert.equal(findRetainingLine(returned, ...fnAt(returned)), null);
});

test('a growing array inside a long-lived object: in a method, and through a same-file call', () => {
  const src = `class AuditLog {
  constructor() {
    this.entries = [];
  }
  record(entry) {
    this.entries.push(entry); // VIA
  }
}
const audit = new AuditLog();
function handle(req, res) { // FN
  audit.record({ url: req.url, details: new Array(512).fill(7) }); // STORE
  res.end(JSON.stringify({ logged: audit.entries.length }));
}`;
  const r = expectStore(src, 'audit.record(…)');
  assert.deepEqual(r.via, { line: lineOf(src, 'VIA'), column: 5, statement: 'this.entries.push(…)', functionName: 'record' });
  // The same call on an object made inside the function keeps nothing past the call.
  const localLog = src.replace('audit.record({', 'const mine = new AuditLog(); mine.record({');
  assert.equal(findRetainingLine(localLog, ...fnAt(localLog)), null);
  // A method that allocates and stores into its own object: V8 places it at `(`.
  const method = `class Registry {
  constructor() { this.byId = {}; }
  register(id, data) { // FN
    const entry = { id, data, at: Date.now() };
    this.byId[id] = entry; // STORE
    return entry;
  }
}`;
  expectStore(method, 'this.byId[…] = …');
});

test('an inner arrow walks out to the statement of the enclosing function that stores it', () => {
  // demo/app.js: samples land on the Array.from callback; sessions.set on the same line keeps them.
  const src = `const sessions = new Map();
function createSession(req) {
  const id = crypto.randomUUID();
  const agent = req.headers['user-agent'] || '';
  sessions.set(id, { id, history: Array.from({ length: 250 }, (_, i) => ({ path: \`/posts/\${i % 50}\`, at: Date.now(), agent })) }); // FN STORE
  return id;
}`;
  const r = expectStore(src, 'sessions.set(…)', '(_, i)');
  assert.equal(r.functionName, 'createSession');
  assert.equal(r.allocatedIn.name, '');
  // Through a variable: the statement that holds the arrow assigns rows; a later line stores rows.
  const flow = `const cache = new Map();
function load(key, items) {
  const rows = items
    .filter((x) => x.ok)
    .map((x) => ({ ...x, seen: Date.now() })); // FN
  log.debug(rows.length);
  cache.set(key, rows); // STORE
  return rows.length;
}`;
  expectStore(flow, 'cache.set(…)', '(x) => ({');
  // An arrow whose enclosing function stores something unrelated is not guessed at.
  const unrelated = `const seen = [];
function handle(req) {
  seen.push(req.url);
  return req.items.map((x) => ({ ...x, big: new Array(100) })); // FN
}`;
  assert.equal(findRetainingLine(unrelated, ...fnAt(unrelated, '(x)')), null);
});

test('object-literal methods, getters, async arrows and single-parameter arrows', () => {
  const obj = `const store = { items: [] };
const api = {
  async save(doc) { // FN
    const copy = { ...doc, savedAt: Date.now() };
    store.items.push(copy); // STORE
  },
};`;
  expectStore(obj, 'store.items.push(…)');
  const asyncArrow = `const seen = new Set();
const visit = async (node) => { // FN
  const key = node.id + ':' + node.kind;
  seen.add({ key, node }); // STORE
};`;
  expectStore(asyncArrow, 'seen.add(…)', 'async');
  const single = `const log = [];
items.forEach(item => log.push({ item, at: Date.now() })); // FN STORE`;
  expectStore(single, 'log.push(…)', 'item =>');
});

test('braces in strings, template literals, comments and regex literals do not move the function end', () => {
  const src = `const registry = [];
const other = [];
function handle(req) { // FN
  const a = '{'; const b = "}}";
  const c = \`\${req.url}}{\${'}'}\`; // } still a comment {
  /* a block comment with } and { */
  const d = /[}{]+\\/}/g.test(req.url) ? 1 : 2 / 3;
  registry.push({ a, b, c, d }); // STORE
}
function later() {
  other.push(new Array(10));
}`;
  expectStore(src, 'registry.push(…)');
  // If the scanner miscounted, later()'s push would be read as handle()'s or handle() would end early.
  const r = findRetainingLine(src, lineOf(src, 'FN') + 7, 15);
  assert.equal(r.statement, 'other.push(…)');
});

test('TypeScript: annotations, generics, modifiers, non-null and return types', () => {
  const src = `import type { Request, Response } from 'express';
interface Entry { at: number; rows: number[] }
const cache = new Map<string, Array<{ at: number }>>();
export class Tracker<T extends object> {
  private readonly seen: Map<string, T> = new Map();
  constructor(private readonly limit: number = 10) {}
  track(id: string, value: T): { id: string } { // FN
    const wrapped = { ...value, at: Date.now() } as T;
    this.seen!.set(id, wrapped); // STORE
    return { id };
  }
}
export const handle = async (req: Request, res: Response): Promise<void> => { // FN2
  const entry: Entry = { at: Date.now(), rows: new Array<number>(512).fill(1) };
  cache.set(req.url, [entry]); // STORE2
  res.end();
};`;
  expectStore(src, 'this.seen.set(…)');
  const line = lineOf(src, 'FN2');
  const r = findRetainingLine(src, line, src.split('\n')[line - 1].indexOf('async') + 1);
  assert.equal(r.line, lineOf(src, 'STORE2'));
  assert.equal(r.statement, 'cache.set(…)');
});

test('negatives: locals, parameters reassigned, console and res calls keep the function line', () => {
  const src = `function render(req, res, opts) { // FN
  opts = opts || {};
  const headers = new Map();
  headers.set('x-id', req.id);
  const parts = [];
  parts.push('<html>');
  console.log({ url: req.url });
  res.end(parts.join(''));
}`;
  assert.equal(findRetainingLine(src, ...fnAt(src)), null);
  // Outside any function, or beyond the text: nothing to say.
  assert.equal(findRetainingLine('const x = [];\nx.push(1);\n', 2, 1), null);
  assert.equal(findRetainingLine('', 5, 3), null);
});

test('a column off the parameter list still finds the function on that line', () => {
  const src = `const cache = new Map();
function handle(req, res) { // FN
  cache.set(req.url, { body: new Array(100) }); // STORE
}`;
  const [line] = fnAt(src);
  assert.equal(findRetainingLine(src, line, 1).line, lineOf(src, 'STORE'));
});

/**
 * End to end through a source map: a .ts file compiled by tsc (with .js.map), run under the
 * real sampling heap profiler in a child process; its profile's frame (generated JS) goes
 * into a Session with the SourceMapper, and the leak lands on the .ts storing line.
 */
test('tsc output with a .map: the retaining line is found in the JS and mapped to the .ts line', () => {
  const ts = require(path.join(ROOT, 'node_modules', 'typescript'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-retain-'));
  try {
    const tsSource = `// A TypeScript module whose cache grows on every call; its types take lines the JS lacks.
interface Row {
  id: number;
  tags: string[];
}
type Cache = Map<
  string,
  { rows: Row[]; at: number }
>;
const cache: Cache = new Map();

export function remember(key: string, n: number): number { // FN
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) rows.push({ id: i, tags: [\`t\${i}\`, 'x'] });
  cache.set(key, { rows, at: Date.now() }); // STORE
  return cache.size;
}
`;
    fs.writeFileSync(path.join(dir, 'cache.ts'), tsSource);
    // tsc's emitter, as `tsc --sourceMap` writes it: cache.js with its comment, and cache.js.map
    const out = ts.transpileModule(tsSource, { fileName: 'cache.ts', compilerOptions: { sourceMap: true, target: ts.ScriptTarget.ES2019, module: ts.ModuleKind.CommonJS } });
    const js = path.join(dir, 'cache.js');
    fs.writeFileSync(js, out.outputText);
    fs.writeFileSync(`${js}.map`, out.sourceMapText);
    assert.match(out.outputText, /sourceMappingURL=cache\.js\.map/);
    const jsStore = out.outputText.split('\n').findIndex((l) => l.includes('cache.set(')) + 1;
    assert.notEqual(jsStore, lineOf(tsSource, 'STORE'), 'the test needs the lines to differ');
    // The real profiler, in a child, names the allocating function in the generated file.
    const probe = `
      const inspector = require('node:inspector');
      const s = new inspector.Session(); s.connect();
      const post = (m, p) => new Promise((ok, no) => s.post(m, p || {}, (e, r) => (e ? no(e) : ok(r))));
      (async () => {
        await post('HeapProfiler.startSampling', { samplingInterval: 4096 });
        const { remember } = require(${JSON.stringify(js)});
        for (let i = 0; i < 300; i++) remember('k' + i, 40);
        const { profile } = await post('HeapProfiler.getSamplingProfile');
        const found = [];
        const walk = (n) => { if (n.callFrame.url.endsWith('cache.js') && n.selfSize > 0) found.push(n.callFrame); n.children.forEach(walk); };
        walk(profile.head);
        process.stdout.write(JSON.stringify(found));
      })();`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    const frames = JSON.parse(run.stdout);
    const frame = frames.find((f) => f.functionName === 'remember');
    assert.ok(frame, run.stdout);
    const T0 = 1_700_000_000_000;
    const mapper = new SourceMapper();
    const session = new Session(77, undefined, (loc) => mapper.map(loc));
    session.ingest({ type: 'hello', pid: 77, t: T0, protocol: 1, nodeVersion: process.version, argv: ['node', js], cwd: dir, startedAt: T0, heapLimit: 4096 * 1024 * 1024 });
    const MB = 1024 * 1024;
    for (let t = 10; t <= 120; t += 10) {
      const bytes = Math.round((t / 60) * 2 * MB);
      session.ingest({ type: 'gc', pid: 77, t: T0 + t * 1000 - 500, kind: 'major', durationMs: 3, heapUsedAfter: 30 * MB + bytes });
      session.ingest({ type: 'heapSites', pid: 77, t: T0 + t * 1000, intervalBytes: 131072, totalBytes: bytes, sites: [
        { name: 'remember', url: js, line: frame.lineNumber + 1, column: frame.columnNumber + 1, bytes, count: Math.round(bytes / 131072) },
      ] });
    }
    const leaks = detectLeaks(session, {}).filter((f) => f.kind === 'leak');
    assert.equal(leaks.length, 1, JSON.stringify(leaks));
    const tsFile = path.join(dir, 'cache.ts');
    assert.deepEqual([leaks[0].location.file, leaks[0].location.line], [tsFile, lineOf(tsSource, 'STORE')]);
    assert.equal(leaks[0].data.functionLine, lineOf(tsSource, 'FN'));
    assert.equal(leaks[0].data.retainedBy, 'cache.set(…)');
    assert.deepEqual(leaks[0].related[0], { message: `allocated in function remember() at line ${lineOf(tsSource, 'FN')}`, location: leaks[0].related[0].location });
    assert.equal(leaks[0].related[0].location.file, tsFile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
