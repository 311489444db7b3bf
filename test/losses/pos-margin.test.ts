import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, assertSameValues } from '../support/helpers.js';
import { contrastiveLoss, contrastiveLossFromDistance, pairLossFromIndices } from '../../packages/contrastive/src/losses/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { finiteDifference, randomRows, refDistance, sum } from './reference.js';

/** Brute force, float64: ½max(0, D - m+)² for a similar pair, ½max(0, m - D)² for a dissimilar one (Y = 1). */
function refPosMargin(e1: number[][], e2: number[][], y: number[], margin: number, posMargin: number): number[] {
  return e1.map((a, i) => {
    const D = refDistance(a, e2[i], 'euclidean');
    return y[i] === 0 ? 0.5 * Math.max(0, D - posMargin) ** 2 : 0.5 * Math.max(0, margin - D) ** 2;
  });
}

const i32 = (v: number[]) => Int32Array.from(v);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: positive margin - per-pair values and gradients against a brute force on a tiny batch`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(3);
      const e1 = randomRows(() => rng.next(), 6, 3, 0.5);
      const e2 = randomRows(() => rng.next(), 6, 3, 0.5);
      const y = [0, 0, 0, 1, 1, 0];
      for (const posMargin of [0.2, 0.5, 0.9]) {
        const expected = refPosMargin(e1, e2, y, 1, posMargin);
        // some similar pairs inside the positive margin, some outside, so both branches are tested
        const D = e1.map((a, i) => refDistance(a, e2[i], 'euclidean'));
        const loss = contrastiveLoss(tf.tensor2d(e1), tf.tensor2d(e2), y, { margin: 1, posMargin, reduction: 'none' });
        assertClose(loss.dataSync(), expected, 1e-5, `posMargin ${posMargin} per-pair loss`);
        const fromD = contrastiveLossFromDistance(y, tf.tensor1d(D), { margin: 1, posMargin, reduction: 'none' });
        assertClose(fromD.dataSync(), expected, 1e-5, `posMargin ${posMargin} from distances`);
        // gradient of the mean against float64 central differences
        const g = tf.grad((a: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, tf.tensor2d(e2), y, { margin: 1, posMargin }))(tf.tensor2d(e1));
        const fd = finiteDifference((x) => sum(refPosMargin(x, e2, y, 1, posMargin)) / y.length, e1.map((r) => r.slice()));
        assertClose(g.dataSync(), fd, 1e-4, `posMargin ${posMargin} gradient`);
      }
      const D = e1.map((a, i) => refDistance(a, e2[i], 'euclidean'));
      assert.ok(D.some((d, i) => y[i] === 0 && d < 0.5) && D.some((d, i) => y[i] === 0 && d > 0.5), 'the batch has similar pairs on both sides of 0.5');
    });
  });

  test(`${backend}: positive margin 0 is exactly the classic formula (fused and ops paths alike)`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(9);
      const e1 = tf.tensor2d(randomRows(() => rng.next(), 16, 8));
      const e2 = tf.tensor2d(randomRows(() => rng.next(), 16, 8));
      const y = Array.from({ length: 16 }, (_, i) => i % 2);
      for (const implementation of ['fused', 'ops'] as const) {
        const seed = contrastiveLoss(e1, e2, y, { margin: 0.7, reduction: 'none', implementation }).dataSync();
        const zero = contrastiveLoss(e1, e2, y, { margin: 0.7, posMargin: 0, reduction: 'none', implementation }).dataSync();
        assertSameValues(zero, seed);
      }
    });
  });

  test(`${backend}: positive margin on mined pairs - pairLossFromIndices against a brute force`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(5);
      const rows = randomRows(() => rng.next(), 5, 4, 0.4);
      const pairs = { a1: i32([0, 1, 3, 2]), p: i32([1, 0, 4, 2]), a2: i32([0, 2, 4]), n: i32([3, 1, 0]) };
      const posMargin = 0.3;
      const expected: number[] = [];
      for (let k = 0; k < pairs.a1.length; k++) expected.push(0.5 * Math.max(0, refDistance(rows[pairs.a1[k]], rows[pairs.p[k]], 'euclidean') - posMargin) ** 2);
      for (let k = 0; k < pairs.a2.length; k++) expected.push(0.5 * Math.max(0, 0.8 - refDistance(rows[pairs.a2[k]], rows[pairs.n[k]], 'euclidean')) ** 2);
      const emb = tf.tensor2d(rows);
      assertClose(pairLossFromIndices(emb, pairs, { margin: 0.8, posMargin, reduction: 'none' }).dataSync(), expected, 1e-5, 'mined pairs');
      // (2, 2) is a row with itself: D = 0 sits inside the positive margin, so its loss and gradient are 0, not NaN
      const g = tf.grad((e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, pairs, { margin: 0.8, posMargin, reduction: 'sum' }))(emb);
      const total = (x: number[][]): number => {
        let s = 0;
        for (let k = 0; k < pairs.a1.length; k++) s += 0.5 * Math.max(0, refDistance(x[pairs.a1[k]], x[pairs.p[k]], 'euclidean') - posMargin) ** 2;
        for (let k = 0; k < pairs.a2.length; k++) s += 0.5 * Math.max(0, 0.8 - refDistance(x[pairs.a2[k]], x[pairs.n[k]], 'euclidean')) ** 2;
        return s;
      };
      assertClose(g.dataSync(), finiteDifference(total, rows.map((r) => r.slice())), 1e-4, 'mined-pair gradient');
    });
  });
}

test('positive margin: a negative or non-finite value is rejected naming the option', () => {
  const e = tf.tensor2d([[0, 1]]);
  for (const bad of [-0.1, Number.NaN, Infinity]) {
    assert.throws(() => contrastiveLoss(e, e, [0], { posMargin: bad }), (err: unknown) => err instanceof ContrastiveError && /posMargin must be a finite number >= 0/.test(err.message));
  }
});
