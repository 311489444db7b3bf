import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { exportOnnx, exportOnnxFile, OnnxEmbedder, ONNX_SUPPORTED_ACTIVATIONS } from '../../packages/node/src/export/index.js';
import { loadOnnxRuntime } from '../../packages/kernels/src/onnx/runtime.js';
import { assertClose } from '../support/helpers.js';

// The comparisons run on the cpu backend: the reference TF.js output in float32 without wasm's kernels.
before(async () => {
  await initBackend('cpu');
});

// Weights at a trained network's scale (He for kernels, small biases): outputs stay O(1), as in use.
const seeded = (seed: number) => tf.initializers.heNormal({ seed });
const seededBias = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.1, seed });

function randomInput(rng: Rng, size: number): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

/** Exports `model`, runs it on onnxruntime and checks it against TF.js predict within 1e-5. */
async function assertSameAsTfjs(model: tf.LayersModel, exampleShape: number[], n: number, seed: number, l2Normalize = false): Promise<Float32Array> {
  const rng = new Rng(seed);
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const x = randomInput(rng, n * size);
  const expected = tf.tidy(() => {
    let y = model.predict(tf.tensor(x, [n, ...exampleShape])) as tf.Tensor;
    if (l2Normalize) y = tf.div(y, tf.sqrt(tf.maximum(tf.sum(tf.square(y), -1, true), 1e-12)));
    return y.dataSync() as Float32Array;
  });
  const embedder = await OnnxEmbedder.load(exportOnnx(model, { l2Normalize }), { batchSize: 3 });
  try {
    const actual = await embedder.embed(x, n);
    assert.equal(actual.length, expected.length, `${model.name}: output size`);
    assertClose(actual, expected, 1e-5, model.name);
    return actual;
  } finally {
    await embedder.dispose();
  }
}

test('onnxruntime-node is installed (a dependency, not optional here)', async () => {
  const ort = await loadOnnxRuntime();
  assert.equal(typeof ort.InferenceSession.create, 'function');
});

test('reference Siamese CNN encoder: ONNX output equals TF.js, with and without L2 normalisation', async () => {
  const model = tf.sequential({
    name: 'reference_cnn',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1), biasInitializer: seededBias(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(3), biasInitializer: seededBias(4) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: seeded(5), biasInitializer: seededBias(6) }),
      tf.layers.dense({ units: 64, kernelInitializer: seeded(7), biasInitializer: seededBias(8) }),
    ],
  });
  await assertSameAsTfjs(model, [28, 28, 1], 7, 11);
  const unit = await assertSameAsTfjs(model, [28, 28, 1], 7, 12, true);
  for (let r = 0; r < 7; r++) {
    let s = 0;
    for (let j = 0; j < 64; j++) s += unit[r * 64 + j] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5, `row ${r} has norm^2 ${s}`);
  }
});

test('Conv2D same/valid padding, strides, dilation; max/avg pooling with same padding; global pooling', async () => {
  const model = tf.sequential({
    name: 'conv_variants',
    layers: [
      tf.layers.conv2d({ inputShape: [11, 9, 3], filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'elu', kernelInitializer: seeded(1), biasInitializer: seededBias(2) }),
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: seeded(3) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 2, useBias: false, activation: 'tanh', kernelInitializer: seeded(4) }),
      tf.layers.globalAveragePooling2d({}),
    ],
  });
  await assertSameAsTfjs(model, [11, 9, 3], 5, 21);
  const maxModel = tf.sequential({
    name: 'global_max',
    layers: [
      tf.layers.conv2d({ inputShape: [6, 7, 2], filters: 3, kernelSize: 3, strides: [1, 2], kernelInitializer: seeded(5), biasInitializer: seededBias(6) }),
      tf.layers.averagePooling2d({ poolSize: [2, 1], strides: [2, 1] }),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: seeded(7) }),
    ],
  });
  await assertSameAsTfjs(maxModel, [6, 7, 2], 4, 22);
});

test('Conv1D (same, valid, strides, dilation), 1-D pooling, global pooling, variable-length input', async () => {
  const build = (name: string, pool: tf.layers.Layer) =>
    tf.sequential({
      name,
      layers: [
        tf.layers.conv1d({ inputShape: [null, 3], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: seeded(1), biasInitializer: seededBias(2) }),
        tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'swish', kernelInitializer: seeded(3), biasInitializer: seededBias(4) }),
        pool,
        tf.layers.dense({ units: 8, kernelInitializer: seeded(5), biasInitializer: seededBias(6) }),
      ],
    });
  const avg = build('seq_avg', tf.layers.globalAveragePooling1d({}));
  const max = build('seq_max', tf.layers.globalMaxPooling1d({}));
  // The exported graph keeps the time axis symbolic: two lengths through one file.
  for (const steps of [17, 6]) {
    await assertSameAsTfjs(avg, [steps, 3], 4, 30 + steps);
    await assertSameAsTfjs(max, [steps, 3], 4, 40 + steps);
  }
  // Strided 'same' padding over a variable length: the pads depend on the length (ONNX auto_pad SAME_UPPER).
  const strided = tf.sequential({
    name: 'seq_strided',
    layers: [
      tf.layers.conv1d({ inputShape: [null, 2], filters: 3, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: seeded(12), biasInitializer: seededBias(13) }),
      tf.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
      tf.layers.averagePooling1d({ poolSize: 2, strides: 2, padding: 'same' }),
      tf.layers.globalAveragePooling1d({}),
    ],
  });
  for (const steps of [13, 8, 5]) await assertSameAsTfjs(strided, [steps, 2], 3, 60 + steps);
  const fixed = tf.sequential({
    name: 'conv1d_fixed',
    layers: [
      tf.layers.conv1d({ inputShape: [20, 2], filters: 4, kernelSize: 4, strides: 3, padding: 'same', kernelInitializer: seeded(7), biasInitializer: seededBias(8) }),
      tf.layers.maxPooling1d({ poolSize: 2, padding: 'same' }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2, activation: 'mish', kernelInitializer: seeded(9) }),
      tf.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
      // Dense on a rank-3 value: MatMul over the last axis.
      tf.layers.dense({ units: 2, activation: 'gelu', kernelInitializer: seeded(10), biasInitializer: seededBias(11) }),
      tf.layers.flatten(),
    ],
  });
  await assertSameAsTfjs(fixed, [20, 2], 5, 50);
});

test('BatchNormalization (inference statistics) after conv and dense, Dropout as identity', async () => {
  const model = tf.sequential({
    name: 'batchnorm',
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, useBias: false, kernelInitializer: seeded(1) }),
      tf.layers.batchNormalization({ epsilon: 1e-3 }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 6, kernelInitializer: seeded(2), biasInitializer: seededBias(3) }),
      tf.layers.batchNormalization({ center: false }),
      tf.layers.batchNormalization({ scale: false }),
    ],
  });
  // Non-trivial moving statistics and affine parameters.
  const rng = new Rng(7);
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    layer.setWeights(
      layer.getWeights().map((w, i, all) => {
        const isVariance = i === all.length - 1;
        const v = Float32Array.from({ length: w.size }, () => (isVariance ? 0.2 + rng.next() * 2 : rng.normal()));
        return tf.tensor(v, w.shape);
      }),
    );
  }
  await assertSameAsTfjs(model, [8, 8, 2], 6, 60);
});

test('every supported activation, in Dense and as Activation layers', async () => {
  for (const [i, activation] of ONNX_SUPPORTED_ACTIVATIONS.entries()) {
    const model = tf.sequential({
      name: `act_${activation}`,
      layers: [
        tf.layers.dense({ inputShape: [5], units: 7, activation: activation as never, kernelInitializer: seeded(i), biasInitializer: seededBias(100 + i) }),
        tf.layers.activation({ activation: activation as never }),
      ],
    });
    await assertSameAsTfjs(model, [5], 4, 70 + i);
  }
  const advanced = tf.sequential({
    name: 'advanced_activations',
    layers: [
      tf.layers.dense({ inputShape: [6], units: 8, kernelInitializer: seeded(1), biasInitializer: seededBias(2) }),
      tf.layers.leakyReLU({ alpha: 0.15 }),
      tf.layers.dense({ units: 8, kernelInitializer: seeded(3), biasInitializer: seededBias(4) }),
      tf.layers.elu({}), // TF.js supports only alpha = 1 here
      tf.layers.reLU({ maxValue: 0.4 }),
      tf.layers.dense({ units: 5, kernelInitializer: seeded(5) }),
      tf.layers.softmax({}),
    ],
  });
  await assertSameAsTfjs(advanced, [6], 5, 90);
});

test('Reshape, Rescaling, channels-first conv and Flatten, nested model inside a functional one', async () => {
  const input = tf.input({ shape: [12] });
  const scaled = tf.layers.rescaling({ scale: 0.5, offset: 0.25 }).apply(input) as tf.SymbolicTensor;
  const encoded = buildNested(scaled);
  const model = tf.model({ inputs: input, outputs: encoded, name: 'nested' });
  await assertSameAsTfjs(model, [12], 5, 100);
});

/** dense -> reshape to NHWC -> conv -> reshape to NCHW -> channels-first conv -> channels-first flatten, as a nested Sequential. */
function buildNested(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const inner = tf.sequential({
    name: 'inner_encoder',
    layers: [
      tf.layers.dense({ inputShape: [12], units: 32, activation: 'relu', kernelInitializer: seeded(1), biasInitializer: seededBias(2) }),
      tf.layers.reshape({ targetShape: [4, 4, 2] }),
      tf.layers.conv2d({ filters: 3, kernelSize: 2, kernelInitializer: seeded(3), biasInitializer: seededBias(4) }),
      tf.layers.reshape({ targetShape: [3, 3, 3] }),
      tf.layers.conv2d({ filters: 2, kernelSize: 2, dataFormat: 'channelsFirst', kernelInitializer: seeded(5), biasInitializer: seededBias(6) }),
      tf.layers.flatten({ dataFormat: 'channelsFirst' }),
    ],
  });
  return inner.apply(x) as tf.SymbolicTensor;
}

test('exportOnnxFile writes the model atomically and it loads from the path', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'export-onnx-'));
  try {
    const model = tf.sequential({ name: 'tiny', layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: seeded(1) })] });
    const file = path.join(dir, 'sub', 'model.onnx');
    await exportOnnxFile(model, file);
    assert.deepEqual(await readdir(path.dirname(file)), ['model.onnx']);
    assert.deepEqual(new Uint8Array(await readFile(file)), exportOnnx(model));
    const embedder = await OnnxEmbedder.load(file);
    assert.deepEqual(embedder.inputShape, [3]);
    const y = await embedder.embed(new Float32Array([1, 2, 3, 0, 0, 0]), 2);
    const ref = tf.tidy(() => (model.predict(tf.tensor2d([1, 2, 3, 0, 0, 0], [2, 3])) as tf.Tensor).dataSync());
    assertClose(y, ref, 1e-6);
    await embedder.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const isContrastive = (code: string, pattern: RegExp) => (e: unknown) => e instanceof ContrastiveError && e.code === code && pattern.test(e.message);

test('unsupported layers, activations and topologies are ContrastiveErrors naming them', () => {
  const gru = tf.sequential({ name: 'rnn', layers: [tf.layers.gru({ inputShape: [5, 2], units: 3 })] });
  assert.throws(() => exportOnnx(gru), isContrastive('UNSUPPORTED', /exportOnnx: layer 'gru\w*' of class GRU has no ONNX translation/));
  const thresholded = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2 }), tf.layers.thresholdedReLU({})] });
  assert.throws(() => exportOnnx(thresholded), isContrastive('UNSUPPORTED', /class ThresholdedReLU/));
  const a = tf.input({ shape: [4] });
  const b = tf.input({ shape: [4] });
  const twoInputs = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor, name: 'pair' });
  assert.throws(() => exportOnnx(twoInputs), isContrastive('INVALID_ARGUMENT', /exportOnnx: model 'pair' has 2 inputs/));
  const x = tf.input({ shape: [4] });
  const h1 = tf.layers.dense({ units: 3, name: 'branch_a' }).apply(x) as tf.SymbolicTensor;
  const h2 = tf.layers.dense({ units: 3, name: 'branch_b' }).apply(x) as tf.SymbolicTensor;
  const branched = tf.model({ inputs: x, outputs: tf.layers.add({ name: 'join' }).apply([h1, h2]) as tf.SymbolicTensor, name: 'branched' });
  assert.throws(() => exportOnnx(branched), isContrastive('UNSUPPORTED', /exportOnnx: layer 'branch_b' of model 'branched' does not take the previous layer's output/));
  assert.throws(() => exportOnnx({} as tf.LayersModel), isContrastive('INVALID_ARGUMENT', /exportOnnx: model must be a tf.LayersModel/));
});

test('OnnxEmbedder rejects wrong input sizes, missing files, garbage models and use after dispose', async () => {
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2 }), tf.layers.flatten()] });
  const embedder = await OnnxEmbedder.load(exportOnnx(model));
  assert.deepEqual(embedder.inputShape, [4, 4, 1]);
  await assert.rejects(embedder.embed(new Float32Array(30), 2), isContrastive('INVALID_ARGUMENT', /OnnxEmbedder.embed: each example must hold 16 values \(shape 4x4x1\), got 15/));
  await assert.rejects(embedder.embed(new Float32Array(33), 2), isContrastive('INVALID_ARGUMENT', /not a multiple of n = 2/));
  await assert.rejects(embedder.embed(new Float32Array(16), 0), isContrastive('INVALID_ARGUMENT', /n must be a positive integer/));
  const nan = new Float32Array(16);
  nan[3] = NaN;
  await assert.rejects(embedder.embed(nan, 1), isContrastive('NUMERIC', /embedding 0 holds a non-finite value/));
  await embedder.dispose();
  await assert.rejects(embedder.embed(new Float32Array(16), 1), isContrastive('INVALID_ARGUMENT', /disposed/));
  await assert.rejects(OnnxEmbedder.load('/nonexistent/model.onnx'), isContrastive('NOT_FOUND', /cannot read ONNX model '\/nonexistent\/model.onnx'/));
  await assert.rejects(OnnxEmbedder.load(new Uint8Array([1, 2, 3, 4])), isContrastive('INVALID_DATA', /onnxruntime rejected the model/));
  await assert.rejects(OnnxEmbedder.load(new Uint8Array(4), { threads: 0 }), isContrastive('INVALID_ARGUMENT', /options.threads must be a positive integer/));
});
