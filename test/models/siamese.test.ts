import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertClose, withBackend } from '../support/helpers.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { SiameseNetwork, l2Normalize, mlpEncoder, sequenceEncoder } from '../../packages/contrastive/src/models/index.js';

const isErr = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

/** Brute-force reference distances between rows, in float64. */
function referenceDistances(a: number[][], b: number[][], distance: string): number[] {
  return a.map((row, i) => {
    const other = b[i];
    const sq = row.reduce((s, v, k) => s + (v - other[k]) ** 2, 0);
    if (distance === 'euclidean') return Math.sqrt(sq);
    if (distance === 'squaredEuclidean') return sq;
    const dot = row.reduce((s, v, k) => s + v * other[k], 0);
    const na = Math.hypot(...row);
    const nb = Math.hypot(...other);
    return 1 - dot / (na * nb);
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`embed shares the encoder's weights between both inputs and distance matches a brute-force reference (${backend})`, async () => {
    await withBackend(backend, () => {
      for (const distance of ['euclidean', 'squaredEuclidean', 'cosine'] as const) {
        for (const normalize of [false, true]) {
          const net = new SiameseNetwork(mlpEncoder({ inputShape: [5], hidden: [6], embeddingDim: 3, seed: 5 }), { distance, normalize });
          const x1 = tf.randomNormal([7, 5], 0, 1, 'float32', 1);
          const x2 = tf.randomNormal([7, 5], 0, 1, 'float32', 2);
          const e1 = net.embed(x1);
          const e2 = net.embed(x2);
          assert.deepEqual(e1.shape, [7, 3]);
          // Shared weights: the encoder alone gives the same embeddings.
          const raw = net.encoder.predict(x1) as tf.Tensor2D;
          const direct = normalize ? l2Normalize(raw) : raw;
          assertClose(e1.dataSync(), direct.dataSync(), 1e-6, 'embedding');
          if (normalize) {
            const norms = (e1.arraySync() as number[][]).map((r) => Math.hypot(...r));
            assertClose(norms, norms.map(() => 1), 1e-5, 'norm');
          }
          const d = net.distance(x1, x2);
          assert.deepEqual(d.shape, [7]);
          assertClose(d.dataSync(), referenceDistances(e1.arraySync(), e2.arraySync(), distance), 1e-4, `${distance} distance`);
          tf.dispose([x1, x2, e1, e2, raw, direct, d]);
          net.dispose();
        }
      }
    });
  });

  test(`a zero embedding normalises to finite values with finite gradients (${backend})`, async () => {
    await withBackend(backend, () => {
      for (const distance of ['euclidean', 'cosine'] as const) {
        const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [], embeddingDim: 3 }), { distance, normalize: true });
        // Zero weights: every input embeds to the zero vector.
        net.setWeights(net.getWeights().map((w) => tf.zerosLike(w)));
        const x1 = tf.ones([2, 4]);
        const x2 = tf.ones([2, 4]);
        const e = net.embed(x1);
        assert.deepEqual(Array.from(e.dataSync()), [0, 0, 0, 0, 0, 0]);
        const { value, grads } = tf.variableGrads(() => tf.sum(net.distance(x1, x2, { training: true })) as tf.Scalar, net.trainableWeights);
        assert.ok(Number.isFinite(value.dataSync()[0]), `${distance}: value`);
        for (const [name, g] of Object.entries(grads)) {
          assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${distance}: gradient of ${name} is not finite`);
        }
        tf.dispose([x1, x2, e, value, ...Object.values(grads)]);
        net.dispose();
      }
      // l2Normalize on its own: zero rows stay zero, gradients finite.
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(l2Normalize(x as tf.Tensor2D), tf.tensor2d([[1, 2], [3, 4]]))))(tf.tensor2d([[0, 0], [3, 4]]));
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
      g.dispose();
    });
  });
}

test('embedBatched equals embed, for Float32Array and tensor inputs and any batch size', async () => {
  await withBackend('wasm', async () => {
    const net = new SiameseNetwork(mlpEncoder({ inputShape: [2, 3], hidden: [4], embeddingDim: 2, seed: 9 }), { normalize: true });
    const x = tf.randomNormal([11, 2, 3], 0, 1, 'float32', 3);
    const want = net.embed(x);
    for (const batchSize of [1, 4, 11, 100]) {
      assertClose(await net.embedBatched(x, batchSize), want.dataSync(), 1e-6, `tensor batch ${batchSize}`);
      assertClose(await net.embedBatched(x.dataSync() as Float32Array, batchSize), want.dataSync(), 1e-6, `floats batch ${batchSize}`);
    }
    assert.equal((await net.embedBatched(new Float32Array(0))).length, 0);
    await assert.rejects(net.embedBatched(new Float32Array(7)), isErr(/^SiameseNetwork\.embedBatched: x has 7 floats, not a multiple of one example's 6/));
    await assert.rejects(net.embedBatched(x, 0), isErr(/batchSize must be a positive integer/));
    tf.dispose([x, want]);
    net.dispose();

    const seq = new SiameseNetwork(sequenceEncoder({ features: 2, filters: [3], embeddingDim: 2 }));
    const s = tf.randomNormal([5, 6, 2], 0, 1, 'float32', 4);
    assertClose(await seq.embedBatched(s, 2), seq.embed(s).dataSync(), 1e-6, 'sequence');
    await assert.rejects(seq.embedBatched(new Float32Array(12)), isErr(/needs a fixed input shape.*\[null,2\]/));
    s.dispose();
    seq.dispose();
  });
});

test('embed, distance and embedBatched leave no tensors behind', async () => {
  await withBackend('cpu', async () => {
    const net = new SiameseNetwork(mlpEncoder({ inputShape: [3], hidden: [4], embeddingDim: 2 }), { normalize: true });
    const x = tf.ones([6, 3]);
    const before = tf.memory().numTensors;
    tf.dispose([net.embed(x), net.distance(x, x)]);
    await net.embedBatched(x, 4);
    await net.embedBatched(new Float32Array(18), 4);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    net.dispose();
  });
});

test('wrong inputs, encoders and weights are ContrastiveErrors naming the call and argument', () => {
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [], embeddingDim: 2 }));
  assert.throws(() => net.embed(tf.zeros([3, 5])), isErr(/^SiameseNetwork\.embed: x has shape \[3,5\], expected \[N, 4\]/));
  assert.throws(() => net.distance(tf.zeros([3, 4]), tf.zeros([2, 4])), isErr(/^SiameseNetwork\.distance: x1 has 3 rows but x2 has 2/));
  assert.throws(() => net.distance(tf.zeros([3, 4]), tf.zeros([3])), isErr(/x2 has shape \[3\]/));
  assert.throws(() => net.setWeights([tf.zeros([4, 2])]), isErr(/^SiameseNetwork\.setWeights: got 1 tensors, the encoder has 2 weights/));
  assert.throws(() => net.setWeights([tf.zeros([4, 3]), tf.zeros([2])]), isErr(/weights\[0\] .* must have shape \[4,2\], got \[4,3\]/));
  assert.throws(() => new SiameseNetwork(net.encoder, { distance: 'manhattan' as never }), isErr(/SiameseNetwork: .*'manhattan'/));
  const input = tf.input({ shape: [3] });
  const seqOut = tf.layers.reshape({ targetShape: [3, 1] }).apply(input) as tf.SymbolicTensor;
  assert.throws(() => new SiameseNetwork(tf.model({ inputs: input, outputs: seqOut })), isErr(/encoder output must be \[batch, embeddingDim\], got \[null,3,1\]/));
  assert.throws(() => new SiameseNetwork({} as never), isErr(/SiameseNetwork: encoder must be a tf\.LayersModel/));
  net.dispose();
});
