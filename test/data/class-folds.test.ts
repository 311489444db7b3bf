import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { classFolds } from '../../packages/contrastive/src/data/class-folds.js';
import { splitDataset } from '../../packages/contrastive/src/data/split.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

test('class folds: disjoint, cover every class, sizes within one (smaller first), sorted, the same for the same seed', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 4, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(), (classes, seed, pick) => {
      const k = 2 + (pick % (Math.floor(classes.length / 2) - 1));
      const folds = classFolds(classes, k, seed);
      assert.equal(folds.length, k);
      assert.deepEqual(folds.flat().sort((a, b) => a - b), [...classes].sort((a, b) => a - b));
      const sizes = folds.map((f) => f.length);
      assert.ok(sizes.every((n) => n >= 2));
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      assert.deepEqual(sizes, [...sizes].sort((a, b) => a - b));
      for (const f of folds) assert.deepEqual(f, [...f].sort((a, b) => a - b));
      assert.deepEqual(classFolds([...classes].reverse(), k, seed), folds);
    }),
    { numRuns: 200 },
  );
});

test('class folds: the seed decides the folds', () => {
  const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const seen = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(classFolds(classes, 3, s))));
  assert.ok(seen.size > 5, `${seen.size} different fold sets from 20 seeds`);
});

test("class folds: fold 1 is the class set validationClasses picks from a fraction with the same seed", () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);
  const data: LabelledDataset = { name: 'toy', inputShape: [1], x: new Float32Array(100), labels, numClasses: 10 };
  for (const seed of [1, 7, 42]) {
    const folds = classFolds([0, 1, 2, 3, 4], 2, seed);
    const single = splitDataset(data, { seed, holdoutClasses: [5, 6, 7, 8, 9], validationClasses: 0.4 });
    assert.deepEqual(folds[0], single.validationClasses);
  }
  // Fashion-MNIST 0-4 with seed 42: the single fold of docs/results/zero-shot.md is T-shirt and pullover
  assert.deepEqual(classFolds([0, 1, 2, 3, 4], 2, 42), [[0, 2], [1, 3, 4]]);
});

test('class folds: k below 2, above half the classes, and bad classes are refused, naming why', () => {
  assert.throws(() => classFolds([0, 1, 2, 3], 1, 1), isError(/k must be an integer >= 2/));
  assert.throws(() => classFolds([0, 1, 2, 3], 2.5, 1), isError(/k must be an integer >= 2/));
  assert.throws(() => classFolds([0, 1, 2, 3, 4], 3, 1), isError(/5 classes cannot make 3 folds: .*needs 2 classes or more \(a dissimilar pair needs two\), so 5 classes make at most 2/));
  assert.throws(() => classFolds([0, 1, 2], 2, 1), isError(/3 classes cannot make 2 folds.*4 classes or more/));
  assert.throws(() => classFolds([0, 1, 1, 2], 2, 1), isError(/class 1 is listed twice/));
  assert.throws(() => classFolds([0, -1, 2, 3], 2, 1), isError(/-1 is not a class index/));
  assert.throws(() => classFolds([0, 1, 2, 3], 2, 0.5), isError(/seed must be an integer/));
});
