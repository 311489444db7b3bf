import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss, pairLossFromIndices, tripletLoss, tripletLossFromIndices } from '../../packages/contrastive/src/losses/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { finiteDifference, randomRows, refTriplet, sum, type Dist } from './reference.js';

const t2 = (rows: number[][]) => tf.tensor2d(rows);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: triplet loss hand values, reductions, float64 finite differences`, async () => {
    await withBackend(backend, () => {
      // d(a,p) = 1, d(a,n) = 3 -> max(0, 1 - 3 + 1) = 0;  d(a,p) = 2, d(a,n) = 1 -> 2
      const a = t2([[0, 0], [0, 0]]);
      const p = t2([[1, 0], [0, 2]]);
      const n = t2([[3, 0], [1, 0]]);
      assertClose(tripletLoss(a, p, n, { reduction: 'none' }).dataSync(), [0, 2], 1e-6);
      assertClose(tripletLoss(a, p, n).dataSync(), [1], 1e-6);
      assertClose(tripletLoss(a, p, n, { reduction: 'sum', margin: 3 }).dataSync(), [1 + 4], 1e-6);
      assertClose(tripletLoss(a, p, n, { distance: 'squaredEuclidean', reduction: 'none' }).dataSync(), [0, 4], 1e-6);

      const rng = new Rng(5);
      const rand = () => rng.next();
      const [A, P, N] = [randomRows(rand, 5, 4), randomRows(rand, 5, 4), randomRows(rand, 5, 4)];
      for (const dist of ['euclidean', 'squaredEuclidean', 'cosine'] as Dist[]) {
        const margin = dist === 'cosine' ? 0.3 : 1;
        const ref = (x: number[][], y: number[][], z: number[][]) => sum(refTriplet(x, y, z, margin, dist)) / 5;
        const hinge = refTriplet(A, P, N, margin, dist);
        for (const h of hinge) assert.ok(Math.abs(h) > 1e-3 || h === 0, 'no triplet sits on the hinge kink');
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tripletLoss(x as tf.Tensor2D, y as tf.Tensor2D, z as tf.Tensor2D, { margin, distance: dist });
        const g = tf.grads(f)([t2(A), t2(P), t2(N)]);
        assertClose(g[0].dataSync(), finiteDifference((x) => ref(x, P, N), A), 2e-4, `${dist} anchor`);
        assertClose(g[1].dataSync(), finiteDifference((y) => ref(A, y, N), P), 2e-4, `${dist} positive`);
        assertClose(g[2].dataSync(), finiteDifference((z) => ref(A, P, z), N), 2e-4, `${dist} negative`);
      }
    });
  });

  test(`${backend}: triplet loss at collapsed rows has finite gradients and separates anchor and negative`, async () => {
    await withBackend(backend, () => {
      const x = () => t2([[0.1, 0.2, 0.3]]); // three tensors with the same values
      const [ga, gp, gn] = tf.grads((a: tf.Tensor, p: tf.Tensor, n: tf.Tensor) => tripletLoss(a as tf.Tensor2D, p as tf.Tensor2D, n as tf.Tensor2D))([x(), x(), x()]);
      for (const v of [...ga.dataSync(), ...gp.dataSync(), ...gn.dataSync()]) assert.ok(Number.isFinite(v));
      const u = 1 / Math.sqrt(3);
      assertClose(gn.dataSync(), [u, u, u], 1e-6, 'negative moves away along u under descent');
      assertClose(gp.dataSync(), [0, 0, 0], 0, 'a collapsed positive needs no move');
      assertClose(ga.dataSync(), [-u, -u, -u], 1e-6, 'the anchor moves the other way');
    });
  });
}

test('cpu: index-based losses equal the direct losses on gathered rows, gradients included', async () => {
  await withBackend('cpu', () => {
    const rng = new Rng(9);
    const emb = t2(randomRows(() => rng.next(), 6, 3, 0.4));
    const pairs = { a1: Int32Array.from([0, 2]), p: Int32Array.from([1, 3]), a2: Int32Array.from([0, 4, 5]), n: Int32Array.from([5, 1, 2]) };
    for (const convention of ['hadsell', 'tfa'] as const) {
      const direct = (e: tf.Tensor) => {
        const r = (idx: number[]) => tf.gather(e, idx) as tf.Tensor2D;
        const labels = convention === 'tfa' ? [1, 1, 0, 0, 0] : [0, 0, 1, 1, 1];
        return contrastiveLoss(r([0, 2, 0, 4, 5]), r([1, 3, 5, 1, 2]), labels, { margin: 1.5, convention });
      };
      const mined = (e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, pairs, { margin: 1.5, convention });
      assertClose(mined(emb).dataSync(), direct(emb).dataSync(), 1e-6, `${convention} value`);
      assertClose(tf.grad(mined)(emb).dataSync(), tf.grad(direct)(emb).dataSync(), 1e-6, `${convention} gradient`);
    }
    const triplets = { anchor: Int32Array.from([0, 1]), positive: Int32Array.from([2, 3]), negative: Int32Array.from([4, 5]) };
    const viaIdx = (e: tf.Tensor) => tripletLossFromIndices(e as tf.Tensor2D, triplets, { margin: 2 });
    const direct = (e: tf.Tensor) => tripletLoss(tf.gather(e, [0, 1]) as tf.Tensor2D, tf.gather(e, [2, 3]) as tf.Tensor2D, tf.gather(e, [4, 5]) as tf.Tensor2D, { margin: 2 });
    assertClose(viaIdx(emb).dataSync(), direct(emb).dataSync(), 1e-6);
    assertClose(tf.grad(viaIdx)(emb).dataSync(), tf.grad(direct)(emb).dataSync(), 1e-6);
    // And both against the float64 reference on the same rows.
    const ev = emb.arraySync() as number[][];
    const pick = (idx: number[]) => idx.map((i) => ev[i]);
    assertClose(viaIdx(emb).dataSync(), [sum(refTriplet(pick([0, 1]), pick([2, 3]), pick([4, 5]), 2, 'euclidean')) / 2], 1e-6, 'reference');
    // Nothing mined: a zero loss with a zero gradient.
    const empty = { a1: new Int32Array(0), p: new Int32Array(0), a2: new Int32Array(0), n: new Int32Array(0) };
    assertClose(pairLossFromIndices(emb, empty).dataSync(), [0]);
    assertClose(tf.grad((e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, empty))(emb).dataSync(), new Array(18).fill(0));
  });
});

test('wasm: index-based pair loss gradient (no gather gradient needed)', async () => {
  await withBackend('wasm', () => {
    const emb = t2([[0, 0], [1, 0], [0, 0.5]]);
    const pairs = { a1: Int32Array.from([0]), p: Int32Array.from([1]), a2: Int32Array.from([0]), n: Int32Array.from([2]) };
    const g = tf.grad((e: tf.Tensor) => pairLossFromIndices(e as tf.Tensor2D, pairs, { margin: 1 }))(emb);
    // mean of 0.5*1 (similar, D = 1) and 0.5*(1 - 0.5)^2: d/de0 = [-0.5, 0] + [0, 0.25]
    assertClose(g.dataSync(), [-0.5, 0.25, 0.5, 0, 0, -0.25], 1e-6);
  });
});

test('triplet and index-based losses reject bad input by name', () => {
  const e = t2([[0, 0], [1, 1]]);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => tripletLoss(e, e, t2([[0, 0]])), /tripletLoss: anchor and negative must have the same number of rows N, got 2 and 1/],
    [() => tripletLoss(e, e, e, { margin: -0.5 }), /tripletLoss: margin must be a finite number >= 0/],
    [() => tripletLoss(t2([[NaN, 0], [1, 1]]), e, e), /tripletLoss: d\(anchor, positive\) of triplet 0 is not finite/],
    [() => pairLossFromIndices(e, { a1: Int32Array.from([0]), p: Int32Array.from([2]), a2: new Int32Array(0), n: new Int32Array(0) }), /pairs.p\[0\] = 2 is not a row index in \[0, 2\)/],
    [() => pairLossFromIndices(e, { a1: Int32Array.from([0, 1]), p: Int32Array.from([1]), a2: new Int32Array(0), n: new Int32Array(0) }), /pairs.a1 has 2 indices but pairs.p has 1/],
    [() => tripletLossFromIndices(e, { anchor: Int32Array.from([0]), positive: Int32Array.from([1]), negative: new Int32Array(0) }), /same length/],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (err: unknown) => err instanceof ContrastiveError && message.test(err.message), String(message));
  }
});
