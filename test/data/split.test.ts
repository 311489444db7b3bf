import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { splitDataset, splitPairs, subsetDataset, subsetPairs, parseClassList } from '../../packages/contrastive/src/data/split.js';
import type { LabelledDataset, PairDataset } from '../../packages/contrastive/src/data/types.js';

/** `perClass[c]` examples of class c, each a 2-float vector [index, class]. */
function dataset(perClass: number[]): LabelledDataset {
  const labels: number[] = [];
  perClass.forEach((n, c) => labels.push(...new Array(n).fill(c)));
  const x = new Float32Array(labels.length * 2);
  labels.forEach((c, i) => x.set([i, c], 2 * i));
  return { name: 'toy', inputShape: [2], x, labels: Int32Array.from(labels), numClasses: perClass.length, sources: labels.map((_, i) => `toy:${i}`) };
}

function count(labels: Int32Array, numClasses: number): number[] {
  const out = new Array(numClasses).fill(0);
  for (const l of labels) out[l]++;
  return out;
}

test('splitDataset: a partition, stratified per class, deterministic from the seed', () => {
  const ds = dataset([100, 50, 30, 20]);
  const s = splitDataset(ds, { seed: 7, validation: 0.1, test: 0.2 });
  // every example exactly once
  const all = [...s.indices.train, ...s.indices.validation, ...s.indices.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => i));
  // per class: round(n*0.2) test, round(n*0.1) validation
  assert.deepEqual(count(s.test.labels, 4), [20, 10, 6, 4]);
  assert.deepEqual(count(s.validation.labels, 4), [10, 5, 3, 2]);
  assert.deepEqual(count(s.train.labels, 4), [70, 35, 21, 14]);
  // parts carry the right examples, in ascending order
  for (const part of ['train', 'validation', 'test'] as const) {
    const idx = s.indices[part];
    for (let k = 0; k < idx.length; k++) {
      assert.equal(s[part].x[2 * k], idx[k]);
      assert.equal(s[part].labels[k], ds.labels[idx[k]]);
      assert.equal(s[part].sources?.[k], `toy:${idx[k]}`);
      if (k > 0) assert.ok(idx[k] > idx[k - 1]);
    }
    assert.equal(s[part].numClasses, 4);
  }
  const again = splitDataset(ds, { seed: 7, validation: 0.1, test: 0.2 });
  assert.deepEqual(again.indices, s.indices);
  const other = splitDataset(ds, { seed: 8, validation: 0.1, test: 0.2 });
  assert.notDeepEqual(other.indices.test, s.indices.test);
  // defaults are validation 0.1, test 0.2
  assert.deepEqual(splitDataset(ds, { seed: 7 }).indices, s.indices);
});

test('splitDataset: held-out classes appear only in test; seen classes split as without holdout', () => {
  const ds = dataset([40, 40, 40, 40, 40, 40]);
  const plain = splitDataset(ds, { seed: 3 });
  const s = splitDataset(ds, { seed: 3, holdoutClasses: [4, 2] });
  assert.deepEqual(s.holdoutClasses, [2, 4]);
  assert.deepEqual(count(s.train.labels, 6), [28, 28, 0, 28, 0, 28]);
  assert.deepEqual(count(s.validation.labels, 6), [4, 4, 0, 4, 0, 4]);
  assert.deepEqual(count(s.test.labels, 6), [8, 8, 40, 8, 40, 8]);
  // seen classes: identical membership with and without the holdout
  const seen = (idx: Int32Array): number[] => [...idx].filter((i) => ds.labels[i] !== 2 && ds.labels[i] !== 4);
  assert.deepEqual(seen(s.indices.train), seen(plain.indices.train));
  assert.deepEqual(seen(s.indices.validation), seen(plain.indices.validation));
  assert.deepEqual(seen(s.indices.test), seen(plain.indices.test));
});

test('splitDataset: bad options are errors naming the argument', () => {
  const ds = dataset([10, 10, 10]);
  const bad: [object, RegExp][] = [
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ seed: 1, validation: -0.1 }, /validation must be a fraction/],
    [{ seed: 1, test: 1 }, /test must be a fraction/],
    [{ seed: 1, validation: 0.5, test: 0.5 }, /validation \+ test must be below 1/],
    [{ seed: 1, holdoutClasses: [3] }, /holdoutClasses: 3 is not a class index in \[0, 3\)/],
    [{ seed: 1, holdoutClasses: [1, 1] }, /listed twice/],
    [{ seed: 1, holdoutClasses: [0, 1, 2] }, /leave no class for training/],
  ];
  for (const [options, re] of bad) {
    assert.throws(() => splitDataset(ds, options as never), (e: unknown) => e instanceof ContrastiveError && /^splitDataset: /.test(e.message) && re.test(e.message), JSON.stringify(options));
  }
  const broken = { ...ds, labels: Int32Array.from([0, 5]), x: new Float32Array(4) };
  assert.throws(() => splitDataset(broken, { seed: 1 }), /example 1 has label 5 outside \[0, 3\)/);
});

test('subsetDataset / subsetPairs: copies in the given order, indices checked', () => {
  const ds = dataset([3, 2]);
  const sub = subsetDataset(ds, [4, 0, 4]);
  assert.deepEqual([...sub.x], [4, 1, 0, 0, 4, 1]);
  assert.deepEqual([...sub.labels], [1, 0, 1]);
  assert.deepEqual(sub.sources, ['toy:4', 'toy:0', 'toy:4']);
  sub.x[0] = 99;
  assert.equal(ds.x[8], 4);
  assert.throws(() => subsetDataset(ds, [5]), /subsetDataset: indices\[0\] = 5 is not an example index in \[0, 5\)/);
  assert.throws(() => subsetDataset(ds, [1.5]), /indices\[0\] = 1.5/);
  // examples 0, 1, 2 and 10, 11, 12 (rows 0-5); pairs (0,10), (1,11), (2,12) and (2,10)
  const pairs: PairDataset = { name: 'p', inputShape: [1], x: Float32Array.from([0, 1, 2, 10, 11, 12]), a: Int32Array.from([0, 1, 2, 2]), b: Int32Array.from([3, 4, 5, 3]), labels: Uint8Array.from([0, 1, 0, 1]) };
  const sp = subsetPairs(pairs, [2, 1, 3]);
  const values = (d: PairDataset, rows: Int32Array): number[] => Array.from(rows, (r) => d.x[r]);
  assert.deepEqual([...values(sp, sp.a), ...values(sp, sp.b), ...sp.labels], [2, 1, 2, 12, 11, 10, 0, 1, 1]);
  assert.equal(sp.x.length, 5, 'the examples the pairs name, each once (2 named twice is held once, 0 named by none is left out)');
  sp.x[0] = 99;
  assert.equal(pairs.x[2], 2, 'a copy');
  assert.throws(() => subsetPairs(pairs, [-1]), /subsetPairs: indices\[0\] = -1/);
});

test('splitPairs: stratified by label, a partition, deterministic', () => {
  const n = 100;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i < 70 ? 0 : 1));
  const pairs: PairDataset = {
    name: 'p',
    inputShape: [1],
    x: Float32Array.from({ length: 2 * n }, (_, r) => (r < n ? r : -(r - n))),
    a: Int32Array.from({ length: n }, (_, i) => i),
    b: Int32Array.from({ length: n }, (_, i) => n + i),
    labels,
  };
  const s = splitPairs(pairs, { seed: 11, validation: 0.1, test: 0.2 });
  const zeros = (l: Uint8Array): number => l.filter((v) => v === 0).length;
  assert.deepEqual([zeros(s.test.labels), s.test.labels.length - zeros(s.test.labels)], [14, 6]);
  assert.deepEqual([zeros(s.validation.labels), s.validation.labels.length - zeros(s.validation.labels)], [7, 3]);
  assert.equal(s.train.labels.length, 70);
  const all = [...s.indices.train, ...s.indices.validation, ...s.indices.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
  for (let k = 0; k < s.test.labels.length; k++) assert.equal(s.test.x[s.test.b[k]], -s.test.x[s.test.a[k]]);
  assert.deepEqual(splitPairs(pairs, { seed: 11 }).indices, s.indices);
  assert.throws(() => splitPairs({ ...pairs, labels: Uint8Array.from({ length: n }, () => 2) }, { seed: 1 }), /pair 0 .* has label 2/);
});

test('parseClassList: integers and ranges, sorted; errors name the entry', () => {
  assert.deepEqual(parseClassList('5,6,7,8,9', 10), [5, 6, 7, 8, 9]);
  assert.deepEqual(parseClassList(' 9, 5-7 ', 10), [5, 6, 7, 9]);
  const bad: [string, RegExp][] = [
    ['', /empty class list/],
    ['5,,6', /'' in '5,,6' is not a class index/],
    ['5,x', /'x' in '5,x' is not a class index/],
    ['-1', /'-1' .* is not a class index/],
    ['2.5', /'2.5' .* is not a class index/],
    ['10', /class 10 is outside \[0, 10\)/],
    ['3,3', /class 3 is listed twice/],
    ['7-5', /range start 7 is above its end 5/],
    ['0-9', /names all 10 classes/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseClassList(text, 10), (e: unknown) => e instanceof ContrastiveError && /^parseClassList: /.test(e.message) && re.test(e.message), text);
  }
});
