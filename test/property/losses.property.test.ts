// Property-based tests (fast-check) of the losses: for any finite embeddings (identical rows
// included) the loss is finite and >= 0 and its gradients are finite, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { withBackend } from '../support/helpers.js';
import { contrastiveLoss, tripletLoss } from '../../packages/contrastive/src/losses/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

const RUNS = { seed: 20261130, numRuns: 40 };

/** Pairs of embeddings: values of any sign and scale up to 1e3, with some rows exactly equal (D = 0). */
const pairBatch = fc
  .record({
    seed: fc.integer({ min: 1, max: 1e9 }),
    n: fc.integer({ min: 1, max: 12 }),
    dim: fc.integer({ min: 1, max: 8 }),
    scale: fc.constantFrom(0, 1e-6, 1, 1e3),
    identical: fc.double({ min: 0, max: 1, noNaN: true }),
    margin: fc.double({ min: 0.01, max: 4, noNaN: true }),
  })
  .map(({ seed, n, dim, scale, identical, margin }) => {
    const rng = new Rng(seed);
    const a = Float32Array.from({ length: n * dim }, () => rng.normal() * scale);
    const b = Float32Array.from({ length: n * dim }, () => rng.normal() * scale);
    const labels = Int32Array.from({ length: n }, () => rng.int(2));
    for (let i = 0; i < n; i++) if (rng.next() < identical) b.set(a.subarray(i * dim, (i + 1) * dim), i * dim);
    return { a, b, labels, n, dim, margin };
  });

for (const backend of ['cpu', 'wasm'] as const) {
  for (const distance of ['euclidean', 'squaredEuclidean', 'cosine'] as const) {
    test(`${backend}, ${distance}: contrastive loss >= 0 and finite, gradients finite, for any finite input`, async () => {
      await withBackend(backend, () => {
        fc.assert(
          fc.property(pairBatch, ({ a, b, labels, n, dim, margin }) => {
            tf.tidy(() => {
              const e1 = tf.tensor2d(a, [n, dim]);
              const e2 = tf.tensor2d(b, [n, dim]);
              const perPair = contrastiveLoss(e1, e2, labels, { margin, distance, reduction: 'none' }).dataSync();
              for (const v of perPair) assert.ok(Number.isFinite(v) && v >= 0, `per-pair loss ${v}`);
              const [g1, g2] = tf.grads((x: tf.Tensor, y: tf.Tensor) => contrastiveLoss(x as tf.Tensor2D, y as tf.Tensor2D, labels, { margin, distance }) as tf.Scalar)([e1, e2]);
              for (const v of g1.dataSync()) assert.ok(Number.isFinite(v), `gradient ${v}`);
              for (const v of g2.dataSync()) assert.ok(Number.isFinite(v), `gradient ${v}`);
            });
          }),
          RUNS,
        );
      });
    });
  }

  test(`${backend}: triplet loss >= 0 and finite, gradients finite, for any finite input`, async () => {
    await withBackend(backend, () => {
      fc.assert(
        fc.property(pairBatch, ({ a, b, n, dim, margin }) => {
          tf.tidy(() => {
            const anchor = tf.tensor2d(a, [n, dim]);
            const positive = tf.tensor2d(b, [n, dim]);
            const negative = tf.tensor2d(a.map((v, i) => (i % 3 === 0 ? v : b[i])), [n, dim]);
            const loss = tripletLoss(anchor, positive, negative, { margin }).dataSync()[0];
            assert.ok(Number.isFinite(loss) && loss >= 0, `loss ${loss}`);
            const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tripletLoss(x as tf.Tensor2D, y as tf.Tensor2D, z as tf.Tensor2D, { margin }) as tf.Scalar)([anchor, positive, negative]);
            for (const g of grads) for (const v of g.dataSync()) assert.ok(Number.isFinite(v), `gradient ${v}`);
          });
        }),
        { ...RUNS, numRuns: 25 },
      );
    });
  });
}
