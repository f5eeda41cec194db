// A tsc-built app profiled from the editor shows its .ts lines, as under `perf-lens run`: the
// extension's store maps call sites through the app's source maps (one wiring of server and
// store for both, src/core/session/host.ts).
const { ROOT, AGENT } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const esbuild = require('esbuild');
const { markers } = require('../fixtures/capture/markers');

const TS_APP = path.join(ROOT, 'test', 'fixtures', 'capture', 'ts-app');

test('the extension core maps a tsc-built app\'s query call sites to its .ts lines', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-ext-maps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(TS_APP, 'tsconfig.json'), '--outDir', dir, '--sourceMap']);
  const host = path.join(dir, 'host.js');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test', 'fixtures', 'extension', 'ts-app-host.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: host,
    external: ['bufferutil', 'utf-8-validate', 'libpg-query'],
    logLevel: 'error',
  });
  const out = execFileSync(process.execPath, [host, AGENT, path.join(dir, 'app.js')], {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const { callsites } = JSON.parse(out.trim().split('\n').pop());
  const tsFile = path.join(TS_APP, 'app.ts');
  const lines = markers(tsFile);
  const at = (name) => callsites.filter((c) => c && c.file === tsFile && c.line === lines.get(name)).length;
  assert.equal(at('ts-insert'), 3, JSON.stringify(callsites));
  assert.equal(at('ts-find'), 3, JSON.stringify(callsites));
  assert.ok(callsites.every((c) => c === null || !c.file.endsWith('.js')), `no generated .js call site: ${JSON.stringify(callsites)}`);
});
