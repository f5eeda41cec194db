// Query capture with better-sqlite3 (no server needed): every Statement method and
// Database.exec, attributed to the app's exact line; and a tsc-compiled TypeScript app whose
// call sites map back to the .ts lines through SourceMapper.
const { ROOT, CORE } = require('../helpers/build');
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, launch, byType, agentPath } = require('../helpers/agent-harness');
const { runFixture, queriesAt } = require('../fixtures/capture/run');
const { markers } = require('../fixtures/capture/markers');

const root = ROOT;
const fixtures = path.join(root, 'test', 'fixtures', 'capture');
const { SourceMapper } = require(CORE);
// better-sqlite3's addon in node_modules is built for the Node that installed it: this one.
const node = process.execPath;

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
});

describe('better-sqlite3 capture', () => {
  let run;
  const file = path.join(fixtures, 'sqlite-app.cjs');
  before(async () => {
    run = await runFixture(srv, node, file);
  });

  it('runs the app unchanged', () => {
    assert.match(run.result.stdout, /expected failure: SQLITE_CONSTRAINT_NOTNULL/);
    assert.match(run.result.stdout, /{"two":"bob","everyone":3,"seen":5}/);
  });

  it('attributes every statement method and exec to its line, with text and params', () => {
    const expect = {
      exec: { count: 1, text: /^CREATE TABLE users/, params: undefined },
      run: { count: 3, text: /^INSERT INTO users \(name\) VALUES \(\?\)$/, params: [['ann'], ['bob'], ['cy']] },
      get: { count: 1, text: /WHERE id = @id$/, params: [['2']] },
      all: { count: 1, text: /ORDER BY id$/, params: undefined },
      iterate: { count: 1, text: /WHERE id > \?$/, params: [['1']] },
      error: { count: 1, text: /^INSERT INTO users/, params: [['null']] },
    };
    for (const [name, want] of Object.entries(expect)) {
      const at = queriesAt(run.queries, file, run.lines.get(name));
      assert.equal(at.length, want.count, `${name}: ${at.length} queries at line ${run.lines.get(name)}`);
      for (const q of at) {
        assert.equal(q.db, 'sqlite');
        assert.match(q.text, want.text);
        assert.equal(q.error, name === 'error', `${name} error flag`);
        assert.ok(q.durationMs >= 0);
        assert.ok(q.scope && typeof q.scope.id === 'string', `${name} has a scope`);
      }
      if (want.params) assert.deepEqual(at.map((q) => q.params), want.params, `${name} params`);
      else assert.ok(at.every((q) => q.params === undefined), `${name} has no params`);
    }
    assert.equal(run.queries.length, 8, 'one message per query, no more');
  });

  it('keeps the app frames below the call site', () => {
    const [get] = queriesAt(run.queries, file, run.lines.get('get'));
    const caller = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('const two = loadUser(2)')) + 1;
    assert.deepEqual(get.stack.map((l) => [l.file, l.line]), [[file, caller]]);
  });
});

describe('a tsc-compiled TypeScript app', () => {
  let dir;
  let run;
  const tsFile = path.join(fixtures, 'ts-app', 'app.ts');
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-ts-app-'));
    const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
    execFileSync(tsc, ['-p', path.join(fixtures, 'ts-app', 'tsconfig.json'), '--outDir', dir, '--sourceMap']);
    // the compiled app lives in a temp dir: NODE_PATH finds better-sqlite3
    run = await runFixture(srv, node, path.join(dir, 'app.js'), { env: { NODE_PATH: path.join(root, 'node_modules') } });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports generated lines that SourceMapper maps to the .ts lines', () => {
    const js = path.join(dir, 'app.js');
    const tsLines = markers(tsFile);
    const jsLines = markers(js);
    assert.match(run.result.stdout, /ada,grace,linus/);
    const mapper = new SourceMapper();
    for (const [name, count] of [['ts-insert', 3], ['ts-find', 3]]) {
      const at = queriesAt(run.queries, js, jsLines.get(name));
      assert.equal(at.length, count, `${name} in the generated file`);
      assert.notEqual(jsLines.get(name), tsLines.get(name), 'generated and original lines differ');
      for (const q of at) {
        const mapped = mapper.map(q.callsite);
        assert.equal(mapped.file, tsFile);
        assert.equal(mapped.line, tsLines.get(name), `${name} maps to its .ts line`);
        const tsColumn = fs.readFileSync(tsFile, 'utf8').split('\n')[mapped.line - 1].indexOf(name === 'ts-find' ? 'get(' : 'run(') + 1;
        assert.equal(mapped.column, tsColumn, `${name} maps to the call's column`);
      }
    }
  });
});

describe('TypeScript compiled in memory by a loader (as tsx does it)', () => {
  it('reports the .ts lines through the source maps Node keeps', async () => {
    const file = path.join(fixtures, 'ts-esm-app.ts');
    const run = await runFixture(srv, node, file, {
      nodeArgs: ['--enable-source-maps', '--import', path.join(fixtures, 'ts-hooks', 'register.mjs')],
    });
    assert.match(run.result.stdout, /Dune,Emma/);
    for (const [name, count] of [['ts-esm-insert', 2], ['ts-esm-select', 2]]) {
      const at = queriesAt(run.queries, file, run.lines.get(name));
      assert.equal(at.length, count, `${name}: ${JSON.stringify(run.queries.map((q) => q.callsite))}`);
    }
    // nothing left for the core to map: the location is already the .ts file's
    const [one] = queriesAt(run.queries, file, run.lines.get('ts-esm-insert'));
    assert.deepEqual(new SourceMapper().map(one.callsite), one.callsite);
  });
});

describe('an agent that arrives after the driver (attach)', () => {
  it('patches the driver already loaded and captures the queries that follow', async () => {
    const file = path.join(fixtures, 'late-agent-app.cjs');
    const env = { AGENT_PATH: agentPath, LATE_URL: srv.url, LATE_TOKEN: srv.token };
    const app = launch(node, file, { env, agent: false });
    const pid = app.child.pid;
    const result = await app.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /{"started":true,"count":2}/);
    await srv.waitFor((ms) => ms.some((m) => m.type === 'bye' && m.pid === pid), 15000, 'bye');
    const queries = byType(srv.messages, 'query', pid);
    const lines = markers(file);
    assert.deepEqual(
      queries.map((q) => [q.text, q.callsite.line, q.params]),
      [
        ['INSERT INTO notes (body) VALUES (?)', lines.get('late-run'), ['after the agent']],
        ['SELECT count(*) AS n FROM notes', lines.get('late-get'), undefined],
      ],
    );
  });
});
