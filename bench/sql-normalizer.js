#!/usr/bin/env node
// Does any hostile input make SQL normalising super-linear? For every shape in
// test/fixtures/sql-hostile-shapes.js, the time for n and 8n repetitions, beside the same for a
// linear baseline (String#toLowerCase then a one-pass char count) on the same texts. Growth is
// reported as an exponent: log(t(8n)/t(n)) / log 8 — 1 is linear, 2 quadratic. A tokenizer
// allocates as it goes, and the GC work that brings lands unevenly (the baseline reads 0.7–1.2
// on this VM), so the goal leaves room: the worst shape's exponent ≤ 1.5.
//   node bench/sql-normalizer.js [--quick] [--out bench/results/sql-normalizer.json]
const fs = require('node:fs');
const path = require('node:path');

const core = require(path.join(__dirname, '..', 'dist', 'core.js'));
const { SHAPES } = require('../test/fixtures/sql-hostile-shapes');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : path.join(__dirname, 'results', 'sql-normalizer.json');
const GOAL = 1.5;
const SMALL_CHARS = quick ? 64 * 1024 : 128 * 1024;
const REPS = quick ? 3 : 7;

let unique = 0;
/** Least ns of fn over REPS calls (noise only adds), each on a fresh text so no cache answers. */
function timeOf(fn, text) {
  const ns = [];
  for (let r = 0; r < REPS; r++) {
    const input = `/*${unique++}*/${text}`;
    const t0 = process.hrtime.bigint();
    fn(input);
    ns.push(Number(process.hrtime.bigint() - t0));
  }
  return Math.min(...ns);
}

function baseline(s) {
  const lower = s.toLowerCase();
  let quotes = 0;
  for (let i = 0; i < lower.length; i++) if (lower.charCodeAt(i) === 39) quotes++;
  return quotes;
}

const RUNNERS = {
  'tokenizer (postgres)': (s) => core.normalizeSql(s, 'postgres'),
  'tokenizer (mysql)': (s) => core.normalizeSql(s, 'mysql'),
  'tokenizer (sqlite)': (s) => core.normalizeSql(s, 'sqlite'),
};

const exponent = (small, large) => Math.log(Math.max(large, 1) / Math.max(small, 1)) / Math.log(8);

function main() {
  const rows = [];
  for (const [runner, fn] of Object.entries(RUNNERS)) {
    for (const [shape, unit] of Object.entries(SHAPES)) {
      const n = Math.ceil(SMALL_CHARS / unit.length);
      const small = unit.repeat(n);
      const large = unit.repeat(8 * n);
      fn(small); // warm-up: compile the paths before timing
      baseline(small);
      // Interleaved so drift hits both sides alike.
      const ours = exponent(timeOf(fn, small), timeOf(fn, large));
      const base = exponent(timeOf(baseline, small), timeOf(baseline, large));
      rows.push({ runner, shape, exponent: ours, baselineExponent: base });
      process.stderr.write(`${runner.padEnd(22)} ${shape.padEnd(24)} growth exponent ${ours.toFixed(2)} (baseline ${base.toFixed(2)})\n`);
    }
  }
  const worst = rows.reduce((a, b) => (b.exponent > a.exponent ? b : a));
  console.log(`sql normalizer  worst growth exponent ${worst.exponent.toFixed(2)} (${worst.runner}, ${worst.shape})  linear-scan baseline ${worst.baselineExponent.toFixed(2)}  goal ≤ ${GOAL}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ when: new Date().toISOString(), node: process.version, smallChars: SMALL_CHARS, goal: GOAL, worst, rows }, null, 2) + '\n');
}

main();
