/** knn and the retrieval metrics with a distance object: the built-in objects agree with the names; a user's distance ranks by its own values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { DISTANCES, type Distance } from '../../packages/contrastive/src/distances/index.js';
import { knn, retrievalMetrics } from '../../packages/contrastive/src/eval/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

const manhattan: Distance = {
  name: 'manhattan',
  pairs: (a, b) => tf.tidy(() => tf.sum(tf.abs(tf.sub(a, b)), 1) as tf.Tensor1D),
  matrix: (x, y) => tf.tidy(() => tf.sum(tf.abs(tf.sub(tf.expandDims(x, 1), tf.expandDims(y, 0))), 2) as tf.Tensor2D),
};

test('knn and retrievalMetrics take a distance object', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(4);
    const n = 60;
    const d = 5;
    const x = Float32Array.from({ length: n * d }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    for (const name of ['euclidean', 'cosine'] as const) {
      const byName = knn(x, x, 5, name, { dim: d, excludeSelf: true, engine: 'tfjs' });
      const byObject = knn(x, x, 5, DISTANCES[name], { dim: d, excludeSelf: true });
      assert.deepEqual(Array.from(byObject.indices), Array.from(byName.indices), name);
      assertClose(byObject.distances, byName.distances, 1e-5, name);
      const a = retrievalMetrics(x, labels, { dim: d, distance: name });
      const b = retrievalMetrics(x, labels, { dim: d, distance: DISTANCES[name] });
      assertClose([b.precisionAt1, b.mapAtR], [a.precisionAt1, a.mapAtR], 1e-9, `${name} retrieval`);
    }
    // L1 neighbours by brute force in float64.
    const r = knn(x, x, 3, manhattan, { dim: d, excludeSelf: true });
    for (let q = 0; q < n; q++) {
      const all = Array.from({ length: n }, (_, j) => ({ j, v: j === q ? Infinity : Array.from({ length: d }, (_, c) => Math.abs(x[q * d + c] - x[j * d + c])).reduce((s, t) => s + t, 0) }));
      all.sort((p, s) => p.v - s.v || p.j - s.j);
      assert.deepEqual(Array.from(r.indices.subarray(q * 3, q * 3 + 3)), all.slice(0, 3).map((e) => e.j), `query ${q}`);
      assertClose(r.distances.subarray(q * 3, q * 3 + 3), all.slice(0, 3).map((e) => e.v), 1e-5, `query ${q} distances`);
    }
  });
});
