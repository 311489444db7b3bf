import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss, pairLossFromIndices, tripletLoss, tripletLossFromIndices, type Reduction } from '../../packages/contrastive/src/losses/index.js';
import { indexPairDistances, pairDistances, pairwiseDistanceMatrix } from '../../packages/contrastive/src/distances/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { randomRows, type Conv, type Dist } from './reference.js';

const DISTANCES: Dist[] = ['euclidean', 'squaredEuclidean', 'cosine'];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

// The previous implementation, kept as the reference: gather the rows of every tuple.
const rowsOf = (e: tf.Tensor, idx: ArrayLike<number>) => tf.gather(e, tf.tensor1d(Int32Array.from(idx), 'int32')) as tf.Tensor2D;

/** 9 rows, d = 4, with duplicates: row 3 = row 1, rows 6 and 7 = row 0 (D = 0 between them). */
function batchWithDuplicates(seed: number): number[][] {
  const rng = new Rng(seed);
  const rows = randomRows(() => rng.next(), 9, 4, 0.6);
  rows[3] = [...rows[1]];
  rows[6] = [...rows[0]];
  rows[7] = [...rows[0]];
  return rows;
}

const i32 = (v: number[]) => Int32Array.from(v);
/** Weighted sum of a [T] loss, so that per-item gradients of 'none' are compared too. */
const weighted = (t: tf.Tensor, w: tf.Tensor) => (t.rank === 0 ? t : tf.sum(tf.mul(t, w)));

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: indexPairDistances equals pairDistances on gathered rows, values and gradients, collapsed pairs included`, async () => {
    await withBackend(backend, () => {
      const emb = tf.tensor2d(batchWithDuplicates(1));
      // (1,3), (0,6), (6,7) are collapsed; (0,6) appears in both orders and twice with
      // opposite upstream signs; (2,2) is a row against itself.
      const first = [0, 1, 3, 0, 6, 0, 6, 2, 4, 5, 8, 2, 7];
      const second = [2, 3, 1, 6, 0, 6, 7, 2, 5, 4, 1, 8, 6];
      const w = tf.tensor1d([0.3, -0.7, 0.2, -1.1, 0.4, 0.9, -0.5, -0.6, 1.3, -0.2, 0.8, -1.4, -0.3]);
      for (const dist of DISTANCES) {
        const ours = (e: tf.Tensor) => tf.sum(tf.mul(indexPairDistances(e as tf.Tensor2D, first, second, dist), w));
        const ref = (e: tf.Tensor) => tf.sum(tf.mul(pairDistances(rowsOf(e, first), rowsOf(e, second), dist), w));
        assertClose(indexPairDistances(emb, first, second, dist).dataSync(), pairDistances(rowsOf(emb, first), rowsOf(emb, second), dist).dataSync(), 1e-6, `${dist} values`);
        const g = tf.grad(ours)(emb).dataSync();
        for (const v of g) assert.ok(Number.isFinite(v), `${dist}: finite gradient`);
        assertClose(g, tf.grad(ref)(emb).dataSync(), 2e-5, `${dist} gradient`);
      }
    });
  });

  test(`${backend}: tripletLossFromIndices equals tripletLoss on gathered rows (3 distances, 3 reductions, collapsed rows)`, async () => {
    await withBackend(backend, () => {
      const emb = tf.tensor2d(batchWithDuplicates(2));
      // Anchor 0: positive 6 is collapsed, negative 7 is collapsed too (loss = margin, pushed apart).
      const anchor = [0, 0, 1, 1, 2, 4, 5, 8, 3, 6];
      const positive = [6, 2, 3, 4, 0, 5, 4, 1, 1, 7];
      const negative = [7, 1, 0, 2, 5, 8, 6, 2, 1, 0];
      const w = tf.tensor1d(anchor.map((_, k) => 0.5 + 0.1 * k));
      const triplets = { anchor: i32(anchor), positive: i32(positive), negative: i32(negative) };
      for (const dist of DISTANCES) {
        for (const reduction of REDUCTIONS) {
          const options = { margin: dist === 'cosine' ? 0.4 : 0.8, distance: dist, reduction };
          const ours = (e: tf.Tensor) => tripletLossFromIndices(e as tf.Tensor2D, triplets, options);
          const ref = (e: tf.Tensor) => tripletLoss(rowsOf(e, anchor), rowsOf(e, positive), rowsOf(e, negative), options);
          assertClose(ours(emb).dataSync(), ref(emb).dataSync(), 1e-5, `${dist} ${reduction} value`);
          const g = tf.grad((e) => weighted(ours(e), w))(emb).dataSync();
          assertClose(g, tf.grad((e) => weighted(ref(e), w))(emb).dataSync(), 2e-5, `${dist} ${reduction} gradient`);
        }
      }
    });
  });

  test(`${backend}: pairLossFromIndices equals contrastiveLoss on gathered rows (conventions, distances, reductions, collapsed rows)`, async () => {
    await withBackend(backend, () => {
      const emb = tf.tensor2d(batchWithDuplicates(3));
      // Collapsed positives (1,3) and (0,6); collapsed negatives (6,7) and (7,0) (pushed apart).
      const pairs = { a1: i32([1, 0, 2, 4, 8]), p: i32([3, 6, 5, 2, 1]), a2: i32([6, 7, 0, 2, 5, 1]), n: i32([7, 0, 4, 8, 3, 2]) };
      const first = [...pairs.a1, ...pairs.a2];
      const second = [...pairs.p, ...pairs.n];
      const w = tf.tensor1d(first.map((_, k) => 1 - 0.15 * k));
      for (const convention of ['hadsell', 'tfa', 'keras-io'] as Conv[]) {
        const similar = convention === 'tfa' ? 1 : 0;
        const labels = first.map((_, k) => (k < pairs.a1.length ? similar : 1 - similar));
        for (const dist of DISTANCES) {
          for (const reduction of REDUCTIONS) {
            const options = { margin: dist === 'cosine' ? 0.5 : 1.2, distance: dist, reduction, convention };
            const ours = (e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, pairs, options);
            const ref = (e: tf.Tensor) => contrastiveLoss(rowsOf(e, first), rowsOf(e, second), labels, options);
            const what = `${convention} ${dist} ${reduction}`;
            assertClose(ours(emb).dataSync(), ref(emb).dataSync(), 1e-5, `${what} value`);
            const g = tf.grad((e) => weighted(ours(e), w))(emb).dataSync();
            assertClose(g, tf.grad((e) => weighted(ref(e), w))(emb).dataSync(), 2e-5, `${what} gradient`);
          }
        }
      }
      // Positives only and negatives only.
      const posOnly = { a1: i32([0, 2]), p: i32([1, 4]), a2: i32([]), n: i32([]) };
      const negOnly = { a1: i32([]), p: i32([]), a2: i32([0, 2]), n: i32([1, 4]) };
      assertClose(pairLossFromIndices(emb, posOnly).dataSync(), contrastiveLoss(rowsOf(emb, [0, 2]), rowsOf(emb, [1, 4]), [0, 0]).dataSync(), 1e-6);
      assertClose(pairLossFromIndices(emb, negOnly).dataSync(), contrastiveLoss(rowsOf(emb, [0, 2]), rowsOf(emb, [1, 4]), [1, 1]).dataSync(), 1e-6);
    });
  });

  test(`${backend}: every triplet of a 32-row batch matches the gather path`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(4);
      const emb = tf.tensor2d(randomRows(() => rng.next(), 32, 8));
      const labels = Array.from({ length: 32 }, (_, i) => i % 4);
      const a: number[] = [];
      const p: number[] = [];
      const n: number[] = [];
      for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) for (let k = 0; k < 32; k++) {
        if (i !== j && labels[i] === labels[j] && labels[k] !== labels[i]) a.push(i), p.push(j), n.push(k);
      }
      assert.equal(a.length, 32 * 7 * 24);
      const triplets = { anchor: i32(a), positive: i32(p), negative: i32(n) };
      const ours = (e: tf.Tensor) => tripletLossFromIndices(e as tf.Tensor2D, triplets, { margin: 1 });
      const ref = (e: tf.Tensor) => tripletLoss(rowsOf(e, a), rowsOf(e, p), rowsOf(e, n), { margin: 1 });
      assertClose(ours(emb).dataSync(), ref(emb).dataSync(), 1e-5, 'value');
      assertClose(tf.grad(ours)(emb).dataSync(), tf.grad(ref)(emb).dataSync(), 1e-5, 'gradient');
    });
  });

  test(`${backend}: nothing mined gives a zero that depends on the embeddings`, async () => {
    await withBackend(backend, () => {
      const emb = tf.tensor2d(batchWithDuplicates(5));
      const v = tf.variable(emb);
      const none = { a1: i32([]), p: i32([]), a2: i32([]), n: i32([]) };
      const noTriplets = { anchor: i32([]), positive: i32([]), negative: i32([]) };
      for (const f of [(e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, none), (e: tf.Tensor) => tripletLossFromIndices(e as tf.Tensor2D, noTriplets)]) {
        const { value, grads } = tf.variableGrads(() => f(v) as tf.Scalar, [v]);
        assert.deepEqual(value.shape, []);
        assertClose(value.dataSync(), [0]);
        assertClose(grads[v.name].dataSync(), new Array(36).fill(0));
      }
      assert.deepEqual(pairLossFromIndices(emb, none, { reduction: 'none' }).shape, [0]);
      assert.deepEqual(indexPairDistances(emb, [], []).shape, [0]);
    });
  });

  test(`${backend}: 2.6M triplets of a 256-row batch: right loss, no tensor left behind across steps`, async () => {
    await withBackend(backend, () => {
      // The m-per-class setup of the trainer with 5 classes: 256 rows, every valid triplet.
      const B = 256;
      const d = 64;
      const rng = new Rng(6);
      const labels = Array.from({ length: B }, (_, i) => i % 5);
      const anchor = new Int32Array(B * B * B);
      const positive = new Int32Array(anchor.length);
      const negative = new Int32Array(anchor.length);
      let t = 0;
      for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) {
        if (i === j || labels[i] !== labels[j]) continue;
        for (let k = 0; k < B; k++) if (labels[k] !== labels[i]) (anchor[t] = i), (positive[t] = j), (negative[t] = k), t++;
      }
      assert.ok(t > 2_500_000, `${t} triplets`);
      const triplets = { anchor: anchor.subarray(0, t), positive: positive.subarray(0, t), negative: negative.subarray(0, t) };
      const emb = tf.variable(tf.tensor2d(Float32Array.from({ length: B * d }, () => rng.next() * 2 - 1), [B, d]));
      const optimizer = tf.train.sgd(0.1);
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        // Reference value in float64 from the (independently computed) distance matrix.
        const dm = pairwiseDistanceMatrix(emb);
        let expected = 0;
        for (let k = 0; k < t; k++) expected += Math.max(0, dm[anchor[k] * B + positive[k]] - dm[anchor[k] * B + negative[k]] + 1);
        expected /= t;
        const cost = optimizer.minimize(() => tripletLossFromIndices(emb, triplets, { margin: 1 }) as tf.Scalar, true);
        assertClose(cost!.dataSync(), [expected], 1e-4, `step ${step} loss`);
        cost!.dispose();
        counts.push(tf.memory().numTensors);
      }
      assert.equal(counts[2], counts[1], `tensor count stable across steps: ${counts.join(', ')}`);
      optimizer.dispose();
      emb.dispose();
    });
  });
}

test('index-based losses reject a non-finite embedding and bad indices by name', () => {
  const e = tf.tensor2d([[0, 0], [1, NaN], [2, 2]]);
  const triplets = { anchor: i32([0]), positive: i32([2]), negative: i32([1]) };
  const cases: Array<[() => unknown, RegExp]> = [
    [() => tripletLossFromIndices(e, triplets), /tripletLossFromIndices: embeddings has a non-finite value \(NaN\) at row 1, column 1/],
    [() => pairLossFromIndices(e, { a1: i32([0]), p: i32([2]), a2: i32([]), n: i32([]) }), /pairLossFromIndices: embeddings has a non-finite value/],
    [() => tripletLossFromIndices(tf.tensor2d([[3e38, 0], [-3e38, 0]]), { anchor: i32([0]), positive: i32([0]), negative: i32([1]) }), /tripletLossFromIndices: the distance between rows 0 and 1 overflows float32/],
    [() => indexPairDistances(e, [0, 3], [1, 1]), /indexPairDistances: first\[1\] = 3 is not a row index in \[0, 3\)/],
    [() => indexPairDistances(e, [0], [1, 2]), /indexPairDistances: first has 1 indices but second has 2/],
    [() => indexPairDistances(e, [0], [1], 'manhattan' as Dist), /indexPairDistances: unknown distance 'manhattan'/],
    [() => indexPairDistances(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, [0], [1]), /indexPairDistances: embeddings must be a 2-D/],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (err: unknown) => err instanceof ContrastiveError && message.test(err.message), String(message));
  }
});
