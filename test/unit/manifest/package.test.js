'use strict';
// package.json as VS Code and vsce read it: engines and @types/vscode, categories, activation,
// and every contribution pointing at something that exists.
const { ROOT } = require('../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const contributes = pkg.contributes || {};
const commandIds = new Set((contributes.commands || []).map((c) => c.command));

/** Categories the Marketplace accepts (vsce rejects others). */
const MARKETPLACE_CATEGORIES = new Set([
  'Azure', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters', 'Keymaps',
  'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages', 'SCM Providers',
  'Snippets', 'Testing', 'Themes', 'Visualization', 'AI', 'Chat', 'Data', 'Other',
]);

function version(range) {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(range);
  assert.ok(m, `a version in "${range}"`);
  return m.slice(1).map(Number);
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

test('identity: name, publisher, engines ^1.100.0 or older, and @types/vscode no newer than the engine', () => {
  assert.equal(pkg.name, 'perf-lens');
  assert.match(pkg.publisher, /^[a-z0-9][a-z0-9-]*$/);
  assert.match(pkg.engines.vscode, /^\^\d+\.\d+\.\d+$/);
  const engine = version(pkg.engines.vscode);
  assert.ok(compare(engine, [1, 100, 0]) <= 0, `engines.vscode ${pkg.engines.vscode} is at most ^1.100.0`);
  const typesRange = pkg.devDependencies['@types/vscode'];
  assert.equal(compare(version(typesRange), engine), 0, `@types/vscode ${typesRange} matches engines.vscode ${pkg.engines.vscode}`);
  const installed = require(path.join(ROOT, 'node_modules', '@types', 'vscode', 'package.json')).version;
  assert.ok(compare(version(installed), engine) <= 0, `installed @types/vscode ${installed} is no newer than the engine`);
  assert.equal(pkg.main, './dist/extension.js');
});

test('categories are Marketplace categories', () => {
  assert.ok(pkg.categories.length > 0);
  for (const c of pkg.categories) assert.ok(MARKETPLACE_CATEGORIES.has(c), `category "${c}"`);
});

test('activates only on its own commands and views: no "*" and no onStartupFinished', () => {
  for (const e of pkg.activationEvents || []) {
    assert.match(e, /^(onCommand:perfLens\.|onView:perfLens\.)/, `activation event "${e}"`);
  }
});

test('every command is titled, in the "Perf Lens" category, and declared once', () => {
  const ids = contributes.commands.map((c) => c.command);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate command ids');
  for (const c of contributes.commands) {
    assert.match(c.command, /^perfLens\.[a-zA-Z]+$/);
    assert.equal(c.category, 'Perf Lens', c.command);
    assert.ok(c.title && c.title.length > 3, `${c.command} has a title`);
  }
  for (const required of ['perfLens.launchCurrentFile', 'perfLens.openTerminal', 'perfLens.stop']) {
    assert.ok(commandIds.has(required), `${required} is contributed`);
  }
});

test('menus and welcome links name contributed commands; views sit in a contributed container', () => {
  for (const [where, items] of Object.entries(contributes.menus || {})) {
    for (const item of items) assert.ok(commandIds.has(item.command), `${where} → ${item.command}`);
  }
  const containers = new Set((contributes.viewsContainers?.activitybar || []).map((c) => c.id));
  const viewIds = new Set();
  for (const [container, views] of Object.entries(contributes.views || {})) {
    assert.ok(containers.has(container), `view container "${container}" is contributed`);
    for (const v of views) viewIds.add(v.id);
  }
  for (const w of contributes.viewsWelcome || []) {
    assert.ok(viewIds.has(w.view), `welcome content for ${w.view}`);
    for (const m of w.contents.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commandIds.has(m[1]), `welcome link ${m[1]}`);
  }
});

test('the icon is a PNG of at least 128×128 and the activity bar icon is an SVG, both present', () => {
  const png = fs.readFileSync(path.join(ROOT, pkg.icon));
  assert.deepEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  assert.ok(png.readUInt32BE(16) >= 128 && png.readUInt32BE(20) >= 128, 'at least 128×128');
  for (const c of contributes.viewsContainers.activitybar) {
    assert.match(fs.readFileSync(path.join(ROOT, c.icon), 'utf8'), /<svg[\s>]/, c.icon);
  }
});

test('.vscodeignore is an allowlist that keeps the bundles, media and manifest', () => {
  const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**', 'everything is ignored first');
  for (const keep of ['!package.json', '!dist/extension.js', '!dist/agent.js', '!dist/webview.js', '!media/**', '!LICENSE']) {
    assert.ok(lines.includes(keep), keep);
  }
  assert.ok(!lines.some((l) => /^!.*(\.map|node_modules|src\/)/.test(l)), 'no source maps, sources or node_modules let through');
  assert.equal(pkg.files, undefined, 'no "files" field: vsce refuses it beside .vscodeignore');
});
