'use strict';
// RingBuffer: fixed capacity, newest kept, evictions counted, time-window reads.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { RingBuffer } = require(CORE);

test('a positive capacity is required', () => {
  for (const bad of [0, -1, NaN, undefined]) {
    assert.throws(() => new RingBuffer(bad), { message: 'A ring buffer needs a positive capacity.' });
  }
});

test('below capacity it keeps everything in order and evicts nothing', () => {
  const rb = new RingBuffer(5);
  assert.equal(rb.length, 0);
  assert.equal(rb.last(), undefined);
  assert.deepEqual(rb.toArray(), []);
  for (const x of [1, 2, 3]) rb.push(x);
  assert.equal(rb.capacity, 5);
  assert.equal(rb.length, 3);
  assert.equal(rb.evicted, 0);
  assert.deepEqual(rb.toArray(), [1, 2, 3]);
  assert.equal(rb.last(), 3);
});

test('past capacity it keeps the newest, oldest first, and counts every eviction', () => {
  const rb = new RingBuffer(4);
  for (let i = 1; i <= 11; i++) {
    rb.push(i);
    const kept = Array.from({ length: Math.min(i, 4) }, (_, k) => i - Math.min(i, 4) + 1 + k);
    assert.deepEqual(rb.toArray(), kept, `after ${i} pushes`);
    assert.equal(rb.length, kept.length);
    assert.equal(rb.evicted, Math.max(0, i - 4));
    assert.equal(rb.last(), i);
  }
});

test('capacity 1 keeps only the last item', () => {
  const rb = new RingBuffer(1);
  for (const x of ['a', 'b', 'c']) rb.push(x);
  assert.deepEqual(rb.toArray(), ['c']);
  assert.equal(rb.evicted, 2);
});

test('a large buffer wraps many times and stays exact', () => {
  const rb = new RingBuffer(1000);
  for (let i = 0; i < 123_457; i++) rb.push(i);
  const arr = rb.toArray();
  assert.equal(arr.length, 1000);
  assert.equal(arr[0], 122_457);
  assert.equal(arr[999], 123_456);
  assert.ok(arr.every((v, i) => i === 0 || v === arr[i - 1] + 1));
  assert.equal(rb.evicted, 122_457);
});

test('toArray is a copy: changing it does not change the buffer', () => {
  const rb = new RingBuffer(3);
  rb.push(1);
  rb.push(2);
  rb.toArray().push(99);
  assert.deepEqual(rb.toArray(), [1, 2]);
});

test('since() returns items at or after a time, oldest first, across the wrap point', () => {
  const rb = new RingBuffer(5);
  const time = (x) => x.t;
  assert.deepEqual(rb.since(0, time), []);
  for (let t = 10; t <= 80; t += 10) rb.push({ t }); // keeps 40..80
  assert.deepEqual(rb.since(0, time).map(time), [40, 50, 60, 70, 80]);
  assert.deepEqual(rb.since(55, time).map(time), [60, 70, 80]);
  assert.deepEqual(rb.since(60, time).map(time), [60, 70, 80], 'the bound is inclusive');
  assert.deepEqual(rb.since(80, time).map(time), [80]);
  assert.deepEqual(rb.since(81, time), []);
  assert.deepEqual(rb.since(-Infinity, time).length, 5);
  // equal times at the boundary are all included
  const same = new RingBuffer(4);
  for (const t of [1, 2, 2, 2]) same.push({ t });
  assert.deepEqual(same.since(2, time).length, 3);
});
