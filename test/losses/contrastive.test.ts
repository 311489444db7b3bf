import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss, contrastiveLossFromDistance, contrastiveLossFn, type ContrastiveLossOptions } from '../../packages/contrastive/src/losses/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { finiteDifference, randomRows, refContrastive, sum, type Conv, type Dist } from './reference.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const t2 = (rows: number[][]) => tf.tensor2d(rows);

// Pairs: D = 5 similar, D = 1 dissimilar (inside margin 2), D = 5 dissimilar (beyond it).
const E1 = [[0, 0], [0, 0], [1, 1]];
const E2 = [[3, 4], [0.6, 0.8], [4, 5]];

for (const backend of BACKENDS) {
  test(`${backend}: hand-computed values for each reduction and convention`, async () => {
    await withBackend(backend, () => {
      const cases: Array<{ o: ContrastiveLossOptions; y: number[]; none: number[] }> = [
        { o: { margin: 2 }, y: [0, 1, 1], none: [12.5, 0.5, 0] },
        { o: { margin: 2, convention: 'hadsell' }, y: [0, 1, 1], none: [12.5, 0.5, 0] },
        { o: { margin: 2, convention: 'tfa' }, y: [1, 0, 0], none: [25, 1, 0] },
        { o: { margin: 2, convention: 'keras-io' }, y: [0, 1, 1], none: [25, 1, 0] },
        { o: { margin: 2, distance: 'squaredEuclidean' }, y: [0, 1, 1], none: [312.5, 0.5, 0] },
        { o: { margin: 1.5, distance: 'cosine' }, y: [1, 1, 0], none: [0.5 * 0.5 ** 2, 0.5 * 0.5 ** 2, 0.5 * (1 - 9 / Math.sqrt(2 * 41)) ** 2] }, // a zero vector has D = 1
      ];
      for (const { o, y, none } of cases) {
        for (const implementation of ['fused', 'ops'] as const) {
          const opts = { ...o, implementation };
          assertClose(contrastiveLoss(t2(E1), t2(E2), y, { ...opts, reduction: 'none' }).dataSync(), none, 1e-6, JSON.stringify(opts));
          assertClose(contrastiveLoss(t2(E1), t2(E2), y, { ...opts, reduction: 'sum' }).dataSync(), [sum(none)], 1e-6);
          assertClose(contrastiveLoss(t2(E1), t2(E2), tf.tensor1d(y), opts).dataSync(), [sum(none) / 3], 1e-6);
        }
      }
      // The default is Hadsell with margin 1: only the similar pair and nothing else.
      assertClose(contrastiveLoss(t2(E1), t2(E2), [0, 1, 1]).dataSync(), [12.5 / 3], 1e-6);
    });
  });

  test(`${backend}: gradients match float64 central differences (random pairs, D at the margin, every convention and distance)`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(7);
      const rand = () => rng.next();
      const n = 6;
      const d = 5;
      const margin = 1;
      const e1 = randomRows(rand, n, d, 0.5);
      const e2 = randomRows(rand, n, d, 0.5);
      // Row 5: a dissimilar pair exactly at the margin (D = 1 in float32 and float64).
      e1[5] = [0.5, 0, 0, 0, 0];
      e2[5] = [-0.5, 0, 0, 0, 0];
      const y = [0, 1, 0, 1, 1, 1];
      const dy = [0.3, -0.7, 1.1, 0.9, 2, 0.5];
      for (const conv of ['hadsell', 'tfa', 'keras-io'] as Conv[]) {
        const labels = conv === 'tfa' ? y.map((v) => 1 - v) : y;
        for (const dist of ['euclidean', 'squaredEuclidean', 'cosine'] as Dist[]) {
          for (const implementation of ['fused', 'ops'] as const) {
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              const weight = (i: number) => (reduction === 'none' ? dy[i] : reduction === 'mean' ? 1 / n : 1);
              const ref = (a: number[][], b: number[][]) => sum(refContrastive(a, b, labels, margin, conv, dist).map((l, i) => l * weight(i)));
              const fdA = finiteDifference((a) => ref(a, e2), e1);
              const fdB = finiteDifference((b) => ref(e1, b), e2);
              const f = (a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, { margin, convention: conv, distance: dist, implementation, reduction });
              const [ga, gb] = tf.grads(f)([t2(e1), t2(e2)], reduction === 'none' ? tf.tensor1d(dy) : undefined);
              const what = `${conv}/${dist}/${implementation}/${reduction}`;
              assertClose(ga.dataSync(), fdA, 2e-4, `${what} d/demb1`);
              assertClose(gb.dataSync(), fdB, 2e-4, `${what} d/demb2`);
            }
          }
        }
      }
    });
  });

  test(`${backend}: identical embeddings (D = 0) give finite gradients; a collapsed dissimilar pair is pushed apart`, async () => {
    await withBackend(backend, () => {
      const a = [[0.2, -0.1, 0.4], [0.3, 0.3, 0.3]];
      for (const implementation of ['fused', 'ops'] as const) {
        for (const label of [0, 1]) {
          const x1 = t2(a);
          const x2 = t2(a);
          const f = (p: tf.Tensor, q: tf.Tensor) => contrastiveLoss(p as tf.Tensor2D, q as tf.Tensor2D, [label, label], { implementation });
          const [ga, gb] = tf.grads(f)([x1, x2]);
          const g1 = ga.dataSync();
          const g2 = gb.dataSync();
          for (const v of [...g1, ...g2]) assert.ok(Number.isFinite(v), `${implementation} label ${label}: gradient ${v}`);
          if (label === 0) {
            assertClose(g1, new Array(6).fill(0), 0, 'similar pair at D = 0 has zero gradient');
          } else {
            // dL/dD = -m (hadsell, 1/2 * 2), along u = 1/sqrt(3), averaged over 2 pairs.
            assertClose(g1, new Array(6).fill(-1 / Math.sqrt(3) / 2), 1e-6, 'collapsed dissimilar gradient');
            const step = 0.1;
            const moved1 = tf.sub(x1, tf.mul(ga, step)) as tf.Tensor2D;
            const moved2 = tf.sub(x2, tf.mul(gb, step)) as tf.Tensor2D;
            const dist = tf.sqrt(tf.sum(tf.square(tf.sub(moved1, moved2)), 1)).dataSync();
            for (const v of dist) assert.ok(v > 0.01, `a descent step separates the pair: D = ${v}`);
          }
        }
      }
    });
  });

  test(`${backend}: the fused pass equals the TF.js-ops path (values and gradients)`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(3);
      const n = 300;
      const d = 37; // not a multiple of 4: exercises the loop tails
      const e1 = tf.tensor2d(randomRows(() => rng.next(), n, d, 0.2));
      const e2 = tf.tensor2d(randomRows(() => rng.next(), n, d, 0.2));
      const y = Array.from({ length: n }, () => rng.int(2));
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const run = (implementation: 'fused' | 'ops') =>
          tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, y, { reduction, margin: 1.2, implementation }))([e1, e2]);
        const fused = run('fused');
        const ops = run('ops');
        assertClose(fused.value.dataSync(), ops.value.dataSync(), 1e-5, `${reduction} value`);
        assertClose(fused.grads[0].dataSync(), ops.grads[0].dataSync(), 1e-5, `${reduction} d/demb1`);
        assertClose(fused.grads[1].dataSync(), ops.grads[1].dataSync(), 1e-5, `${reduction} d/demb2`);
      }
    });
  });

  test(`${backend}: trains inside optimizer.minimize and leaks no tensors`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(11);
      const v1 = tf.variable(tf.tensor2d(randomRows(() => rng.next(), 8, 4, 0.5)));
      const v2 = tf.variable(tf.tensor2d(randomRows(() => rng.next(), 8, 4, 0.5)));
      const y = [0, 1, 0, 1, 0, 1, 0, 1];
      const opt = tf.train.sgd(0.5);
      const loss = () => contrastiveLoss(v1 as unknown as tf.Tensor2D, v2 as unknown as tf.Tensor2D, y) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0]);
      opt.minimize(loss); // warm-up allocates the optimizer state
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) opt.minimize(loss);
      assert.equal(tf.memory().numTensors, before);
      const last = tf.tidy(() => loss().dataSync()[0]);
      assert.ok(last < first * 0.5, `loss fell from ${first} to ${last}`);
      tf.dispose([v1, v2]);
      opt.dispose();
    });
  });

  test(`${backend}: large-norm embeddings (~1e4, tiny difference) give the accurate loss`, async () => {
    await withBackend(backend, () => {
      const d = 64;
      const a = Array.from({ length: d }, (_, j) => 1e4 + j);
      const b = a.map((v, j) => (j < 4 ? v + 0.0078125 : v)); // exact float32 steps at 1e4
      const trueSq = 4 * 0.0078125 ** 2;
      for (const implementation of ['fused', 'ops'] as const) {
        const l = contrastiveLoss(t2([a]), t2([b]), [0], { implementation }).dataSync()[0];
        assertClose([l], [0.5 * trueSq], 1e-4, implementation);
      }
    });
  });
}

test('contrastiveLossFromDistance and contrastiveLossFn: same formula on precomputed distances', () => {
  const dist = tf.tensor1d([5, 1, 5]);
  assertClose(contrastiveLossFromDistance([0, 1, 1], dist, { margin: 2, reduction: 'none' }).dataSync(), [12.5, 0.5, 0], 1e-6);
  assertClose(contrastiveLossFromDistance([1, 0, 0], dist, { margin: 2, convention: 'tfa', reduction: 'sum' }).dataSync(), [26], 1e-6);
  const keras = contrastiveLossFn({ margin: 2 });
  const value = keras(tf.tensor2d([[0], [1], [1]]), tf.tensor2d([[5], [1], [5]]));
  assert.equal(value.rank, 0);
  assertClose(value.dataSync(), [13 / 3], 1e-6);
  const g = tf.grad((x: tf.Tensor) => contrastiveLossFromDistance([0, 1], x, { margin: 2 }))(tf.tensor1d([0, 0]));
  assertClose(g.dataSync(), [0, -1], 1e-6); // d/dD: D (similar) and -(m - D) (dissimilar), mean over 2
  assert.throws(() => contrastiveLossFn({ reduction: 'none' }), /contrastiveLossFn: reduction 'none'/);
  assert.throws(() => contrastiveLossFromDistance([0, 1], tf.tensor1d([1, -1])), /distances\[1\] = -1 is negative/);
});

test('bad input is a ContrastiveError that names the problem', () => {
  const e = t2([[0, 0], [1, 1]]);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => contrastiveLoss(e, t2([[0, 0]]), [0, 1]), /contrastiveLoss: emb1 and emb2 must have the same number of rows N, got 2 and 1/],
    [() => contrastiveLoss(e, t2([[0, 0, 0], [1, 1, 1]]), [0, 1]), /same dimension d, got 2 and 3/],
    [() => contrastiveLoss(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, e, [0, 1]), /emb1 must be a 2-D \[N, d\] tensor, got shape \[2\]/],
    [() => contrastiveLoss(e, e, [0, 2]), /labels\[1\] = 2, labels must be 0 or 1 \(convention 'hadsell': 0 = similar, 1 = dissimilar\)/],
    [() => contrastiveLoss(e, e, [0, NaN]), /labels\[1\] is NaN/],
    [() => contrastiveLoss(e, e, [0, 1, 1]), /labels has 3 values but the embeddings have N = 2 rows/],
    [() => contrastiveLoss(t2([[0, NaN], [1, 1]]), e, [0, 1]), /emb1 has a non-finite value \(NaN\) at row 0, column 1/],
    [() => contrastiveLoss(e, t2([[0, 0], [Infinity, 1]]), [0, 1], { implementation: 'ops' }), /distance of row 1 is/],
    [() => contrastiveLoss(e, e, [0, 1], { margin: -1 }), /margin must be a finite number >= 0, got -1/],
    [() => contrastiveLoss(e, e, [0, 1], { reduction: 'avg' as never }), /unknown reduction 'avg'/],
    [() => contrastiveLoss(e, e, [0, 1], { convention: 'pml' as never }), /unknown convention 'pml'/],
    [() => contrastiveLoss(e, e, [0, 1], { distance: 'manhattan' as never }), /unknown distance 'manhattan'/],
    [() => contrastiveLoss(e, e, [0, 1], { margn: 1 } as never), /unknown option 'margn'/],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (err: unknown) => err instanceof ContrastiveError && message.test(err.message), String(message));
  }
});
