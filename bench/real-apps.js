#!/usr/bin/env node
// Attribution on the real apps, one build against another: reads the reports that
//   REAL_APP_REPORTS=DIR node --test test/integration/real-apps/
// keeps (run once per build, same tests) and prints, per app run, how many N+1 findings
// have a line, how many of the reference build's findings the other build reproduces exactly
// (same line, same SQL shape, same repeats in the worst request), how many findings it has
// that the reference has not (false or misplaced), and how many of its request names are route
// templates of the reference.
//   node bench/real-apps.js <baseline-dir> <reference-dir>
// The reference is the build whose results the tests assert (they pass on it).
const fs = require('node:fs');
const path = require('node:path');

function load(dir) {
  const runs = new Map();
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort((a, b) => stamp(a) - stamp(b))) {
    const r = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    const app = /real-apps[\\/]([^\\/]+)/.exec(r.entry)?.[1] ?? path.basename(r.entry);
    const key = `${app} c${r.concurrency}`;
    const list = runs.get(key) ?? [];
    list.push(r.report);
    runs.set(key, list);
  }
  return runs;
}
const stamp = (name) => Number(/-(\d+)\.json$/.exec(name)?.[1] ?? 0);

const nPlusOne = (report) => report.findings.filter((f) => f.kind === 'n-plus-one');
const where = (f) => (f.location ? `${path.basename(f.location.file)}:${f.location.line}` : 'no line');
const exactKey = (f) => `${where(f)}\0${f.data.fingerprint}\0${f.data.count}`;
const placeKey = (f) => `${where(f)}\0${f.data.fingerprint}`;

function compare(base, ref) {
  const b = nPlusOne(base);
  const r = nPlusOne(ref);
  const exact = new Set(b.map(exactKey));
  const places = new Set(r.map(placeKey));
  const refRoutes = new Set(Object.keys(ref.figures?.routes ?? {}));
  const baseRoutes = Object.keys(base.figures?.routes ?? {});
  return {
    withLine: `${b.filter((f) => f.location).length}/${b.length}`,
    exact: `${r.filter((f) => exact.has(exactKey(f))).length}/${r.length}`,
    extra: b.filter((f) => !places.has(placeKey(f))).length,
    routes: `${baseRoutes.filter((n) => refRoutes.has(n)).length}/${baseRoutes.length}`,
  };
}

const [baseDir, refDir] = process.argv.slice(2);
if (!baseDir || !refDir) {
  console.error('usage: node bench/real-apps.js <baseline-dir> <reference-dir>');
  process.exit(2);
}
const base = load(baseDir);
const ref = load(refDir);
console.log('| app run | build | N+1 with a line | reference findings with the same line and count | findings not in the reference | request names that are templates |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [key, refs] of ref) {
  const bases = base.get(key) ?? [];
  refs.forEach((report, i) => {
    const label = refs.length > 1 ? `${key} #${i + 1}` : key;
    const rows = [['baseline', bases[i]], ['reference', report]];
    for (const [build, rep] of rows) {
      if (!rep) continue;
      const c = compare(rep, report);
      console.log(`| ${label} | ${build} | ${c.withLine} | ${c.exact} | ${c.extra} | ${c.routes} |`);
    }
  });
}
