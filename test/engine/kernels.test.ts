/**
 * Our wasm kernels against the cpu backend's reference kernels, on small shapes that cover
 * strides 1 and 2, 'same' / 'valid' / explicit padding, channel counts that hit every SIMD
 * tail (1, 3, 4, 5, 8, 9, 12, 16) and batches > 1; then whole gradients (tf.gather, a small
 * conv net) computed on wasm and on cpu.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, randn, gradientsOn, assertSameValues } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { kernelThreads, setKernelThreads } from '../../packages/kernels/src/index.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];


/** Runs `kernel` on `backend` with tensors made from `inputs`; returns the output values. */
async function runOn(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }>, attrs: object): Promise<{ shape: number[]; values: Float32Array | Int32Array }> {
  return withBackend(backend, async () => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape, v.data instanceof Int32Array ? 'int32' : 'float32');
    const out = tf.engine().runKernel(kernel, ts as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = (await out.data()) as Float32Array | Int32Array;
    const shape = out.shape;
    tf.dispose([out, ...Object.values(ts)]);
    return { shape, values };
  });
}

async function sameOnBoth(kernel: string, inputs: Parameters<typeof runOn>[2], attrs: object, tol = 2e-5): Promise<void> {
  const w = await runOn('wasm', kernel, inputs, attrs);
  const c = await runOn('cpu', kernel, inputs, attrs);
  assert.deepEqual(w.shape, c.shape, `${kernel}: output shape`);
  // tol 0: exact, NaN and infinities included.
  if (tol === 0) assertSameValues(w.values, c.values, `${kernel} ${JSON.stringify(attrs)}`);
  else assertClose(w.values, c.values, tol, `${kernel} ${JSON.stringify(attrs)}`);
}

interface ConvCase { x: Shape4; f: Shape4; strides: [number, number]; pad: Pad }
const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 8], strides: [2, 2], pad: 'valid' },
  { x: [3, 8, 6, 8], f: [3, 2, 8, 12], strides: [2, 2], pad: 'same' },
  { x: [2, 9, 9, 1], f: [3, 3, 1, 16], strides: [1, 1], pad: 'valid' },
  { x: [2, 6, 7, 5], f: [2, 3, 5, 9], strides: [1, 2], pad: 'same' },
  { x: [2, 6, 6, 4], f: [1, 1, 4, 4], strides: [1, 1], pad: 'valid' },
  { x: [1, 11, 10, 16], f: [5, 5, 16, 12], strides: [2, 2], pad: 'same' },
  { x: [2, 6, 6, 4], f: [3, 3, 4, 8], strides: [1, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [4, 12, 12, 32], f: [3, 3, 32, 64], strides: [1, 1], pad: 'valid' },
  { x: [2, 8, 9, 3], f: [3, 3, 3, 22], strides: [1, 1], pad: 'same' },
];

function outShape(c: ConvCase): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, c.pad as never);
  return info.outShape as Shape4;
}

test('Conv2DBackpropFilter on wasm equals cpu', async () => {
  const rng = new Rng(1);
  for (const c of convCases) {
    const dy = outShape(c);
    await sameOnBoth('Conv2DBackpropFilter',
      { x: { data: randn(rng, c.x), shape: c.x }, dy: { data: randn(rng, dy), shape: dy } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.f }, 1e-4);
  }
});

test('Conv2D (forward) on wasm equals cpu, dilations included', async () => {
  const rng = new Rng(11);
  const cases: (ConvCase & { dilations?: [number, number] })[] = [
    ...convCases,
    { x: [2, 9, 9, 3], f: [3, 3, 3, 8], strides: [1, 1], pad: 'same', dilations: [2, 2] },
    { x: [2, 10, 8, 4], f: [3, 2, 4, 6], strides: [1, 1], pad: 'valid', dilations: [2, 3] },
    { x: [1, 3, 3, 2], f: [5, 5, 2, 4], strides: [1, 1], pad: 'same' },
  ];
  for (const c of cases) {
    await sameOnBoth('Conv2D', { x: { data: randn(rng, c.x), shape: c.x }, filter: { data: randn(rng, c.f), shape: c.f } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? [1, 1], dimRoundingMode: undefined }, 1e-4);
  }
});

test('Conv2DBackpropInput on wasm equals cpu', async () => {
  const rng = new Rng(2);
  for (const c of convCases) {
    const dy = outShape(c);
    await sameOnBoth('Conv2DBackpropInput',
      { dy: { data: randn(rng, dy), shape: dy }, filter: { data: randn(rng, c.f), shape: c.f } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x }, 1e-4);
  }
});

test('MaxPool and MaxPoolGrad on wasm equal cpu, ties, -Infinity and NaN included', async () => {
  const rng = new Rng(3);
  const cases: { x: Shape4; size: [number, number]; strides: [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [2, 6, 6, 4], size: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 7, 7, 6], size: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 7, 5, 3], size: [2, 2], strides: [2, 2], pad: 'same' },
    { x: [3, 6, 6, 5], size: [3, 3], strides: [1, 1], pad: 'same' },
    { x: [2, 9, 8, 8], size: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [1, 8, 8, 1], size: [3, 2], strides: [2, 1], pad: 'valid' },
  ];
  for (const c of cases) {
    for (const kind of ['random', 'ties', 'special'] as const) {
      // ties: values from {0, 1, 2}, many windows hold several equal maxima;
      // special: -Infinity and NaN mixed in (they never win a window).
      const specials = [-Infinity, NaN, 0, 1];
      const data = randn(rng, c.x).map((v, i) => (kind === 'ties' ? Math.floor(Math.abs(v) * 1.5) % 3 : kind === 'special' && i % 3 !== 0 ? specials[i % 4] : v));
      const inputs = await withBackend('cpu', async () => {
        const x = tf.tensor4d(data, c.x);
        const y = tf.maxPool(x, c.size, c.strides, c.pad);
        const r = { output: { data: (await y.data()) as Float32Array, shape: y.shape }, dy: { data: randn(rng, y.shape), shape: y.shape } };
        tf.dispose([x, y]);
        return r;
      });
      await sameOnBoth('MaxPoolGrad', { dy: inputs.dy, input: { data, shape: c.x }, output: inputs.output },
        { filterSize: c.size, strides: c.strides, pad: c.pad, dimRoundingMode: undefined });
      await sameOnBoth('MaxPool', { x: { data, shape: c.x } }, { filterSize: c.size, strides: c.strides, pad: c.pad, dimRoundingMode: undefined }, 0);
    }
  }
});

test('UnsortedSegmentSum on wasm equals cpu (out-of-range ids dropped, 1-D and 2-D ids, int32)', async () => {
  const rng = new Rng(4);
  await sameOnBoth('UnsortedSegmentSum',
    { x: { data: randn(rng, [7, 3]), shape: [7, 3] }, segmentIds: { data: Int32Array.from([0, 2, 2, -1, 5, 1, 2]), shape: [7] } },
    { numSegments: 4 });
  // 2-D ids: the cpu backend's kernel cannot broadcast them, so the reference is by hand.
  const x2 = randn(rng, [2, 3, 4]);
  const ids2 = Int32Array.from([1, 0, 1, 1, 2, 0]);
  const expected = new Float32Array(3 * 4);
  ids2.forEach((s, i) => { for (let j = 0; j < 4; j++) expected[s * 4 + j] += x2[i * 4 + j]; });
  const got = await runOn('wasm', 'UnsortedSegmentSum', { x: { data: x2, shape: [2, 3, 4] }, segmentIds: { data: ids2, shape: [2, 3] } }, { numSegments: 3 });
  assert.deepEqual(got.shape, [3, 4]);
  assertClose(got.values, expected, 1e-6, 'UnsortedSegmentSum 2-D ids');
  await sameOnBoth('UnsortedSegmentSum',
    { x: { data: Int32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2] }, segmentIds: { data: Int32Array.from([1, 1, 0]), shape: [3] } },
    { numSegments: 2 });
});

test('DepthwiseConv2dNativeBackpropFilter and BackpropInput on wasm equal cpu', async () => {
  const rng = new Rng(5);
  // Dilation 1 only: TF.js has no depthwise gradient for dilations > 1 (and the cpu kernel ignores them).
  const cases: { x: Shape4; f: Shape4; strides: [number, number]; dilations: [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [2, 7, 7, 3], f: [3, 3, 3, 1], strides: [1, 1], dilations: [1, 1], pad: 'same' },
    { x: [2, 8, 7, 4], f: [3, 3, 4, 2], strides: [2, 2], dilations: [1, 1], pad: 'valid' },
    { x: [1, 9, 9, 2], f: [3, 2, 2, 3], strides: [1, 2], dilations: [1, 1], pad: 'same' },
  ];
  for (const c of cases) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, c.dilations, c.pad, undefined, true);
    const dy = info.outShape;
    const common = { strides: c.strides, dilations: c.dilations, pad: c.pad, dimRoundingMode: undefined };
    await sameOnBoth('DepthwiseConv2dNativeBackpropFilter',
      { x: { data: randn(rng, c.x), shape: c.x }, dy: { data: randn(rng, dy), shape: dy } }, { ...common, filterShape: c.f }, 1e-4);
    await sameOnBoth('DepthwiseConv2dNativeBackpropInput',
      { dy: { data: randn(rng, dy), shape: dy }, filter: { data: randn(rng, c.f), shape: c.f } }, { ...common, inputShape: c.x }, 1e-4);
  }
});

test('the wasm kernels refuse NCHW and non-float input with a ContrastiveError', async () => {
  await withBackend('wasm', () => {
    const x = tf.ones([1, 4, 4, 2]);
    const dy = tf.ones([1, 2, 2, 3]);
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] } as never),
      (e: unknown) => e instanceof ContrastiveError && /Conv2DBackpropFilter.*NCHW/.test(e.message));
    const xi = tf.ones([1, 4, 4, 2], 'int32');
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x: xi, dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] } as never),
      (e: unknown) => e instanceof ContrastiveError && /'x' has dtype int32/.test(e.message));
    tf.dispose([x, dy, xi]);
  });
});

test('the gradient of tf.gather on wasm equals cpu', async () => {
  const rng = new Rng(6);
  const table = randn(rng, [6, 4]);
  const idx = Int32Array.from([3, 0, 3, 5, 1, 3]);
  const weights = randn(rng, [6, 4]);
  const grad = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
    const t = tf.tensor2d(table, [6, 4]);
    const w = tf.tensor2d(weights, [6, 4]);
    const i = tf.tensor1d(idx, 'int32');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, i), w)))(t);
    const v = await g.data();
    tf.dispose([t, w, i, g]);
    return v;
  });
  const onWasm = await grad('wasm');
  assertClose(onWasm, await grad('cpu'), 1e-6, 'gather grad');
  // Row 3 was gathered three times: its gradient is the sum of the three weight rows.
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(onWasm[12 + j] - (weights[j] + weights[8 + j] + weights[20 + j])) < 1e-5);
});

test('the gradients of a small conv net (conv, relu, maxPool, strided conv, dense) on wasm equal cpu', async () => {
  const rng = new Rng(7);
  const xData = randn(rng, [3, 10, 10, 2]);
  const params = {
    w1: { shape: [3, 3, 2, 8], data: randn(rng, [3, 3, 2, 8]).map((v) => v * 0.3) },
    b1: { shape: [8], data: randn(rng, [8]).map((v) => v * 0.1) },
    w2: { shape: [3, 3, 8, 12], data: randn(rng, [3, 3, 8, 12]).map((v) => v * 0.2) },
    w3: { shape: [2 * 2 * 12, 5], data: randn(rng, [48, 5]).map((v) => v * 0.2) },
  };
  const grads = (backend: 'wasm' | 'cpu') => gradientsOn(backend, params, { data: xData, shape: [3, 10, 10, 2] }, (x, vars) => {
    let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, vars.w1 as tf.Tensor4D, 1, 'same'), vars.b1));
    h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
    h = tf.relu(tf.conv2d(h as tf.Tensor4D, vars.w2 as tf.Tensor4D, 2, 'valid'));
    const y = tf.matMul(tf.reshape(h, [3, 48]), vars.w3);
    return tf.sum(tf.square(y));
  });
  const w = await grads('wasm');
  const c = await grads('cpu');
  for (const k of Object.keys(c)) assertClose(w[k], c[k], 1e-4, `grad ${k}`);
});

test('layers models with conv2d, batchNorm, dropout, conv1d and GRU train on wasm (no kernel missing)', async () => {
  const rng = new Rng(8);
  await withBackend('wasm', async () => {
    const cnn = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', seed: 1 } as never),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.dropout({ rate: 0.2, seed: 2 } as never),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ] });
    const seq = tf.sequential({ layers: [
      tf.layers.conv1d({ inputShape: [12, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.gru({ units: 5 }),
      tf.layers.dense({ units: 2 }),
    ] });
    for (const [model, shape, out] of [[cnn, [6, 8, 8, 1], 3], [seq, [6, 12, 3], 2]] as const) {
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const xs = tf.tensor(randn(rng, [...shape]), [...shape]);
      const ys = tf.tensor(randn(rng, [6, out]), [6, out]);
      const h = await model.fit(xs, ys, { epochs: 3, batchSize: 6, verbose: 0, shuffle: false });
      const losses = h.history.loss as number[];
      assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
      assert.ok(losses[2] < losses[0], `loss falls: ${losses}`);
      tf.dispose([xs, ys]);
    }
    cnn.dispose();
    seq.dispose();
  });
});

test('Sum on wasm (our leading-axes path and the stock fallback) equals cpu', async () => {
  const rng = new Rng(9);
  const x = { data: randn(rng, [3, 5, 4, 7]), shape: [3, 5, 4, 7] };
  for (const [axis, keepDims] of [[[0, 1, 2], false], [[2, 0, 1], true], [0, false], [[-4, -3], true], [[1, 3], false], [[0, 1, 2, 3], false], [3, true]] as const) {
    await sameOnBoth('Sum', { x }, { axis, keepDims }, 1e-5);
  }
  await sameOnBoth('Sum', { x: { data: randn(rng, [37, 19]), shape: [37, 19] } }, { axis: 0, keepDims: false }, 1e-5);
  await sameOnBoth('Sum', { x: { data: Int32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2] } }, { axis: 0, keepDims: false });
});

test('BatchMatMul with transposed operands on wasm equals cpu', async () => {
  const rng = new Rng(10);
  const cases: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
    { a: [5, 7], b: [9, 7], tA: false, tB: true },
    { a: [7, 5], b: [7, 9], tA: true, tB: false },
    { a: [7, 5], b: [9, 7], tA: true, tB: true },
    { a: [5, 7], b: [7, 9], tA: false, tB: false },
    { a: [2, 6, 3], b: [2, 4, 3], tA: false, tB: true },
    { a: [1, 3, 6], b: [2, 3, 4], tA: true, tB: false },
  ];
  for (const c of cases) {
    await sameOnBoth('BatchMatMul', { a: { data: randn(rng, c.a), shape: c.a }, b: { data: randn(rng, c.b), shape: c.b } },
      { transposeA: c.tA, transposeB: c.tB }, 1e-5);
  }
});

test('convolution kernels (forward and both gradients) split over two threads give the single-thread result', async () => {
  const rng = new Rng(12);
  const before = kernelThreads();
  try {
    for (const c of [
      { x: [7, 12, 12, 16], f: [3, 3, 16, 32], strides: [1, 1], pad: 'valid' },
      { x: [9, 14, 13, 8], f: [3, 3, 8, 24], strides: [2, 2], pad: 'same' },
    ] as ConvCase[]) {
      const dy = outShape(c);
      const inputsF = { x: { data: randn(rng, c.x), shape: c.x }, dy: { data: randn(rng, dy), shape: dy } };
      const inputsI = { dy: inputsF.dy, filter: { data: randn(rng, c.f), shape: c.f } };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const results = [];
      for (const n of [1, 2]) {
        setKernelThreads(n);
        results.push([
          await runOn('wasm', 'Conv2DBackpropFilter', inputsF, { ...attrs, filterShape: c.f }),
          await runOn('wasm', 'Conv2DBackpropInput', inputsI, { ...attrs, inputShape: c.x }),
          await runOn('wasm', 'Conv2D', { x: inputsF.x, filter: inputsI.filter }, { ...attrs, dilations: 1 }),
        ]);
      }
      assertClose(results[1][0].values, results[0][0].values, 1e-5, 'filter gradient, 2 threads vs 1');
      assert.deepEqual(results[1][1].values, results[0][1].values, 'input gradient, 2 threads vs 1');
      assertClose(results[1][2].values, results[0][2].values, 1e-5, 'conv2d forward, 2 threads (ours) vs 1 (XNNPACK)');
      const ref = await runOn('cpu', 'Conv2DBackpropFilter', inputsF, { ...attrs, filterShape: c.f });
      assertClose(results[1][0].values, ref.values, 1e-4, 'filter gradient, 2 threads vs cpu');
    }
  } finally {
    setKernelThreads(before);
  }
  for (const bad of [0, 2.5, 65]) {
    assert.throws(() => setKernelThreads(bad), (e: unknown) => e instanceof ContrastiveError && /setKernelThreads/.test(e.message));
  }
});

test('Identity on wasm shares data safely: clones outlive their source and keep their values', async () => {
  await withBackend('wasm', async () => {
    const before = tf.memory().numBytes;
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.clone(a);
    const v = tf.variable(a);
    a.dispose();
    assert.deepEqual(Array.from(await b.data()), [1, 2, 3, 4]);
    const next = tf.tensor2d([[5, 6], [7, 8]]);
    v.assign(next);
    next.dispose();
    assert.deepEqual(Array.from(await b.data()), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(await v.data()), [5, 6, 7, 8]);
    b.dispose();
    v.dispose();
    assert.equal(tf.memory().numBytes, before);
  });
});
