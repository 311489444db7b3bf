/**
 * Batch normalisation in training on wasm (src/engine/kernels/batch-norm.ts): Mean over leading
 * axes, Mean's gradient and FusedBatchNorm's gradient run our kernels (no Tile, no ones), give
 * the cpu backend's values within float32 tolerance on odd shapes, leak no tensor, and a cnn
 * encoder with batch norm still learns, with batch statistics in training and moving ones at
 * inference.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertClose, withBackend } from '../support/helpers.js';
import { cnnEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { contrastiveLoss } from '../../packages/contrastive/src/losses/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));

function values(shape: number[], seed: number, lo = -2, hi = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next());
}

interface Result { y: Float32Array; grads: Float32Array[]; kernels: string[]; leaked: number }

/** What a BatchNormalization layer computes in training, and its gradient w.r.t. x, gamma, beta. */
async function bnTraining(shape: number[], withScale: boolean, withOffset: boolean): Promise<Result> {
  const C = shape[shape.length - 1];
  const axes = shape.slice(0, -1).map((_, i) => i);
  const x = tf.tensor(values(shape, 1), shape);
  const gamma = tf.tensor(values([C], 2, 0.5, 1.5));
  const beta = tf.tensor(values([C], 3));
  const dy = tf.tensor(values(shape, 4), shape);
  const before = tf.memory().numTensors;
  let y: tf.Tensor | undefined;
  let grads: tf.Tensor[] = [];
  // Gradients w.r.t. x and whichever of gamma, beta the normalisation uses.
  const params = [x, ...(withScale ? [gamma] : []), ...(withOffset ? [beta] : [])];
  const f = (...ts: tf.Tensor[]) => {
    const { mean, variance } = tf.moments(ts[0], axes);
    return tf.batchNorm(ts[0], mean, variance, withOffset ? ts[ts.length - 1] : undefined, withScale ? ts[1] : undefined, 1e-3);
  };
  const info = await tf.profile(() => {
    const r = tf.valueAndGrads(f)(params, dy);
    y = r.value;
    grads = r.grads;
    return [y, ...grads];
  });
  const out: Result = {
    y: Float32Array.from(await y!.data()),
    grads: await Promise.all(grads.map(async (g) => Float32Array.from(await g.data()))),
    kernels: info.kernels.map((k) => k.name),
    leaked: 0,
  };
  tf.dispose([y!, ...grads]);
  out.leaked = tf.memory().numTensors - before;
  tf.dispose([x, gamma, beta, dy]);
  return out;
}

for (const [shape, withScale, withOffset] of [
  [[3, 5, 7, 6], true, true],
  [[2, 9, 4, 1], true, true],
  [[5, 3, 3, 13], true, true],
  // More channels than csrc/batch-norm.c takes: the stock kernels, same values.
  [[2, 3, 1, 1030], true, true],
  // (Without scale or offset TF.js's own gradient fails on every backend: it saves the missing
  // input. Not a case a BatchNormalization layer can train in.)
] as [number[], boolean, boolean][]) {
  test(`batch norm in training ${JSON.stringify(shape)}${withScale ? '' : ' no scale'}${withOffset ? '' : ' no offset'}: wasm = cpu, fused kernels, no leak`, async () => {
    const wasm = await withBackend('wasm', () => bnTraining(shape, withScale, withOffset));
    const cpu = await withBackend('cpu', () => bnTraining(shape, withScale, withOffset));
    const fused = shape[3] <= 1024;
    assert.equal(wasm.kernels.includes('ContrastiveBatchNormGrad'), fused, wasm.kernels.join(','));
    assert.ok(wasm.kernels.includes('ContrastiveMeanGrad'), wasm.kernels.join(','));
    assert.equal(wasm.kernels.includes('Tile'), !fused, wasm.kernels.join(','));
    assert.ok(cpu.kernels.includes('Tile'), 'cpu keeps the stock gradient');
    assertClose(wasm.y, cpu.y, 1e-5, 'y');
    assert.equal(wasm.grads.length, 1 + Number(withScale) + Number(withOffset));
    wasm.grads.forEach((g, i) => assertClose(g, cpu.grads[i], 1e-4, `gradient ${i}`));
    assert.equal(wasm.leaked, 0, 'wasm leaked tensors');
    assert.equal(cpu.leaked, 0, 'cpu leaked tensors');
  });
}

test('Mean on wasm: leading axes in one pass (keepDims too), other axes and dtypes unchanged; its gradient = cpu', async () => {
  const shape = [3, 4, 5, 7];
  const run = async () => {
    const x = tf.tensor(values(shape, 5), shape);
    const outs = [
      tf.mean(x, [0, 1, 2]),
      tf.mean(x, [0, 1], true),
      tf.mean(x, 0),
      tf.mean(x, [1, 3]),
      tf.mean(x, -1),
      tf.mean(x),
      tf.mean(tf.tensor([[1, 2, 4], [3, 5, 8]], [2, 3], 'int32'), 0),
      tf.grad((t: tf.Tensor) => tf.mean(t, [0, 1]))(x, tf.tensor(values([5, 7], 6), [5, 7])),
      tf.grad((t: tf.Tensor) => tf.mean(t, [2]))(x, tf.tensor(values([3, 4, 7], 7), [3, 4, 7])),
    ];
    const r = await Promise.all(outs.map(async (t) => ({ shape: t.shape, dtype: t.dtype, v: Array.from(await t.data()) })));
    tf.dispose([x, ...outs]);
    return r;
  };
  const wasm = await withBackend('wasm', run);
  const cpu = await withBackend('cpu', run);
  wasm.forEach((w, i) => {
    assert.deepEqual(w.shape, cpu[i].shape, `output ${i} shape`);
    assert.equal(w.dtype, cpu[i].dtype, `output ${i} dtype`);
    assertClose(w.v, cpu[i].v, 1e-6, `output ${i}`);
  });
});

test('cnn encoder with batch norm trains on wasm: loss falls, batch stats in training, moving stats at inference', async () => {
  await withBackend('wasm', async () => {
    const encoder = cnnEncoder({ inputShape: [12, 12, 1], filters: [4, 6], dense: 16, embeddingDim: 8, batchNorm: true, seed: 3 });
    const network = new SiameseNetwork(encoder);
    const optimizer = tf.train.adam(1e-2);
    // Two classes: bright top half vs bright bottom half, plus noise; pairs alternate same/different.
    const pairs = 16;
    const rng = new Rng(9);
    const img = (cls: number) => Array.from({ length: 144 }, (_, i) => ((i < 72) === (cls === 0) ? 1 : 0) + 0.3 * rng.next());
    const a: number[] = [];
    const b: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const ca = i % 2;
      const same = i % 4 < 2;
      a.push(...img(ca));
      b.push(...img(same ? ca : 1 - ca));
      y.push(same ? 0 : 1);
    }
    const x = tf.tensor4d([...a, ...b], [2 * pairs, 12, 12, 1]);
    const labels = tf.tensor1d(y);
    const lossFn = () => {
      const e = network.embed(x, { training: true });
      const [ea, eb] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      return contrastiveLoss(ea, eb, labels, { margin: 1 }) as tf.Scalar;
    };
    const losses: number[] = [];
    let before = 0;
    for (let step = 0; step < 40; step++) {
      const l = optimizer.minimize(lossFn, true) as tf.Scalar;
      losses.push((await l.data())[0]);
      l.dispose();
      // After the first step: Adam has made its moment variables.
      if (step === 0) before = tf.memory().numTensors;
    }
    assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    assert.ok(tf.memory().numTensors - before === 0, `tensors grew by ${tf.memory().numTensors - before}`);
    // The layer's moving mean moved from 0 (training updated it), and inference uses it: the
    // embedding of one image alone differs between training mode (its own stats) and inference.
    const bn = encoder.model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    const movingMean = bn.weights.find((w) => w.name.includes('moving_mean'))!.read();
    assert.ok((await tf.abs(movingMean).max().data())[0] > 0, 'moving mean never updated');
    const one = x.slice([0], [2]);
    const inf = network.embed(one, { training: false });
    const train = network.embed(one, { training: true });
    const diff = (await tf.abs(tf.sub(inf, train)).max().data())[0];
    assert.ok(diff > 1e-3, `inference and training outputs equal (${diff})`);
    tf.dispose([x, labels, one, inf, train]);
    optimizer.dispose();
    encoder.model.dispose();
  });
});

test('FusedBatchNorm forward on wasm = cpu: with and without scale and offset, rank 2 and 4, odd channel counts', async () => {
  const run = async () => {
    const outs: tf.Tensor[] = [];
    for (const shape of [[7, 5], [3, 4, 2, 9], [2, 2, 3, 4], [4, 3, 1]]) {
      const C = shape[shape.length - 1];
      const x = tf.tensor(values(shape, 11), shape);
      const [mean, variance, scale, offset] = [12, 13, 14, 15].map((seed, i) => tf.tensor(values([C], seed, i === 1 ? 0.1 : -1, 2)));
      outs.push(tf.batchNorm(x, mean, variance, offset, scale, 1e-3), tf.batchNorm(x, mean, variance, undefined, undefined, 0.01),
        tf.batchNorm(x, mean, variance, offset, undefined, 1e-3), tf.batchNorm(x, mean, variance, undefined, scale, 1e-3));
      tf.dispose([x, mean, variance, scale, offset]);
    }
    const r = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
    tf.dispose(outs);
    return r;
  };
  const wasm = await withBackend('wasm', run);
  const cpu = await withBackend('cpu', run);
  wasm.forEach((w, i) => assertClose(w, cpu[i], 1e-5, `output ${i}`));
});

test('batch norm in training on [N, C] (a dense layer): wasm = cpu on the same data as [N, 1, 1, C]', async () => {
  // TF.js's own FusedBatchNorm gradient only handles rank 4 (it tiles to [1, 1, 1, C]); ours any rank.
  const wasm = await withBackend('wasm', () => bnTraining([37, 11], true, true));
  const cpu = await withBackend('cpu', () => bnTraining([37, 1, 1, 11], true, true));
  assert.ok(wasm.kernels.includes('ContrastiveBatchNormGrad'), wasm.kernels.join(','));
  assertClose(wasm.y, cpu.y, 1e-5, 'y');
  wasm.grads.forEach((g, i) => assertClose(g, cpu.grads[i], 1e-4, `gradient ${i}`));
  assert.equal(wasm.leaked, 0);
});
