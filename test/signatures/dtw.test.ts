/** Dynamic time warping against a brute-force reference that enumerates every monotone alignment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { dtwDistance } from '../../packages/signatures/src/index.js';

/** Smallest path cost over all monotone alignments (steps (1,0), (0,1), (1,1)), by explicit enumeration. */
function bruteForce(a: number[][], b: number[][]): number {
  const cost = (i: number, j: number): number => Math.sqrt(a[i].reduce((s, v, f) => s + (v - b[j][f]) ** 2, 0));
  let best = Infinity;
  const walk = (i: number, j: number, sum: number): void => {
    const total = sum + cost(i, j);
    if (i === a.length - 1 && j === b.length - 1) {
      best = Math.min(best, total);
      return;
    }
    if (i + 1 < a.length) walk(i + 1, j, total);
    if (j + 1 < b.length) walk(i, j + 1, total);
    if (i + 1 < a.length && j + 1 < b.length) walk(i + 1, j + 1, total);
  };
  walk(0, 0, 0);
  return best / (a.length + b.length);
}

function randomSeq(rng: Rng, n: number, f: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: f }, () => rng.normal()));
}

test('equals the brute-force minimum over all alignments (lengths 1..6, 1..3 features)', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 60; trial++) {
    const f = 1 + rng.int(3);
    const a = randomSeq(rng, 1 + rng.int(6), f);
    const b = randomSeq(rng, 1 + rng.int(6), f);
    const got = dtwDistance(a.flat(), b.flat(), f);
    const want = bruteForce(a, b);
    assert.ok(Math.abs(got - want) < 1e-12, `trial ${trial}: ${got} vs ${want}`);
  }
});

test('zero for identical sequences, symmetric, and a time-stretched copy is closer than another sequence', () => {
  const rng = new Rng(3);
  const a = randomSeq(rng, 12, 2);
  assert.equal(dtwDistance(a.flat(), a.flat(), 2), 0);
  const b = randomSeq(rng, 9, 2);
  assert.equal(dtwDistance(a.flat(), b.flat(), 2), dtwDistance(b.flat(), a.flat(), 2));
  const stretched = a.flatMap((p) => [p, p]);
  assert.equal(dtwDistance(a.flat(), stretched.flat(), 2), 0);
  assert.ok(dtwDistance(a.flat(), b.flat(), 2) > 0);
});

test('a band as wide as the sequences changes nothing; a narrow band can only raise the distance', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const a = randomSeq(rng, 4 + rng.int(8), 2).flat();
    const b = randomSeq(rng, 4 + rng.int(8), 2).flat();
    const full = dtwDistance(a, b, 2);
    assert.equal(dtwDistance(a, b, 2, { window: 100 }), full);
    assert.ok(dtwDistance(a, b, 2, { window: 0 }) >= full);
    assert.ok(Number.isFinite(dtwDistance(a, b, 2, { window: 0 })));
  }
});

test('bad input is named', () => {
  assert.throws(() => dtwDistance([], [1], 1), /dtwDistance: a has 0 values/);
  assert.throws(() => dtwDistance([1, 2, 3], [1, 2], 2), /dtwDistance: a has 3 values, not a positive multiple of 2/);
  assert.throws(() => dtwDistance([1], [1], 1, { window: -1 }), /window must be a non-negative number/);
});
