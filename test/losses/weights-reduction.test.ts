/** Per-pair weights (Keras / TensorFlow Addons `sample_weight` semantics) and the 'mean-nonzero' reduction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss, contrastiveLossFromDistance, pairLossFromIndices, tripletLoss, tripletLossFromIndices } from '../../packages/contrastive/src/losses/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { finiteDifference, randomRows, refContrastive } from './reference.js';

const BACKENDS = ['cpu', 'wasm'] as const;

// TensorFlow Addons' published case (tfa.losses.contrastive_loss tests): y_true 1 = similar.
const TFA_Y = [0, 0, 1, 1, 0, 1];
const TFA_D = [0.1, 0.3, 1.3, 0.7, 1.1, 0.5];
const TFA_W = [1.2, 0.8, 0.5, 0.4, 1.5, 1.0];
// By hand, margin 1, no 1/2: (1-y) max(0, 1-D)^2 + y D^2 per pair.
const TFA_PER_PAIR = [0.81, 0.49, 1.69, 0.49, 0, 0.25];

test('TensorFlow Addons sample_weight case: 0.4425 under the tfa preset', async () => {
  await withBackend('cpu', () => {
  const loss = contrastiveLossFromDistance(TFA_Y, tf.tensor1d(TFA_D), { convention: 'tfa', weights: TFA_W });
  assertClose(loss.dataSync(), [0.4425], 1e-6);
  // Keras semantics: the mean divides by N, not by the sum of the weights; a scalar scales every pair.
  const weighted = TFA_PER_PAIR.map((l, i) => l * TFA_W[i]);
  assertClose(contrastiveLossFromDistance(TFA_Y, tf.tensor1d(TFA_D), { convention: 'tfa', weights: TFA_W, reduction: 'sum' }).dataSync(), [2.655], 1e-6);
  assertClose(contrastiveLossFromDistance(TFA_Y, tf.tensor1d(TFA_D), { convention: 'tfa', weights: TFA_W, reduction: 'none' }).dataSync(), weighted, 1e-6);
  assertClose(contrastiveLossFromDistance(TFA_Y, tf.tensor1d(TFA_D), { convention: 'tfa', weights: 6 }).dataSync(), [3.73], 1e-6);
  assertClose(contrastiveLossFromDistance(TFA_Y, tf.tensor1d(TFA_D), { convention: 'tfa', weights: tf.tensor2d(TFA_W, [6, 1]) }).dataSync(), [0.4425], 1e-6);
  // The library's own convention: labels flipped, factor 1/2.
  const flipped = TFA_Y.map((y) => 1 - y);
  assertClose(contrastiveLossFromDistance(flipped, tf.tensor1d(TFA_D), { weights: TFA_W }).dataSync(), [0.4425 / 2], 1e-6);
  });
});

for (const backend of BACKENDS) {
  test(`${backend}: weighted loss and gradients, fused and ops paths, against a float64 hand computation`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(3);
      const n = 9;
      const d = 5;
      const e1 = randomRows(() => rng.normal(), n, d);
      const e2 = randomRows(() => rng.normal(), n, d);
      const y = Array.from({ length: n }, (_, i) => i % 2);
      const w = Array.from({ length: n }, (_, i) => 0.25 * (i + 1));
      const margin = 2.5;
      const ref = (a: number[][], b: number[][]): number => refContrastive(a, b, y, margin, 'hadsell', 'euclidean').reduce((s, l, i) => s + w[i] * l, 0) / n;
      const gradRef = finiteDifference((x) => ref(x, e2), e1.map((r) => [...r]));
      for (const implementation of ['fused', 'ops'] as const) {
        const x1 = tf.tensor2d(e1);
        const x2 = tf.tensor2d(e2);
        const f = (a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, y, { margin, weights: w, implementation }) as tf.Scalar;
        assertClose(f(x1, x2).dataSync(), [ref(e1, e2)], 1e-5, `${implementation} value`);
        const [g1, g2] = tf.grads(f)([x1, x2]);
        assertClose(g1.dataSync(), gradRef, 1e-3, `${implementation} d/d emb1`);
        assertClose(g2.dataSync(), gradRef.map((g) => -g), 1e-3, `${implementation} d/d emb2`);
        // All-ones weights change nothing; weight 0 removes a pair from the sum (and from its gradient).
        const plain = contrastiveLoss(x1, x2, y, { margin, implementation }).dataSync()[0];
        assertClose(contrastiveLoss(x1, x2, y, { margin, implementation, weights: new Array(n).fill(1) }).dataSync(), [plain], 1e-6);
        const zeroFirst = [0, ...new Array(n - 1).fill(1)];
        const [gz] = tf.grads((a: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, x2, y, { margin, implementation, weights: zeroFirst }) as tf.Scalar)([x1]);
        assertClose(gz.dataSync().slice(0, d), new Array(d).fill(0), 0, `${implementation} weight 0`);
      }
    });
  });

  test(`${backend}: 'mean-nonzero' averages over the pairs that still cost something`, async () => {
    await withBackend(backend, () => {
      // D = 5 similar (12.5), D = 1 dissimilar inside margin 2 (0.5), D = 5 dissimilar beyond it (0).
      const e1 = tf.tensor2d([[0, 0], [0, 0], [1, 1]]);
      const e2 = tf.tensor2d([[3, 4], [0.6, 0.8], [4, 5]]);
      for (const implementation of ['fused', 'ops'] as const) {
        const o = { margin: 2, reduction: 'mean-nonzero' as const, implementation };
        assertClose(contrastiveLoss(e1, e2, [0, 1, 1], o).dataSync(), [(12.5 + 0.5) / 2], 1e-6, implementation);
        // Nothing costs anything: 0, not NaN.
        assertClose(contrastiveLoss(e1, e2, [1, 1, 1], { ...o, margin: 0.5 }).dataSync(), [0], 0);
        // Weights first, then the count of non-zero weighted losses.
        assertClose(contrastiveLoss(e1, e2, [0, 1, 1], { ...o, weights: [0, 2, 1] }).dataSync(), [1], 1e-6);
        const [g] = tf.grads((a: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, e2, [0, 1, 1], o) as tf.Scalar)([e1]);
        const [gSum] = tf.grads((a: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, e2, [0, 1, 1], { ...o, reduction: 'sum' }) as tf.Scalar)([e1]);
        assertClose(g.dataSync(), Array.from(gSum.dataSync(), (v) => v / 2), 1e-6, `${implementation} gradient`);
      }
      assertClose(contrastiveLossFromDistance([0, 1, 1], tf.tensor1d([5, 1, 5]), { margin: 2, reduction: 'mean-nonzero' }).dataSync(), [6.5], 1e-6);
      // Triplets: losses 0, 1.5 and 0.5 -> 1.
      const a = tf.tensor2d([[0, 0], [0, 0], [0, 0]]);
      const p = tf.tensor2d([[1, 0], [2, 0], [1, 0]]);
      const n = tf.tensor2d([[3, 0], [1.5, 0], [1.5, 0]]);
      assertClose(tripletLoss(a, p, n, { margin: 1, reduction: 'mean-nonzero' }).dataSync(), [1], 1e-6);
      const emb = tf.tensor2d([[0, 0], [1, 0], [3, 0], [2, 0], [1.5, 0]]);
      const triplets = { anchor: Int32Array.from([0, 0, 0]), positive: Int32Array.from([1, 3, 1]), negative: Int32Array.from([2, 4, 4]) };
      assertClose(tripletLossFromIndices(emb, triplets, { margin: 1, reduction: 'mean-nonzero' }).dataSync(), [1], 1e-6);
      // Mined pairs: positive D = 1 (0.5), negatives D = 3 (beyond margin 2) and D = 1.5 (0.125).
      const pairs = { a1: Int32Array.from([0]), p: Int32Array.from([1]), a2: Int32Array.from([0, 0]), n: Int32Array.from([2, 4]) };
      assertClose(pairLossFromIndices(emb, pairs, { margin: 2, reduction: 'mean-nonzero' }).dataSync(), [(0.5 + 0.125) / 2], 1e-6);
      assertClose(pairLossFromIndices(emb, pairs, { margin: 2, weights: [2, 1, 4] }).dataSync(), [(1 + 0 + 0.5) / 3], 1e-6);
    });
  });
}

test('bad weights are named', async () => {
  await withBackend('cpu', () => {
  const e = tf.tensor2d([[0, 0], [1, 1]]);
  const throwsWith = (f: () => unknown, re: RegExp) => assert.throws(f, (err: unknown) => err instanceof ContrastiveError && re.test(err.message));
  throwsWith(() => contrastiveLoss(e, e, [0, 1], { weights: [1, 2, 3] }), /contrastiveLoss: weights has 3 values but there are N = 2 pairs/);
  throwsWith(() => contrastiveLoss(e, e, [0, 1], { weights: [1, -1] }), /weights\[1\] = -1 is negative/);
  throwsWith(() => contrastiveLoss(e, e, [0, 1], { weights: [1, NaN] }), /weights\[1\] is NaN/);
  throwsWith(() => contrastiveLossFromDistance([0, 1], tf.tensor1d([1, 2]), { weights: -2 }), /contrastiveLossFromDistance: weights must be finite and >= 0, got -2/);
  throwsWith(() => contrastiveLoss(e, e, [0, 1], { reduction: 'avg' as never }), /unknown reduction 'avg' \(expected one of mean, sum, mean-nonzero, none\)/);
  });
});
