import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend } from '../support/helpers.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { cnnEncoder, createEncoder, mlpEncoder, sequenceEncoder, type Encoder, type EncoderSpec } from '../../packages/contrastive/src/models/index.js';

function outShape(enc: Encoder, x: tf.Tensor): number[] {
  return tf.tidy(() => (enc.model.predict(x) as tf.Tensor).shape);
}

function weightsOf(enc: Encoder): Float32Array[] {
  return enc.model.getWeights().map((w) => w.dataSync() as Float32Array);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`each ready encoder maps [N, ...] to [N, embeddingDim] finite values (${backend})`, async () => {
    await withBackend(backend, () => {
      const mlp = mlpEncoder({ inputShape: [6, 2], hidden: [8, 4], embeddingDim: 3, dropout: 0.2, seed: 3 });
      assert.deepEqual(outShape(mlp, tf.randomNormal([5, 6, 2], 0, 1, 'float32', 1)), [5, 3]);

      const cnn = cnnEncoder({ inputShape: [28, 28, 1] });
      // The reference CNN: conv32 3x3 (320) + conv64 3x3 (18496) + fc 1600->128 (204928) + fc 128->64 (8256).
      assert.equal(cnn.model.countParams(), 320 + 18496 + 204928 + 8256);
      assert.deepEqual(outShape(cnn, tf.zeros([2, 28, 28, 1])), [2, 64]);
      const cnnBn = cnnEncoder({ inputShape: [12, 10, 3], filters: [4], dense: 0, embeddingDim: 5, batchNorm: true });
      assert.deepEqual(outShape(cnnBn, tf.ones([3, 12, 10, 3])), [3, 5]);

      for (const kind of ['conv1d', 'gru'] as const) {
        const seq = sequenceEncoder({ features: 3, kind, filters: [4, 4], units: 5, embeddingDim: 6, pooling: kind === 'gru' ? 'max' : 'avg' });
        assert.deepEqual(seq.model.inputs[0].shape, [null, null, 3]);
        // Any sequence length works, including 1.
        for (const length of [1, 7, 20]) {
          const y = tf.tidy(() => seq.model.predict(tf.randomNormal([2, length, 3], 0, 1, 'float32', length)) as tf.Tensor);
          assert.deepEqual(y.shape, [2, 6]);
          assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
          y.dispose();
        }
        seq.model.dispose();
      }
      for (const m of [mlp, cnn, cnnBn]) m.model.dispose();
    });
  });
}

test('the same seed gives the same initial weights, another seed different ones', async () => {
  await withBackend('cpu', () => {
    const specs = [
      mlpEncoder({ inputShape: [5], hidden: [7], embeddingDim: 3, seed: 11 }).spec,
      cnnEncoder({ inputShape: [10, 10, 1], filters: [3], dense: 8, embeddingDim: 4, seed: 11 }).spec,
      sequenceEncoder({ features: 2, kind: 'gru', units: 4, embeddingDim: 3, seed: 11 }).spec,
      sequenceEncoder({ features: 2, kind: 'conv1d', filters: [4], embeddingDim: 3, seed: 11 }).spec,
    ];
    for (const spec of specs) {
      const a = weightsOf(createEncoder(spec));
      const b = weightsOf(createEncoder(spec));
      const c = weightsOf(createEncoder({ ...spec, seed: 12 }));
      assert.deepEqual(a, b, `${spec.kind}: same seed`);
      assert.notDeepEqual(a, c, `${spec.kind}: other seed`);
    }
  });
});

test('createEncoder rebuilds the encoder its spec describes, and the spec is JSON', () => {
  const enc = sequenceEncoder({ features: 4, kind: 'gru', units: 9, embeddingDim: 5, seed: 2 });
  const spec = JSON.parse(JSON.stringify(enc.spec)) as EncoderSpec;
  assert.deepEqual(spec, { kind: 'sequence', features: 4, cell: 'gru', filters: [64, 64], kernelSize: 5, units: 9, pooling: 'avg', embeddingDim: 5, seed: 2 });
  const again = createEncoder(spec);
  assert.deepEqual(again.spec, enc.spec);
  assert.equal(again.model.countParams(), enc.model.countParams());
  const mlp = createEncoder({ kind: 'mlp', inputShape: [3], hidden: [], embeddingDim: 2, activation: 'tanh', dropout: 0, seed: 0 });
  assert.equal(mlp.model.countParams(), 3 * 2 + 2);
});

test('bad encoder options are ContrastiveErrors naming the function and field', () => {
  const isErr = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);
  assert.throws(() => mlpEncoder({ inputShape: [0], hidden: [], embeddingDim: 2 }), isErr(/^mlpEncoder: options is invalid: inputShape\.0/));
  assert.throws(() => mlpEncoder({ inputShape: [4], hidden: [], embeddingDim: 2, dropout: 1 }), isErr(/mlpEncoder: .*dropout/));
  assert.throws(() => cnnEncoder({ inputShape: [28, 28] }), isErr(/^cnnEncoder: options\.inputShape must be an image shape \[height, width, channels\], got \[28,28\]$/));
  assert.throws(() => cnnEncoder({ inputShape: [784] }), isErr(/got \[784\] \(flat vectors: use mlpEncoder/));
  assert.throws(() => cnnEncoder({ inputShape: [28, 28, 0] }), isErr(/^cnnEncoder: options is invalid: inputShape\.2/));
  assert.throws(() => cnnEncoder({ inputShape: [8, 8, 1], filters: [4, 4, 4] }), isErr(/cnnEncoder: inputShape \[8,8,1\] is too small .*block 2/));
  assert.throws(() => sequenceEncoder({ features: 2, kind: 'lstm' as never }), isErr(/sequenceEncoder: .*cell/));
  assert.throws(() => createEncoder({ kind: 'rnn' } as never), isErr(/createEncoder: spec\.kind is 'rnn'/));
});

test('encoders take a dataset\'s inputShape (number[]) as it is, no cast', () => {
  const data: { inputShape: number[] } = { inputShape: [12, 12, 1] };
  const cnn = cnnEncoder({ inputShape: data.inputShape, filters: [2], dense: 0, embeddingDim: 3 });
  assert.deepEqual(cnn.spec.inputShape, [12, 12, 1]);
  assert.deepEqual(cnn.model.inputs[0].shape, [null, 12, 12, 1]);
  const frozen = [6, 6, 1] as const; // a readonly tuple too
  assert.deepEqual(cnnEncoder({ inputShape: frozen, filters: [2] as const }).spec.filters, [2]);
  const mlp = mlpEncoder({ inputShape: data.inputShape, hidden: [4] as const, embeddingDim: 2 });
  assert.deepEqual(mlp.spec.inputShape, [12, 12, 1]);
  cnn.model.dispose();
  mlp.model.dispose();
});
