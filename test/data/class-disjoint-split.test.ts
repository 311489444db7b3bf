import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { splitDataset } from '../../packages/contrastive/src/data/split.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';

/** `perClass[c]` examples of class c, each a 1-float vector [index]. */
function dataset(perClass: number[]): LabelledDataset {
  const labels: number[] = [];
  perClass.forEach((n, c) => labels.push(...new Array(n).fill(c)));
  return { name: 'toy', inputShape: [1], x: Float32Array.from(labels, (_, i) => i), labels: Int32Array.from(labels), numClasses: perClass.length };
}

function classesOf(labels: Int32Array): number[] {
  return [...new Set(labels)].sort((a, b) => a - b);
}

test('class-disjoint split: validation classes whole in validation, the rest of the seen classes whole in train, held-out whole in test', () => {
  const ds = dataset([30, 20, 25, 10, 40, 15, 12]);
  const s = splitDataset(ds, { seed: 5, holdoutClasses: [5, 6], validationClasses: [3, 1] });
  assert.deepEqual(s.validationClasses, [1, 3]);
  assert.deepEqual(s.holdoutClasses, [5, 6]);
  assert.deepEqual(classesOf(s.train.labels), [0, 2, 4]);
  assert.deepEqual(classesOf(s.validation.labels), [1, 3]);
  assert.deepEqual(classesOf(s.test.labels), [5, 6]);
  assert.equal(s.train.labels.length, 30 + 25 + 40);
  assert.equal(s.validation.labels.length, 20 + 10);
  assert.equal(s.test.labels.length, 15 + 12);
  // the examples carried are the ones indexed
  for (const part of ['train', 'validation', 'test'] as const) {
    assert.deepEqual(Array.from(s[part].x), Array.from(s.indices[part]));
  }
});

test('class-disjoint split: a fraction picks round(f x seen classes) classes from the seed, deterministically', () => {
  const ds = dataset(new Array(10).fill(8));
  const a = splitDataset(ds, { seed: 11, holdoutClasses: [5, 6, 7, 8, 9], validationClasses: 0.4 });
  assert.equal(a.validationClasses.length, 2);
  for (const c of a.validationClasses) assert.ok(c < 5);
  assert.deepEqual(splitDataset(ds, { seed: 11, holdoutClasses: [5, 6, 7, 8, 9], validationClasses: 0.4 }).indices, a.indices);
  // a tiny fraction still gives the 2 classes a dissimilar pair needs
  assert.equal(splitDataset(ds, { seed: 11, holdoutClasses: [8, 9], validationClasses: 0.01 }).validationClasses.length, 2);
  // seeds differ in which classes they pick (over a few seeds, more than one choice)
  const picks = new Set([1, 2, 3, 4, 5, 6].map((seed) => splitDataset(ds, { seed, holdoutClasses: [8, 9], validationClasses: 0.3 }).validationClasses.join(',')));
  assert.ok(picks.size > 1);
});

test('class-disjoint split (property): a partition, and no class in two of train / validation / test', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 6, maxLength: 12 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.double({ min: 0.05, max: 0.6, noNaN: true }),
      (perClass, seed, fraction) => {
        const k = perClass.length;
        const holdout = [k - 2, k - 1];
        const seen = k - 2;
        const count = Math.max(2, Math.round(fraction * seen));
        const ds = dataset(perClass);
        if (count > seen - 2) {
          assert.throws(() => splitDataset(ds, { seed, holdoutClasses: holdout, validationClasses: fraction }), ContrastiveError);
          return;
        }
        const s = splitDataset(ds, { seed, holdoutClasses: holdout, validationClasses: fraction });
        const all = [...s.indices.train, ...s.indices.validation, ...s.indices.test].sort((a, b) => a - b);
        assert.deepEqual(all, Array.from({ length: ds.labels.length }, (_, i) => i));
        const tr = new Set(s.train.labels);
        const va = new Set(s.validation.labels);
        const te = new Set(s.test.labels);
        for (const c of tr) assert.ok(!va.has(c) && !te.has(c), `class ${c} in train and another split`);
        for (const c of va) assert.ok(!te.has(c), `class ${c} in validation and test`);
        assert.equal(va.size, count);
        assert.ok(tr.size >= 2);
      },
    ),
    { numRuns: 200, seed: 1 },
  );
});

test('class-disjoint split: bad validation classes are rejected with the option named', () => {
  const ds = dataset([5, 5, 5, 5, 5, 5, 5]);
  const throwsWith = (opts: Parameters<typeof splitDataset>[1], re: RegExp): void => {
    assert.throws(() => splitDataset(ds, opts), (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
  };
  throwsWith({ seed: 1, validationClasses: [0, 1] }, /validationClasses needs holdoutClasses/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: [5, 1] }, /class 5 is also a held-out class/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: [1] }, /at least 2 classes/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: [0, 1, 2, 3] }, /fewer than 2 classes to train on/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: [1, 1] }, /listed twice/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: [1, 9] }, /9 is not a class index in \[0, 7\)/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: 1.5 }, /fraction must be in \(0, 1\)/);
  throwsWith({ seed: 1, holdoutClasses: [5, 6], validationClasses: 0.8 }, /fewer than 2 classes to train on/);
  throwsWith({ seed: 1, holdoutClasses: [5], validationClasses: [0, 1] }, /at least 2 holdoutClasses/);
});

test('class-disjoint split: without validation classes the split is unchanged (validationClasses empty)', () => {
  const ds = dataset([20, 20, 20, 20]);
  const s = splitDataset(ds, { seed: 2, holdoutClasses: [3] });
  assert.deepEqual(s.validationClasses, []);
  assert.deepEqual(classesOf(s.validation.labels), [0, 1, 2]);
});
