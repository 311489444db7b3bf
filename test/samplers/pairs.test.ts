import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePairs } from '../../packages/contrastive/src/samplers/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import type { IndexPairs } from '../../packages/contrastive/src/data/types.js';

/** labels: `sizes[c]` examples of class c, interleaved so that index order and class differ. */
function labelsOf(sizes: number[]): Int32Array {
  const out: number[] = [];
  const left = sizes.slice();
  while (left.some((s) => s > 0)) left.forEach((s, c) => s > 0 && (out.push(c), left[c]--));
  return Int32Array.from(out);
}

function checkValid(pairs: IndexPairs, labels: ArrayLike<number>, count: number): void {
  assert.equal(pairs.i.length, count);
  assert.equal(pairs.j.length, count);
  assert.equal(pairs.labels.length, count);
  for (let k = 0; k < count; k++) {
    const [i, j] = [pairs.i[k], pairs.j[k]];
    assert.ok(i >= 0 && i < labels.length && j >= 0 && j < labels.length, `pair ${k} in range`);
    assert.notEqual(i, j, `pair ${k} is a self pair`);
    assert.equal(pairs.labels[k], labels[i] === labels[j] ? 0 : 1, `pair ${k} label matches the classes`);
  }
}

const positivesPerClass = (pairs: IndexPairs, labels: ArrayLike<number>): Map<number, number> => {
  const m = new Map<number, number>();
  pairs.labels.forEach((y, k) => y === 0 && m.set(labels[pairs.i[k]], (m.get(labels[pairs.i[k]]) ?? 0) + 1));
  return m;
};

test('makePairs: default 1:1 ratio, valid labels, no self pairs, balanced per class', () => {
  const labels = labelsOf([30, 50, 80, 120]);
  const pairs = makePairs(labels, { count: 1001, seed: 7 });
  checkValid(pairs, labels, 1001);
  const pos = pairs.labels.filter((y) => y === 0).length;
  assert.equal(pos, Math.round(1001 * 0.5));
  const per = [...positivesPerClass(pairs, labels).values()];
  assert.equal(per.length, 4);
  assert.ok(Math.max(...per) - Math.min(...per) <= 1, `per-class positives ${per}`);
  // similar pairs are distinct (as unordered pairs) while classes have enough
  const keys = new Set<string>();
  pairs.labels.forEach((y, k) => y === 0 && keys.add([pairs.i[k], pairs.j[k]].sort((a, b) => a - b).join(',')));
  assert.equal(keys.size, pos);
  // so are dissimilar pairs when there are plenty
  const negKeys = new Set<string>();
  pairs.labels.forEach((y, k) => y === 1 && negKeys.add([pairs.i[k], pairs.j[k]].sort((a, b) => a - b).join(',')));
  assert.equal(negKeys.size, 1001 - pos);
});

test('makePairs: chosen ratio, and small classes give what they have (water filling)', () => {
  // class 0 has 3 members = 3 distinct pairs; class 3 is a singleton (skipped for positives)
  const labels = labelsOf([3, 40, 40, 1]);
  const pairs = makePairs(labels, { count: 200, positiveFraction: 0.25, seed: 1 });
  checkValid(pairs, labels, 200);
  const per = positivesPerClass(pairs, labels);
  assert.equal(per.get(0), 3);
  assert.equal(per.get(3), undefined);
  assert.equal((per.get(1) ?? 0) + (per.get(2) ?? 0), 47);
  assert.ok(Math.abs((per.get(1) ?? 0) - (per.get(2) ?? 0)) <= 1);
  assert.equal(pairs.labels.filter((y) => y === 1).length, 150);
  // the singleton still appears in negatives
  assert.ok(Array.from(pairs.i).concat(Array.from(pairs.j)).includes(Array.from(labels).indexOf(3)));
});

test('makePairs: more positives than distinct pairs repeats them, still balanced and valid', () => {
  const labels = labelsOf([2, 3, 4]);
  const pairs = makePairs(labels, { count: 60, seed: 3 });
  checkValid(pairs, labels, 60);
  assert.deepEqual([...positivesPerClass(pairs, labels).values()].sort(), [10, 10, 10]);
});

test('makePairs: balancePerClass false follows class pair counts', () => {
  const labels = labelsOf([10, 100]); // 45 vs 4950 distinct similar pairs
  const pairs = makePairs(labels, { count: 2000, seed: 5, balancePerClass: false });
  checkValid(pairs, labels, 2000);
  const per = positivesPerClass(pairs, labels);
  // expected class-0 share 45/4995 of 1000 = 9; allow wide binomial slack
  assert.ok((per.get(0) ?? 0) < 30, `class 0 got ${per.get(0)}`);
  const balanced = positivesPerClass(makePairs(labels, { count: 2000, seed: 5 }), labels);
  assert.equal(balanced.get(0), 45, 'balanced: class 0 gives all its 45 pairs');
});

test('makePairs: negatives pick class pairs uniformly', () => {
  const labels = labelsOf([5, 5, 200]);
  const pairs = makePairs(labels, { count: 6000, seed: 11 });
  const counts = new Map<string, number>();
  pairs.labels.forEach((y, k) => {
    if (y !== 1) return;
    const key = [labels[pairs.i[k]], labels[pairs.j[k]]].sort().join('-');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  for (const key of ['0-1', '0-2', '1-2']) {
    const c = counts.get(key) ?? 0;
    assert.ok(Math.abs(c - 1000) < 120, `class pair ${key}: ${c} of 3000`);
  }
});

test('makePairs: same seed same pairs, different seed different pairs', () => {
  const labels = labelsOf([20, 20, 20]);
  const a = makePairs(labels, { count: 100, seed: 42 });
  assert.deepEqual(makePairs(labels, { count: 100, seed: 42 }), a);
  assert.notDeepEqual(makePairs(labels, { count: 100, seed: 43 }), a);
});

test('makePairs: errors name the function and the problem', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);
  assert.throws(() => makePairs([4, 4, 4], { count: 10, seed: 1 }), is(/makePairs: labels hold only one class \(4\); dissimilar pairs need at least 2 classes/));
  assert.throws(() => makePairs([0, 1, 2], { count: 10, seed: 1 }), is(/makePairs: no class has 2 members/));
  assert.throws(() => makePairs([0, 0, 1], { count: 0, seed: 1 }), is(/count must be an integer >= 1, got 0/));
  assert.throws(() => makePairs([0, 0, 1], { count: 10, seed: 1, positiveFraction: 1 }), is(/positiveFraction must be in \(0, 1\), got 1/));
  assert.throws(() => makePairs([0, 0, 1], { count: 10, seed: 1, positiveFraction: 0 }), is(/positiveFraction/));
  assert.throws(() => makePairs([0, 0.5, 1], { count: 10, seed: 1 }), is(/labels\[1\] is 0.5/));
  assert.throws(() => makePairs([0, 0, 1], { count: 10, seed: 1.5 }), is(/seed must be an integer/));
});
