'use strict';
// The layering check (npm run lint:layers): dependency-cruiser with rules read from the layer
// table of docs/architecture.md. On the real tree it passes; on a small tree with an upward
// import, a cycle and a folder missing from the table it fails and names each.
const { ROOT } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd, env = {}) {
  const res = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'], {
    cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000,
  });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

function write(dir, files) {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

test('the source tree keeps its layers: no upward import, no cycle, every folder in the table', () => {
  const { status, out } = cruise(ROOT);
  assert.equal(status, 0, out);
  assert.match(out, /no dependency violations found/);
});

test('an upward import, a cycle and an unlisted folder each fail the check, named', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-layers-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  write(dir, {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
    // session (layer 3) reaching up into leaks (layer 5)
    'src/core/session/session.ts': "import { leakOf } from '../leaks/leak';\nexport const s = leakOf;\n",
    'src/core/leaks/leak.ts': 'export const leakOf = 1;\n',
    // a cycle inside one folder
    'src/core/heap/diff.ts': "import { f } from './format';\nexport const d = f;\n",
    'src/core/heap/format.ts': "import { d } from './diff';\nexport const f = () => d;\n",
    // a folder the table does not know
    'src/core/misc/thing.ts': "import { leakOf } from '../leaks/leak';\nexport const x = leakOf;\n",
  });
  const { status, out } = cruise(dir, { PERF_LENS_LAYERS: path.join(ROOT, 'docs', 'architecture.md') });
  assert.notEqual(status, 0, out);
  assert.match(out, /layer-src\/core\/session\/: src\/core\/session\/session\.ts → src\/core\/leaks\/leak\.ts/);
  assert.match(out, /no-circular: src\/core\/heap\/(diff|format)\.ts/);
  assert.match(out, /not-in-layer-table: src\/core\/misc\/thing\.ts/);
});
