'use strict';
// The real `vsce package` on a copy of the project's manifest, .vscodeignore, media and built
// bundles, checked by scripts/package-check.js: what ships, and that the check catches a
// missing bundle and an oversized package.
const { ROOT, DIST } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const CHECK = path.join(ROOT, 'scripts', 'package-check.js');

/** A project copy with decoys that must stay out of the .vsix; `change` alters it first. */
function packageCopy(t, change = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-vsix-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['package.json', '.vscodeignore', 'LICENSE']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.cpSync(path.join(ROOT, 'media'), path.join(dir, 'media'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const f of ['extension.js', 'agent.js', 'webview.js']) fs.copyFileSync(path.join(DIST, f), path.join(dir, 'dist', f));
  fs.writeFileSync(path.join(dir, 'dist', 'extension.js.map'), '{}');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'extension.ts'), 'export {};');
  fs.mkdirSync(path.join(dir, 'node_modules', 'ws'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'ws', 'index.js'), '');
  change(dir);
  execFileSync(process.execPath, [VSCE, 'package', '--no-dependencies', '-o', 'perf-lens.vsix'], { cwd: dir, stdio: 'pipe' });
  const res = spawnSync(process.execPath, [CHECK, 'perf-lens.vsix'], { cwd: dir, encoding: 'utf8' });
  return { status: res.status, out: res.stdout + res.stderr };
}

test('the .vsix holds the three bundles, media, manifest and licence, and nothing else', (t) => {
  const { status, out } = packageCopy(t);
  assert.equal(status, 0, out);
  for (const f of ['extension/dist/extension.js', 'extension/dist/agent.js', 'extension/dist/webview.js', 'extension/media/icon.png', 'extension/media/perf-lens.svg', 'extension/package.json']) {
    assert.ok(out.includes(f), `${f} listed:\n${out}`);
  }
  assert.doesNotMatch(out, /\.map|src\/|node_modules/);
  assert.match(out, /package-check: ok/);
});

test('package-check fails when a bundle is missing', (t) => {
  const { status, out } = packageCopy(t, (dir) => fs.rmSync(path.join(dir, 'dist', 'agent.js')));
  assert.equal(status, 1);
  assert.match(out, /missing extension\/dist\/agent\.js/);
});

test('package-check fails when the .vsix is over 2 MB', (t) => {
  const noise = require('node:crypto').randomBytes(2.5 * 1024 * 1024);
  const { status, out } = packageCopy(t, (dir) => fs.writeFileSync(path.join(dir, 'media', 'noise.bin'), noise));
  assert.equal(status, 1);
  assert.match(out, /over the 2048\.0 KB limit/);
});
