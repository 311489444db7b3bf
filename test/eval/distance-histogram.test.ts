import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceHistogram } from '../../packages/contrastive/src/eval/distance-histogram.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

test('distanceHistogram: hand-counted bins, the last bin closed, non-finite distances left out', () => {
  // max 2, 4 bins of 0.5: [0,.5) [.5,1) [1,1.5) [1.5,2]
  const d = [0, 0.49, 0.5, 1.2, 2, 0.7, 1.99, NaN, Infinity];
  const y = [0, 0, 0, 0, 0, 1, 1, 1, 1];
  const h = distanceHistogram(d, y, { bins: 4, max: 2 });
  assert.equal(h.binWidth, 0.5);
  assert.deepEqual(h.positive, [2, 1, 1, 1]);
  assert.deepEqual(h.negative, [0, 1, 0, 1]);
});

test('distanceHistogram: default range ends at the largest finite distance; above max falls in the last bin', () => {
  const h = distanceHistogram(Float32Array.from([0.25, 1, 4]), [0, 1, 1], { bins: 4 });
  assert.equal(h.binWidth, 1);
  assert.deepEqual(h.positive, [1, 0, 0, 0]);
  assert.deepEqual(h.negative, [0, 1, 0, 1]);
  const clipped = distanceHistogram([5], [1], { bins: 2, max: 1 });
  assert.deepEqual(clipped.negative, [0, 1]);
  // all distances zero: a unit range, everything in the first bin
  assert.deepEqual(distanceHistogram([0, 0], [0, 1], { bins: 2 }), { binWidth: 0.5, positive: [1, 0], negative: [1, 0] });
});

test('distanceHistogram: bad input names the argument', () => {
  assert.throws(() => distanceHistogram([1, 2], [0], {}), (e: unknown) => e instanceof ContrastiveError && /distances has 2 entries but labels has 1/.test(e.message));
  assert.throws(() => distanceHistogram([1], [2]), /labels\[0\] is 2/);
  assert.throws(() => distanceHistogram([1], [0], { bins: 0 }), /bins must be a positive integer/);
  assert.throws(() => distanceHistogram([1], [0], { max: -1 }), /max must be a positive number/);
});

test('the held-out pair helpers live in eval/ and the package entry still exports them', async () => {
  const entry = await import('contrastive');
  const evalBarrel = await import('../../packages/contrastive/src/eval/index.js');
  for (const name of ['distanceHistogram', 'scorePairs', 'scoreSplit', 'drawHeldOutPairs', 'retrievalDistance'] as const) {
    assert.equal(typeof entry[name], 'function', name);
    assert.equal(entry[name], evalBarrel[name], name);
  }
  assert.equal(entry.HELD_OUT_PAIRS.validation, 10000);
});
