#!/usr/bin/env node
// Checks a packaged .vsix (default ./perf-lens.vsix) after `vsce package`: lists its files and
// size, and fails when it is over 2 MB, misses a file the extension needs, carries files it
// should not (sources, source maps, node_modules), or when a bundle requires a module that is
// not in the .vsix (it is packaged with --no-dependencies, so only Node built-ins, `vscode`
// and the optional speed-ups of `ws`, which it loads in a try, may stay external).
// Usage: node scripts/package-check.js [file.vsix]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { builtinModules } = require('node:module');

const MAX_BYTES = 2 * 1024 * 1024;
const REQUIRED = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/agent.js', 'extension/dist/webview.js'];
const FORBIDDEN = [/\.map$/, /\.ts$/, /(^|\/)node_modules\//, /^extension\/(src|test|scripts|bench|demo|webview-ui)\//, /\.vsix$/];
const OPTIONAL_EXTERNALS = new Set(['bufferutil', 'utf-8-validate']);

/** Entries of a zip file from its central directory: name, sizes and the data to inflate. */
function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({
      name,
      size,
      compressed,
      read() {
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const data = buf.subarray(start, start + compressed);
        return method === 0 ? data : zlib.inflateRawSync(data);
      },
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Module names a CommonJS bundle requires with a literal string. */
function requiredModules(code) {
  const names = new Set();
  for (const m of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) names.add(m[1]);
  return [...names];
}

function isBuiltin(name) {
  return name.startsWith('node:') || builtinModules.includes(name) || builtinModules.includes(name.split('/')[0]);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`;
}

function check(file) {
  const problems = [];
  const buf = fs.readFileSync(file);
  const entries = readZip(buf);
  const byName = new Map(entries.map((e) => [e.name, e]));

  console.log(`${path.basename(file)}: ${entries.length} files, ${kb(buf.length)}`);
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    console.log(`  ${e.name.padEnd(44)} ${kb(e.size).padStart(10)}`);
  }

  if (buf.length > MAX_BYTES) problems.push(`the .vsix is ${kb(buf.length)}, over the ${kb(MAX_BYTES)} limit`);

  const manifestEntry = byName.get('extension/package.json');
  const manifest = manifestEntry ? JSON.parse(manifestEntry.read().toString('utf8')) : {};
  const required = new Set(REQUIRED);
  // Every file the manifest points at must be inside.
  const contributes = manifest.contributes || {};
  const referenced = [
    manifest.main,
    manifest.icon,
    ...((contributes.viewsContainers && contributes.viewsContainers.activitybar) || []).map((c) => c.icon),
    ...Object.values(contributes.views || {}).flat().map((v) => v.icon),
  ].filter((f) => typeof f === 'string' && !f.startsWith('$('));
  for (const f of referenced) required.add(`extension/${path.posix.normalize(f)}`);
  if (![...byName.keys()].some((n) => /^extension\/LICENSE(\.txt|\.md)?$/i.test(n))) problems.push('no LICENSE');
  for (const name of required) if (!byName.has(name)) problems.push(`missing ${name}`);

  for (const e of entries) {
    if (FORBIDDEN.some((re) => re.test(e.name))) problems.push(`should not be packaged: ${e.name}`);
  }

  for (const bundle of ['extension/dist/extension.js', 'extension/dist/agent.js']) {
    const e = byName.get(bundle);
    if (!e) continue;
    const shipped = (m) => {
      if (!m.startsWith('.')) return isBuiltin(m) || m === 'vscode' || OPTIONAL_EXTERNALS.has(m);
      const target = path.posix.join(path.posix.dirname(bundle), m);
      return byName.has(target) || byName.has(`${target}.js`);
    };
    for (const m of requiredModules(e.read().toString('utf8'))) {
      if (!shipped(m)) problems.push(`${bundle} requires "${m}", which is not in the .vsix`);
    }
  }

  if (problems.length) {
    for (const p of problems) console.error(`package-check: ${p}`);
    return false;
  }
  console.log(`package-check: ok (${kb(buf.length)} of ${kb(MAX_BYTES)})`);
  return true;
}

if (require.main === module) {
  const file = path.resolve(process.argv[2] || 'perf-lens.vsix');
  if (!fs.existsSync(file)) {
    console.error(`package-check: ${file} not found; run \`npm run package\` first`);
    process.exit(1);
  }
  process.exit(check(file) ? 0 : 1);
}

module.exports = { check, readZip, requiredModules };
