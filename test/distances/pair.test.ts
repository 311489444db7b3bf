import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { pairDistances, pairwiseDistanceMatrix, type DistanceName } from '../../packages/contrastive/src/distances/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { randomRows, refDistance } from '../losses/reference.js';

const t2 = (rows: number[][]) => tf.tensor2d(rows);
const NAMES: DistanceName[] = ['euclidean', 'squaredEuclidean', 'cosine'];

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: pairDistances hand values and the subgradient at D = 0`, async () => {
    await withBackend(backend, () => {
      const a = t2([[0, 0], [1, 1], [2, 0]]);
      const b = t2([[3, 4], [1, 1], [0, 2]]);
      assertClose(pairDistances(a, b).dataSync(), [5, 0, Math.sqrt(8)], 1e-6);
      assertClose(pairDistances(a, b, 'squaredEuclidean').dataSync(), [25, 0, 8], 1e-6);
      assertClose(pairDistances(a, b, 'cosine').dataSync(), [1, 0, 1], 1e-6); // zero vector: D = 1
      // Upstream dL/dD = +1 on a collapsed row: gradient 0; dL/dD = -2: -2 * u for a, +2 * u for b.
      const x = () => t2([[0.5, -0.5]]);
      for (const [g, expectA] of [[1, [0, 0]], [-2, [-2 / Math.SQRT2, -2 / Math.SQRT2]]] as const) {
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => pairDistances(p as tf.Tensor2D, q as tf.Tensor2D))([x(), x()], tf.tensor1d([g]));
        assertClose(ga.dataSync(), expectA, 1e-6, `dL/dD = ${g}, d/da`);
        assertClose(gb.dataSync(), expectA.map((v) => -v), 1e-6, `dL/dD = ${g}, d/db`);
      }
      // Cosine with a zero vector: finite gradients.
      const [gz] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(pairDistances(p as tf.Tensor2D, q as tf.Tensor2D, 'cosine')))([t2([[0, 0]]), t2([[1, 2]])]);
      for (const v of gz.dataSync()) assert.ok(Number.isFinite(v));
    });
  });

  test(`${backend}: large-norm rows (~1e4, tiny difference) keep their exact distance`, async () => {
    await withBackend(backend, () => {
      const d = 128;
      const a = Array.from({ length: d }, (_, j) => 1e4 + j * 0.5);
      const b = a.map((v, j) => (j % 32 === 0 ? v + 0.0078125 : v));
      const exact = Math.sqrt(4 * 0.0078125 ** 2);
      assertClose(pairDistances(t2([a]), t2([b])).dataSync(), [exact], 1e-4, 'pairDistances');
      const m = pairwiseDistanceMatrix(t2([a, b]));
      assertClose(m, [0, exact, exact, 0], 1e-4, 'pairwiseDistanceMatrix');
    });
  });

  test(`${backend}: pairwiseDistanceMatrix equals a brute-force float64 reference`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(2);
      const x = randomRows(() => rng.next(), 7, 5);
      const y = randomRows(() => rng.next(), 4, 5);
      for (const name of NAMES) {
        const self = pairwiseDistanceMatrix(t2(x), undefined, name);
        const expectSelf = x.flatMap((r, i) => x.map((s, j) => (i === j ? 0 : refDistance(r, s, name))));
        assertClose(self, expectSelf, 1e-6, `${name} self`);
        const cross = pairwiseDistanceMatrix(new Float32Array(x.flat()), new Float32Array(y.flat()), name, 5);
        assertClose(cross, x.flatMap((r) => y.map((s) => refDistance(r, s, name))), 1e-6, `${name} cross`);
        assertClose(pairDistances(t2(x.slice(0, 4)), t2(y), name).dataSync(), y.map((s, i) => refDistance(x[i], s, name)), 1e-5, `${name} rows`);
      }
    });
  });
}

test('distances reject bad input by name', () => {
  const e = t2([[0, 0], [1, 1]]);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => pairDistances(e, t2([[0, 0, 0], [1, 1, 1]])), /pairDistances: a and b must have the same dimension d, got 2 and 3/],
    [() => pairDistances(e, t2([[0, 0]])), /same number of rows N, got 2 and 1/],
    [() => pairDistances(e, e, 'l1' as never), /pairDistances: unknown distance 'l1'/],
    [() => pairwiseDistanceMatrix(new Float32Array(6)), /pairwiseDistanceMatrix: dim \(a positive integer\) is required/],
    [() => pairwiseDistanceMatrix(new Float32Array(7), null, 'euclidean', 2), /has 7 values, not a multiple of dim 2/],
    [() => pairwiseDistanceMatrix(e, t2([[1, 2, 3]])), /x and y must have the same dimension d, got 2 and 3/],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (err: unknown) => err instanceof ContrastiveError && message.test(err.message), String(message));
  }
});
