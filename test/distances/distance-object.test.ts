/** A distance given as an object: the built-ins as objects agree with the names, and a user's own distance works everywhere a name does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { DISTANCES, distanceOf, indexPairDistances, pairDistances, pairwiseDistanceMatrix, type Distance } from '../../packages/contrastive/src/distances/index.js';
import { contrastiveLoss, pairLossFromIndices, tripletLoss } from '../../packages/contrastive/src/losses/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

/** Manhattan distance, smoothed at 0 so its gradient is finite: sum(sqrt((a - b)^2 + eps)). */
const manhattan: Distance = {
  name: 'manhattan',
  pairs: (a, b) => tf.tidy(() => tf.sum(tf.sqrt(tf.add(tf.square(tf.sub(a, b)), 1e-12)), 1) as tf.Tensor1D),
  matrix: (x, y) => tf.tidy(() => tf.sum(tf.sqrt(tf.add(tf.square(tf.sub(tf.expandDims(x, 1), tf.expandDims(y, 0))), 1e-12)), 2) as tf.Tensor2D),
};

function rows(seed: number, n: number, d: number): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.normal()), [n, d]);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: the built-in distance objects give the named distances' values and gradients`, async () => {
    await withBackend(backend, () => {
      const a = rows(1, 6, 4);
      const b = rows(2, 6, 4);
      for (const name of ['euclidean', 'squaredEuclidean', 'cosine'] as const) {
        const obj = distanceOf(name);
        assert.equal(obj, DISTANCES[name]);
        assertClose(pairDistances(a, b, obj).dataSync(), pairDistances(a, b, name).dataSync(), 1e-6, name);
        assertClose(pairwiseDistanceMatrix(a, b, obj), pairwiseDistanceMatrix(a, b, name), 1e-5, `${name} matrix`);
        const idxA = Int32Array.from([0, 1, 2, 5]);
        const idxB = Int32Array.from([3, 3, 4, 0]);
        const f = (d: typeof name | Distance) => (e: tf.Tensor) => tf.sum(tf.square(indexPairDistances(e as tf.Tensor2D, idxA, idxB, d))) as tf.Scalar;
        assertClose(tf.grad(f(obj))(a).dataSync(), tf.grad(f(name))(a).dataSync(), 1e-4, `${name} index-pair gradient`);
      }
    });
  });

  test(`${backend}: a user's distance drives the losses (values and gradients through its own ops)`, async () => {
    await withBackend(backend, () => {
      const a = rows(3, 5, 3);
      const b = rows(4, 5, 3);
      const byHand = Array.from({ length: 5 }, (_, i) => {
        const x = a.arraySync()[i];
        const y = b.arraySync()[i];
        return x.reduce((s, v, k) => s + Math.abs(v - y[k]), 0);
      });
      assertClose(pairDistances(a, b, manhattan).dataSync(), byHand, 1e-5);
      const y = [0, 1, 0, 1, 1];
      const margin = 3;
      const expected = byHand.map((d, i) => (y[i] === 0 ? 0.5 * d * d : 0.5 * Math.max(0, margin - d) ** 2));
      assertClose(contrastiveLoss(a, b, y, { distance: manhattan, margin, reduction: 'none' }).dataSync(), expected, 1e-5);
      // Gradient of 1/2 D^2 of a similar pair under L1: D * sign(a - b).
      const g = tf.grad((e: tf.Tensor) => contrastiveLoss(e as tf.Tensor2D, b, [0, 0, 0, 0, 0], { distance: manhattan, reduction: 'sum' }) as tf.Scalar)(a).arraySync() as number[][];
      const av = a.arraySync();
      const bv = b.arraySync();
      for (let i = 0; i < 5; i++) assertClose(g[i], av[i].map((v, k) => byHand[i] * Math.sign(v - bv[i][k])), 1e-4, `row ${i}`);
      // Mined pairs read the user's matrix; triplets its row-pair distances.
      const emb = tf.concat([a, b]) as tf.Tensor2D;
      const mined = { a1: Int32Array.from([0]), p: Int32Array.from([5]), a2: Int32Array.from([1]), n: Int32Array.from([6]) };
      assertClose(pairLossFromIndices(emb, mined, { distance: manhattan, margin, reduction: 'none' }).dataSync(), [expected[0], 0.5 * Math.max(0, margin - byHand[1]) ** 2], 1e-5);
      const gm = tf.grad((e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, mined, { distance: manhattan, margin, reduction: 'sum' }) as tf.Scalar)(emb);
      assert.ok(gm.dataSync().every(Number.isFinite));
      assertClose(gm.slice([0, 0], [1, -1]).dataSync(), av[0].map((v, k) => byHand[0] * Math.sign(v - bv[0][k])), 1e-4, 'mined positive');
      const t = tripletLoss(a, b, rows(5, 5, 3), { distance: manhattan, reduction: 'none' });
      assert.equal(t.shape[0], 5);
    });
  });
}

test('a distance that is neither a name nor an object, or returns the wrong shape, is named', async () => {
  await withBackend('cpu', () => {
    const a = rows(1, 3, 2);
    const throwsWith = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
    throwsWith(() => pairDistances(a, a, 'manhattan' as never), /pairDistances: unknown distance 'manhattan'.*or a distance object/);
    throwsWith(() => contrastiveLoss(a, a, [0, 0, 0], { distance: { name: 'x' } as never }), /contrastiveLoss: distance must be one of/);
    const wrong: Distance = { ...manhattan, name: 'flat', pairs: (x) => tf.sum(x) as never };
    throwsWith(() => pairDistances(a, a, wrong), /distance 'flat'.pairs must return a tensor of shape \[3\], got shape \[\]/);
  });
});
