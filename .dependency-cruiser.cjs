// The layering check: rules generated from the layer table in docs/architecture.md, so the
// document and the check cannot drift apart. A module may import only from its own folder or
// from a folder of a lower layer; cycles are forbidden; every source file must sit in a row.
const fs = require('node:fs');
const path = require('node:path');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readLayerTable(file) {
  const rows = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|/.exec(line);
    if (m) rows.push({ path: m[1], layer: Number(m[2]), pattern: m[1].endsWith('/') ? `^${escape(m[1])}` : `^${escape(m[1])}$` });
  }
  if (rows.length === 0) throw new Error(`No layer table found in ${file}.`);
  return rows;
}

const rows = readLayerTable(process.env.PERF_LENS_LAYERS || path.join(__dirname, 'docs', 'architecture.md'));

const layerRules = rows.map((row) => {
  const notBelow = rows.filter((other) => other !== row && other.layer >= row.layer);
  return {
    name: `layer-${row.path}`,
    comment: `${row.path} (layer ${row.layer}) imports only from lower layers`,
    severity: 'error',
    from: { path: row.pattern },
    to: { path: notBelow.map((o) => o.pattern) },
  };
}).filter((r) => r.to.path.length > 0);

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles', from: {}, to: { circular: true } },
    {
      name: 'not-in-layer-table',
      severity: 'error',
      comment: 'every source folder has a row in docs/architecture.md',
      from: { path: '^(src|webview-ui)/', pathNot: rows.map((r) => r.pattern) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
