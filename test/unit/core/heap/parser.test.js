'use strict';
// The streaming snapshot parser, dominators and retainer paths on hand-made snapshots: the
// same graph whatever the chunking, one-sentence errors for truncated and corrupt input.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { buildSnapshot } = require('../../../fixtures/heap/tiny-snapshot');

const core = require(CORE);
const { SnapshotReader, HeapGraph, HeapSnapshotError, computeDominators, shortestPaths, retainerPath, formatRetainerPath, constructorStats } = core;

// root(0) → (GC roots)(1) → global(2) ─'cache'→ Map(3) ─'table'→ Array(4) ─[0]→ Session(5) → 'name' string(6)
//   global ─'other'→ Holder(7) ─'s'→ Session(5)        (5 has two retainers: not dominated by 4)
//   Holder ─weak→ Ghost(8)                              (only weakly held: unreachable)
//   Session ─'buf'→ Blob(9)                             (dominated by Session)
const STRINGS_WITH_ESCAPES = ['quote " and \\ backslash', 'line\nbreak\ttab', 'é ü 中文 😀', '\u0001 control'];
function tinyGraphText() {
  return buildSnapshot(
    [
      { type: 'synthetic', name: '', id: 1, edges: [{ type: 'element', name: 1, to: 1 }] },
      { type: 'synthetic', name: '(GC roots)', id: 3, edges: [{ type: 'element', name: 1, to: 2 }] },
      { type: 'object', name: 'global', id: 5, size: 100, edges: [{ type: 'property', name: 'cache', to: 3 }, { type: 'property', name: 'other', to: 7 }] },
      { type: 'object', name: 'Map', id: 7, size: 40, edges: [{ type: 'internal', name: 'table', to: 4 }] },
      { type: 'object', name: 'Array', id: 9, size: 16, edges: [{ type: 'element', name: 0, to: 5 }] },
      { type: 'object', name: 'Session', id: 11, size: 64, edges: [{ type: 'property', name: 'name', to: 6 }, { type: 'property', name: 'buf', to: 9 }] },
      { type: 'string', name: STRINGS_WITH_ESCAPES[0], id: 13, size: 24 },
      { type: 'object', name: 'Holder', id: 15, size: 32, edges: [{ type: 'property', name: 's', to: 5 }, { type: 'weak', name: 'w', to: 8 }] },
      { type: 'object', name: 'Ghost', id: 17, size: 1000 },
      { type: 'native', name: 'Blob', id: 19, size: 4096 },
    ],
    { extraStrings: STRINGS_WITH_ESCAPES.slice(1), locations: [{ node: 5, scriptId: 42, line: 9, column: 4 }] },
  );
}

function parse(text, chunkSizes) {
  const buf = Buffer.from(text, 'utf8');
  const reader = new SnapshotReader(buf.length);
  let i = 0;
  let k = 0;
  while (i < buf.length) {
    const size = chunkSizes[k++ % chunkSizes.length];
    // A fresh copy per chunk, then overwritten: the reader must not keep references to it.
    const chunk = Buffer.from(buf.subarray(i, i + size));
    reader.push(chunk);
    chunk.fill(0x7b);
    i += size;
  }
  return new HeapGraph(reader.end());
}

function summary(g) {
  const d = g.data;
  const strings = Array.from({ length: g.strings.count }, (_, i) => g.strings.get(i));
  return {
    nodeCount: g.nodeCount, edgeCount: g.edgeCount, strings,
    nodes: Array.from({ length: g.nodeCount }, (_, i) => [g.nodeTypeName(i), g.nodeName(i), d.nodeId[i], d.selfSize[i], d.firstEdge[i + 1] - d.firstEdge[i]]),
    edges: Array.from({ length: g.edgeCount }, (_, e) => [g.edgeTypeName(e), g.edgeLabel(e), d.edgeTo[e]]),
    locations: Array.from(d.locations),
  };
}

test('the graph is the same for every chunking, strings with escapes split anywhere', () => {
  const text = tinyGraphText();
  const whole = summary(parse(text, [1 << 20]));
  const json = JSON.parse(text);
  assert.deepEqual(whole.strings, json.strings);
  assert.equal(whole.nodeCount, 10);
  assert.equal(whole.edgeCount, 10);
  assert.deepEqual(whole.nodes[5], ['object', 'Session', 11, 64, 2]);
  assert.deepEqual(whole.edges[3], ['property', 'other', 7]);
  assert.deepEqual(whole.locations, [5, 42, 9, 4]);
  for (const sizes of [[1], [2], [3], [5], [7], [13], [1, 64, 3, 17]]) {
    assert.deepEqual(summary(parse(text, sizes)), whole, `chunk sizes ${sizes}`);
  }
});

test('dominators, retained sizes and retainer paths skip weak edges', () => {
  const g = parse(tinyGraphText(), [4096]);
  const tree = computeDominators(g);
  assert.equal(tree.idom[5], 2, 'Session is held by two paths, so global dominates it');
  assert.equal(tree.idom[9], 5, 'Blob is only reachable through Session');
  assert.equal(tree.retained[5], 64 + 24 + 4096);
  assert.equal(tree.retained[3], 40 + 16, 'Map retains its table but not the shared Session');
  assert.equal(tree.retained[2], 100 + 40 + 16 + 64 + 24 + 4096 + 32);
  assert.equal(tree.idom[8], 0xffffffff, 'a weakly held object is unreachable');
  const paths = shortestPaths(g);
  assert.equal(formatRetainerPath(retainerPath(g, paths, 9)), "(GC roots) → global [1] → Holder 'other' → Session 's' → Blob 'buf'");
  assert.equal(formatRetainerPath(retainerPath(g, paths, 8)), '(unreachable)');
  const stats = constructorStats(g);
  assert.deepEqual(stats[0], { type: 'native', name: 'Blob', count: 1, selfSize: 4096 });
});

test('truncated input is an error at every cut, never a hang or a crash', () => {
  const text = tinyGraphText();
  const buf = Buffer.from(text);
  for (let cut = 0; cut < buf.length - 1; cut += 7) {
    const reader = new SnapshotReader();
    assert.throws(
      () => {
        reader.push(buf.subarray(0, cut));
        reader.end();
      },
      (err) => err instanceof HeapSnapshotError && /truncated|does not start|not valid/.test(err.message),
      `cut at ${cut}`,
    );
  }
});

test('corrupt input names what is wrong', () => {
  const text = tinyGraphText();
  const cases = [
    [text.replace('"nodes":[', '"nodes":[x'), /unexpected "x" at byte \d+ inside the "nodes" array/],
    [text.replace('"node_count":10', '"node_count":11'), /declares 11 nodes but the "nodes" array holds 10/],
    [text.replace(/"edges":\[\d+,\d+,\d+/, '"edges":[1,1,999'), /points to 999, which is not a node/],
    [text.replace('"nodes":[', '"nodes":[1.5,'), /unexpected "\." /],
    ['[1,2,3]', /does not start with a JSON object/],
    ['{"nodes":[1,2]}', /comes before the "snapshot" header/],
    [text.replace('"strings":["', '"strings":[5,"'), /unexpected "5" .* "strings" array/],
  ];
  for (const [bad, re] of cases) {
    const reader = new SnapshotReader();
    assert.throws(() => {
      reader.push(Buffer.from(bad));
      reader.end();
    }, (err) => err instanceof HeapSnapshotError && re.test(err.message), String(re));
  }
});

test('a node over 4 GiB keeps its exact self size, and trace ids and detachedness are kept when present', () => {
  const big = 5 * 2 ** 30 + 7;
  const nodes = (extra) => [
    { type: 'synthetic', name: '', id: 1, edges: [{ type: 'element', name: 1, to: 1 }, { type: 'element', name: 2, to: 2 }] },
    { type: 'object', name: 'Small', id: 3, size: 48, ...extra[0] },
    { type: 'native', name: 'Huge', id: 5, size: big, edges: [{ type: 'internal', name: 'next', to: 3 }], ...extra[1] },
    { type: 'object', name: 'After', id: 7, size: 4294967295 },
  ];
  const g = parse(buildSnapshot(nodes([{}, {}])), [5]);
  assert.deepEqual(Array.from(g.data.selfSize), [0, 48, big, 4294967295]);
  assert.deepEqual(constructorStats(g)[0], { type: 'native', name: 'Huge', count: 1, selfSize: big });
  assert.equal(computeDominators(g).retained[0], 48 + big + 4294967295);
  assert.equal(g.data.traceNodeId[1] ?? 0, 0);
  assert.equal(g.data.detachedness?.[2] ?? 0, 0);

  const tracked = parse(buildSnapshot(nodes([{ traceNodeId: 9 }, { detachedness: 2 }])), [3]);
  assert.deepEqual(Array.from(tracked.data.traceNodeId), [0, 9, 0, 0]);
  assert.deepEqual(Array.from(tracked.data.detachedness), [0, 0, 2, 0]);
});
