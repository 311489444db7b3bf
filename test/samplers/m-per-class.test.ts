import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mPerClassSampler } from '../../packages/contrastive/src/samplers/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

const r = new Rng(9);
// 10 classes of varied size, one of them smaller than m
const sizes = [50, 40, 30, 30, 20, 20, 10, 10, 5, 2];
const labels = Int32Array.from(r.shuffle(sizes.flatMap((s, c) => Array.from({ length: s }, () => c))));

test('mPerClassSampler: each batch holds batchSize/m distinct classes with m examples each', () => {
  const m = 4;
  const batchSize = 16;
  const batches = mPerClassSampler(labels, { m, batchSize, seed: 1 });
  assert.equal(batches.length, Math.floor(labels.length / batchSize));
  const seenClasses = new Set<number>();
  for (const batch of batches) {
    assert.equal(batch.length, batchSize);
    const perClass = new Map<number, number[]>();
    batch.forEach((idx) => {
      assert.ok(idx >= 0 && idx < labels.length);
      const y = labels[idx];
      perClass.set(y, [...(perClass.get(y) ?? []), idx]);
    });
    assert.equal(perClass.size, batchSize / m);
    for (const [y, idxs] of perClass) {
      seenClasses.add(y);
      assert.equal(idxs.length, m);
      // without replacement when the class is large enough
      if (sizes[y] >= m) assert.equal(new Set(idxs).size, m, `class ${y} repeats an example`);
    }
    // the m examples of a class are contiguous (PML layout)
    for (let q = 0; q < batchSize; q += m) {
      for (let t = 1; t < m; t++) assert.equal(labels[batch[q + t]], labels[batch[q]]);
    }
  }
  assert.equal(seenClasses.size, 10, 'every class is used over the epoch');
});

test('mPerClassSampler: classes are drawn uniformly, whatever their size', () => {
  const batches = mPerClassSampler(labels, { m: 2, batchSize: 4, seed: 2, lengthBeforeNewIter: 4 * 2000 });
  assert.equal(batches.length, 2000);
  const count = new Array<number>(10).fill(0);
  for (const b of batches) for (let q = 0; q < 4; q += 2) count[labels[b[q]]]++;
  for (const c of count) assert.ok(Math.abs(c - 400) < 80, `class draws ${count}`);
});

test('mPerClassSampler: deterministic for a seed, lengthBeforeNewIter rounds down', () => {
  const a = mPerClassSampler(labels, { m: 3, batchSize: 9, seed: 5, lengthBeforeNewIter: 100 });
  assert.equal(a.length, 11);
  assert.deepEqual(mPerClassSampler(labels, { m: 3, batchSize: 9, seed: 5, lengthBeforeNewIter: 100 }), a);
  assert.notDeepEqual(mPerClassSampler(labels, { m: 3, batchSize: 9, seed: 6, lengthBeforeNewIter: 100 }), a);
  // fewer examples than a batch: one batch by default
  assert.equal(mPerClassSampler([0, 1, 1], { m: 2, batchSize: 4, seed: 1 }).length, 1);
});

test('mPerClassSampler: errors name the function and the problem', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);
  assert.throws(() => mPerClassSampler(labels, { m: 4, batchSize: 4, seed: 1 }), is(/mPerClassSampler: batch size 4 is smaller than m per class \(4\) x 2/));
  assert.throws(() => mPerClassSampler(labels, { m: 4, batchSize: 10, seed: 1 }), is(/batch size 10 is not a multiple of m per class \(4\)/));
  assert.throws(() => mPerClassSampler(labels, { m: 4, batchSize: 44, seed: 1 }), is(/needs 11 classes of 4 examples but labels hold 10 classes/));
  assert.throws(() => mPerClassSampler(labels, { m: 0, batchSize: 8, seed: 1 }), is(/m \(examples per class\) must be an integer >= 1/));
  assert.throws(() => mPerClassSampler(labels, { m: 2, batchSize: 8, seed: 1, lengthBeforeNewIter: 7 }), is(/lengthBeforeNewIter must be an integer >= batch size 8/));
  assert.throws(() => mPerClassSampler([0, 0, 0], { m: 1, batchSize: 2, seed: 1 }), is(/labels hold 1 class$/));
});
