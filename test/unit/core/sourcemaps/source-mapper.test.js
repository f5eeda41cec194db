// SourceMapper against real tsc output: external .map files, inline data: maps, files
// without a map, and input that must come back unchanged.
const { ROOT, CORE } = require('../../../helpers/build');
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const root = ROOT;
const { SourceMapper } = require(CORE);

// Interfaces and a type vanish from the JavaScript: every line after them moves up.
const SOURCE = `interface Point {
  x: number;
  y: number;
}

type Pair = [Point, Point];

export function distance([a, b]: Pair): number {
  const dx: number = a.x - b.x;
  const dy: number = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy); // target
}
`;

let dir;

/**
 * Compiles SOURCE with the TypeScript compiler (its API: one load for all cases, where each
 * `tsc` process takes many seconds on a busy machine) into dir/<name>/{src,out}, writing
 * files as tsc does. Returns the .js and .ts paths.
 */
function compile(name, options) {
  const src = path.join(dir, name, 'src');
  const out = path.join(dir, name, 'out');
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(out, { recursive: true });
  const tsFile = path.join(src, 'geometry.ts');
  fs.writeFileSync(tsFile, SOURCE);
  const program = ts.createProgram([tsFile], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    strict: true,
    outDir: out,
    types: [],
    ...options,
  });
  const result = program.emit();
  assert.equal(result.emitSkipped, false);
  return { js: path.join(out, 'geometry.js'), ts: tsFile };
}

/** 1-based line and column of `needle` in `file`. */
function find(file, needle) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return { line: i + 1, column: lines[i].indexOf(needle) + 1 };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-sourcemap-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SourceMapper', () => {
  for (const [variant, flags] of [
    ['external .map', { sourceMap: true }],
    ['inline data: map', { inlineSourceMap: true }],
  ]) {
    it(`maps tsc output back to the .ts line and column (${variant})`, () => {
      const { js, ts } = compile(variant.replace(/\W+/g, '-'), flags);
      const generated = find(js, 'Math.sqrt');
      const original = find(ts, 'Math.sqrt');
      assert.notEqual(generated.line, original.line, 'the fixture must move lines, or the test proves nothing');
      const mapped = new SourceMapper().map({ file: js, ...generated });
      assert.deepEqual(mapped, { file: ts, ...original });
    });
  }

  it('resolves a sourceRoot and a map in another directory', () => {
    const { js, ts } = compile('root', { sourceMap: true, mapRoot: path.join(dir, 'root', 'maps'), sourceRoot: path.join(dir, 'root', 'src') });
    // tsc writes the map next to the .js and points the comment at mapRoot: move it there
    fs.mkdirSync(path.join(dir, 'root', 'maps'), { recursive: true });
    fs.renameSync(`${js}.map`, path.join(dir, 'root', 'maps', 'geometry.js.map'));
    const mapped = new SourceMapper().map({ file: js, ...find(js, 'Math.sqrt') });
    assert.deepEqual(mapped, { file: ts, ...find(ts, 'Math.sqrt') });
  });

  it('leaves locations it cannot map unchanged and never throws', () => {
    const mapper = new SourceMapper();
    const { js } = compile('nomap', {});
    const plain = { file: js, ...find(js, 'Math.sqrt') };
    assert.deepEqual(mapper.map(plain), plain);
    const missing = { file: path.join(dir, 'does-not-exist.js'), line: 3, column: 1 };
    assert.deepEqual(mapper.map(missing), missing);
    const broken = path.join(dir, 'broken.js');
    fs.writeFileSync(broken, 'x();\n//# sourceMappingURL=data:application/json;base64,bm90IGpzb24=\n');
    assert.deepEqual(mapper.map({ file: broken, line: 1, column: 1 }), { file: broken, line: 1, column: 1 });
    assert.doesNotThrow(() => mapper.map(null));
    assert.doesNotThrow(() => mapper.map({ file: 42, line: 'x', column: null }));
  });

  it('keeps the map of a file once read', () => {
    const { js, ts } = compile('cached', { sourceMap: true });
    const mapper = new SourceMapper();
    const at = { file: js, ...find(js, 'Math.sqrt') };
    const first = mapper.map(at);
    fs.rmSync(`${js}.map`);
    assert.deepEqual(mapper.map(at), first);
    assert.equal(first.file, ts);
    mapper.clear();
    assert.deepEqual(mapper.map(at), at);
  });
});
