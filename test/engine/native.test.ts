/**
 * Our native kernels (csrc/native, the Node addon that node-gyp builds at install) against
 * the cpu backend: the three convolution kernels on shapes that cover strides, padding,
 * dilation, one input channel, output channels that leave a vector tail, 1x1 and 5x5 filters;
 * the dense layers' matmuls (the same kernels as GEMMs); the memory-bound kernels (relu, its
 * gradient with the bias gradient's sums, bias add, max pooling) bit for bit; the same bits on
 * one thread and two; every instruction set the addon was built for; the checks on the
 * operands; and a whole conv net's gradients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, randn, gradientsOn, runKernelOn, reluGradientAndSums, type KernelInputs, assertSameValues } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { adamOptimizer, kernelThreads, setKernelThreads } from '../../packages/kernels/src/index.js';
import { convEngine, nativeKernels, setNativeKernels } from '../../packages/kernels/src/native.js';
import { cnnEncoder } from '../../packages/contrastive/src/models/index.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

test('the native kernels are built and loaded here (npm ci builds them with node-gyp)', () => {
  const engine = convEngine();
  assert.equal(engine.engine, 'native', `native kernels not in use: ${engine.reason}`);
  assert.ok(['avx512', 'avx2', 'generic'].includes(engine.isa!), engine.isa);
});

/** `kernel` on wasm with the native kernels on, and on cpu; the outputs must agree within `tol` (0: bit for bit). */
async function nativeEqualsCpu(kernel: string, inputs: KernelInputs, attrs: object, tol: number): Promise<Float32Array> {
  setNativeKernels(true);
  const w = await runKernelOn('wasm', kernel, inputs, attrs);
  const c = await runKernelOn('cpu', kernel, inputs, attrs);
  assert.deepEqual(w.shape, c.shape, `${kernel}: output shape`);
  if (tol === 0) assertSameValues(w.values, c.values, `${kernel} ${JSON.stringify(attrs)}`);
  else assertClose(w.values, c.values, tol, `${kernel} ${JSON.stringify(attrs)} ${JSON.stringify(Object.values(inputs).map((v) => v.shape))}`);
  return w.values;
}

interface ConvCase { x: Shape4; f: Shape4; strides: [number, number]; pad: Pad; dilations?: [number, number] }
const convCases: ConvCase[] = [
  { x: [2, 13, 13, 32], f: [3, 3, 32, 64], strides: [1, 1], pad: 'valid' }, // the reference CNN's second layer (2 images: past the threads' 2^21 multiply-adds)
  { x: [3, 28, 28, 1], f: [3, 3, 1, 32], strides: [1, 1], pad: 'valid' }, // its first: one input channel
  { x: [12, 28, 28, 1], f: [3, 3, 1, 32], strides: [1, 1], pad: 'valid' }, // enough pixels to slice its filter gradient
  { x: [2, 7, 7, 3], f: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { x: [3, 9, 7, 5], f: [3, 3, 5, 20], strides: [2, 2], pad: 'same' }, // 20 channels: a vector tail
  { x: [2, 10, 11, 7], f: [5, 5, 7, 70], strides: [1, 1], pad: 'same' }, // 70: more than one block, a tail
  { x: [3, 8, 6, 8], f: [3, 2, 8, 12], strides: [2, 2], pad: 'same' },
  { x: [2, 6, 7, 5], f: [2, 3, 5, 9], strides: [1, 2], pad: 'same' },
  { x: [2, 6, 6, 4], f: [1, 1, 4, 16], strides: [1, 1], pad: 'valid' },
  { x: [2, 6, 6, 4], f: [3, 3, 4, 8], strides: [1, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 1, 30, 6], f: [1, 5, 6, 17], strides: [1, 1], pad: 'same' }, // a conv1d layer
  { x: [1, 5, 5, 2], f: [5, 5, 2, 3], strides: [1, 1], pad: 'same' }, // taps outside on every side
  { x: [2, 9, 9, 3], f: [3, 3, 3, 32], strides: [2, 2], pad: 'same' }, // 3 input channels: dot-product input gradient
  { x: [2, 8, 8, 1], f: [3, 3, 1, 20], strides: [1, 1], pad: 'same' }, // the same with a tail of output channels
];

/**
 * The reference CNN's first activation ([N, 26, 26, 32]) at the smallest batch the native
 * memory-bound kernels split over threads: they go parallel from 2^20 floats (PARALLEL_MIN in
 * kernels-native/csrc/native/eltwise.c); 50 images are 1,081,600 floats, over 1024 rows of 32
 * for the relu gradient's blocked sums. A larger batch takes the same paths at several times
 * the cpu backend's time.
 */
const ACT_BATCH = 50;
/**
 * A dense layer's GEMM just past the size the native kernels split over threads: 2^21
 * multiply-adds and 16 output rows a thread (conv-impl.h, the pixel and filter convolutions a
 * GEMM runs as), with output columns that fill more than one register block and leave a tail.
 */
const THREADED_GEMM = { M: 64, K: 260, N: 140 };

const outShape = (c: ConvCase): Shape4 => tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, c.dilations ?? 1, c.pad as never).outShape as Shape4;

test('Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput on the native kernels equal cpu', async () => {
  const rng = new Rng(101);
  const forward: ConvCase[] = [...convCases, { x: [2, 9, 9, 3], f: [3, 3, 3, 8], strides: [1, 1], pad: 'same', dilations: [2, 2] },
    { x: [2, 10, 8, 4], f: [3, 2, 4, 6], strides: [1, 1], pad: 'valid', dilations: [2, 3] }];
  for (const c of forward) {
    await nativeEqualsCpu('Conv2D', { x: { data: randn(rng, c.x), shape: c.x }, filter: { data: randn(rng, c.f), shape: c.f } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? [1, 1], dimRoundingMode: undefined }, 1e-4);
  }
  for (const c of convCases) {
    const dy = outShape(c);
    await nativeEqualsCpu('Conv2DBackpropFilter', { x: { data: randn(rng, c.x), shape: c.x }, dy: { data: randn(rng, dy), shape: dy } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.f }, 1e-4);
    await nativeEqualsCpu('Conv2DBackpropInput', { dy: { data: randn(rng, dy), shape: dy }, filter: { data: randn(rng, c.f), shape: c.f } },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x }, 1e-4);
  }
});

test('FusedConv2D with bias and relu (inference of a conv layer) on the native kernels equals cpu', async () => {
  const rng = new Rng(102);
  for (const c of convCases.slice(0, 5)) {
    const K = c.f[3];
    const f = () => tf.tidy(() => tf.fused.conv2d({
      x: tf.tensor4d(xs, c.x), filter: tf.tensor4d(fs, c.f), strides: c.strides, pad: c.pad as 'same', bias: tf.tensor1d(bs), activation: 'relu',
    }));
    const xs = randn(rng, c.x);
    const fs = randn(rng, c.f);
    const bs = randn(rng, [K]);
    const w = await withBackend('wasm', async () => { const y = f(); const v = await y.data(); y.dispose(); return v; });
    const cv = await withBackend('cpu', async () => { const y = f(); const v = await y.data(); y.dispose(); return v; });
    assertClose(w as Float32Array, cv as Float32Array, 1e-4, `fused conv ${c.x} ${c.f}`);
  }
});

test('BatchMatMul and _FusedMatMul (the dense layers, as GEMMs on the native kernels) equal cpu in every transpose, with bias and relu', async () => {
  const rng = new Rng(103);
  for (const [M, K, N] of [[67, 130, 123], [THREADED_GEMM.M, THREADED_GEMM.K, THREADED_GEMM.N], [5, 300, 48], [128, 64, 16], [4, 50, 4500]]) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = tA ? [K, M] : [M, K];
        const b = tB ? [N, K] : [K, N];
        const inputs = { a: { data: randn(rng, a), shape: a }, b: { data: randn(rng, b), shape: b } };
        await nativeEqualsCpu('BatchMatMul', inputs, { transposeA: tA, transposeB: tB }, 1e-4);
        // _FusedMatMul takes batches of matrices (tf.fused.matMul reshapes to rank 3).
        const batched = { a: { ...inputs.a, shape: [1, ...a] }, b: { ...inputs.b, shape: [1, ...b] }, bias: { data: randn(rng, [N]), shape: [N] } };
        for (const activation of ['linear', 'relu']) {
          await nativeEqualsCpu('_FusedMatMul', batched, { transposeA: tA, transposeB: tB, activation }, 1e-4);
        }
      }
    }
  }
  // A batch of matrices is not ours: it takes the next engine, with the same answer.
  await nativeEqualsCpu('BatchMatMul', { a: { data: randn(rng, [3, 20, 30]), shape: [3, 20, 30] }, b: { data: randn(rng, [3, 30, 40]), shape: [3, 30, 40] } },
    { transposeA: false, transposeB: false }, 1e-4);
});

test('relu, bias add and max pooling on the native kernels equal cpu bit for bit (NaN, infinities, -0 and ties included)', async () => {
  const rng = new Rng(104);
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  for (const shape of [[ACT_BATCH, 26, 26, 32], [2, 5, 5, 3], [3, 33]] as number[][]) {
    const n = shape.reduce((p, d) => p * d, 1);
    const x = randn(rng, shape);
    for (let i = 0; i < 50; i++) x[(i * 7919) % n] = specials[i % 5];
    await nativeEqualsCpu('Relu', { x: { data: x, shape } }, {}, 0);
    const C = shape[shape.length - 1];
    await nativeEqualsCpu('Add', { a: { data: x, shape }, b: { data: randn(rng, [C]), shape: [C] } }, {}, 0);
  }
  const pools: { x: Shape4; size: [number, number]; strides: [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [ACT_BATCH, 26, 26, 32], size: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 7, 7, 6], size: [2, 2], strides: [2, 2], pad: 'valid' }, // odd: a row and a column in no window
    { x: [2, 9, 8, 5], size: [3, 3], strides: [3, 3], pad: 'valid' },
    { x: [2, 7, 5, 3], size: [2, 2], strides: [2, 2], pad: 'same' }, // padded: the wasm kernel's case
    { x: [3, 6, 6, 5], size: [3, 3], strides: [1, 1], pad: 'same' }, // overlapping windows: likewise
  ];
  for (const c of pools) {
    for (const kind of ['random', 'ties', 'special'] as const) {
      const values = [-Infinity, NaN, 0, 1];
      const data = randn(rng, c.x).map((v, i) => (kind === 'ties' ? Math.floor(Math.abs(v) * 1.5) % 3 : kind === 'special' && i % 3 !== 0 ? values[i % 4] : v));
      const y = await runKernelOn('cpu', 'MaxPool', { x: { data, shape: c.x } }, { filterSize: c.size, strides: c.strides, pad: c.pad, dimRoundingMode: undefined });
      await nativeEqualsCpu('MaxPool', { x: { data, shape: c.x } }, { filterSize: c.size, strides: c.strides, pad: c.pad, dimRoundingMode: undefined }, 0);
      // Overlapping windows sum several gradients into one input in another order than cpu.
      const tiled = c.size[0] === c.strides[0] && c.size[1] === c.strides[1];
      await nativeEqualsCpu('MaxPoolGrad', { dy: { data: randn(rng, y.shape), shape: y.shape }, input: { data, shape: c.x }, output: { data: y.values, shape: y.shape } },
        { filterSize: c.size, strides: c.strides, pad: c.pad, dimRoundingMode: undefined }, tiled ? 0 : 2e-5);
    }
  }
});

test('relu gradient on the native kernels: the bits of cpu, and its kept column sums are what Sum returns, past 1024 rows too', async () => {
  const rng = new Rng(105);
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  for (const shape of [[ACT_BATCH, 26, 26, 32], [2, 3, 3, 32], [3, 33], [4, 2, 1030], [13]]) {
    const n = shape.reduce((p, d) => p * d, 1);
    const xd = randn(rng, shape);
    const dyd = randn(rng, shape);
    for (let i = 0; i < 20; i++) { xd[(i * 31) % n] = specials[i % 5]; dyd[(i * 17) % n] = specials[(i + 2) % 5]; }
    const cols = shape.length >= 2 ? shape[shape.length - 1] : n;
    const run = (backend: 'wasm' | 'cpu') => reluGradientAndSums(backend, xd, dyd, shape);
    setNativeKernels(true);
    const w = await run('wasm');
    const c = await run('cpu');
    assertSameValues(w.g, c.g, `relu grad ${shape}`);
    assertSameValues(w.sum, w.sumOfCopy, `kept sums vs a Sum of a copy ${shape}`);
    if (shape.length >= 2 && cols <= 1024) assertSameValues(w.kept!, w.sum, `kept sums ${shape}`);
    for (let j = 0; j < c.sum.length; j++) {
      const [a, e] = [w.sum[j], c.sum[j]];
      const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= 1e-3 * (1 + Math.abs(e));
      assert.ok(ok, `bias gradient ${shape}[${j}]: ${a} vs cpu ${e}`);
    }
  }
});

test('the same bits on one thread and on two: convolutions, GEMMs, relu gradient sums', async () => {
  const rng = new Rng(106);
  const saved = kernelThreads();
  const c = convCases[0];
  const dy = outShape(c);
  const cases: [string, KernelInputs, object][] = [
    ['Conv2D', { x: { data: randn(rng, c.x), shape: c.x }, filter: { data: randn(rng, c.f), shape: c.f } }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 }],
    ['Conv2DBackpropFilter', { x: { data: randn(rng, c.x), shape: c.x }, dy: { data: randn(rng, dy), shape: dy } }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: c.f }],
    ['Conv2DBackpropInput', { dy: { data: randn(rng, dy), shape: dy }, filter: { data: randn(rng, c.f), shape: c.f } }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: c.x }],
    ['Conv2DBackpropFilter', { x: { data: randn(rng, [12, 28, 28, 1]), shape: [12, 28, 28, 1] }, dy: { data: randn(rng, [12, 26, 26, 32]), shape: [12, 26, 26, 32] } }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 32] }],
    ['BatchMatMul', { a: { data: randn(rng, [256, 300]), shape: [256, 300] }, b: { data: randn(rng, [256, 200]), shape: [256, 200] } }, { transposeA: true, transposeB: false }],
    ['BatchMatMul', { a: { data: randn(rng, [256, 300]), shape: [256, 300] }, b: { data: randn(rng, [300, 200]), shape: [300, 200] } }, { transposeA: false, transposeB: false }],
    ['Sum', { x: { data: randn(rng, [3000, 64]), shape: [3000, 64] } }, { axis: [0], keepDims: false }],
  ];
  try {
    setNativeKernels(true);
    for (const [kernel, inputs, attrs] of cases) {
      setKernelThreads(1);
      const one = await runKernelOn('wasm', kernel, inputs, attrs);
      setKernelThreads(2);
      const two = await runKernelOn('wasm', kernel, inputs, attrs);
      assertSameValues(two.values, one.values, `${kernel}: 1 thread vs 2`);
    }
  } finally {
    setKernelThreads(saved);
  }
});

test('the gradients of a small conv net (conv, relu, maxPool, strided conv, dense) on the native kernels equal cpu and the wasm kernels', async () => {
  const rng = new Rng(107);
  const xData = randn(rng, [3, 12, 12, 2]);
  const params = {
    w1: { shape: [3, 3, 2, 16], data: randn(rng, [3, 3, 2, 16]).map((v) => v * 0.3) },
    b1: { shape: [16], data: randn(rng, [16]).map((v) => v * 0.1) },
    w2: { shape: [3, 3, 16, 24], data: randn(rng, [3, 3, 16, 24]).map((v) => v * 0.2) },
    w3: { shape: [2 * 2 * 24, 40], data: randn(rng, [96, 40]).map((v) => v * 0.2) },
  };
  const grads = (backend: 'wasm' | 'cpu') => gradientsOn(backend, params, { data: xData, shape: [3, 12, 12, 2] }, (x, vars) => {
    let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, vars.w1 as tf.Tensor4D, 1, 'same'), vars.b1));
    h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
    h = tf.relu(tf.conv2d(h as tf.Tensor4D, vars.w2 as tf.Tensor4D, 2, 'valid'));
    const y = tf.relu(tf.matMul(tf.reshape(h, [3, 96]), vars.w3));
    return tf.sum(tf.square(y));
  });
  setNativeKernels(true);
  const native = await grads('wasm');
  setNativeKernels(false);
  const wasm = await grads('wasm');
  setNativeKernels(true);
  const cpu = await grads('cpu');
  for (const k of Object.keys(cpu)) {
    assertClose(native[k], cpu[k], 1e-4, `grad ${k} native vs cpu`);
    assertClose(wasm[k], cpu[k], 1e-4, `grad ${k} wasm vs cpu`);
  }
});

test("Adam's fused update of a large variable (split over the threads) on the native kernels gives tf.train.adam bit for bit", async () => {
  const rng = new Rng(108);
  const n = 300_000;
  const w0 = randn(rng, [n]);
  const target = randn(rng, [n]);
  const run = (make: () => tf.Optimizer) => withBackend('wasm', async () => {
    const w = tf.variable(tf.tensor1d(w0), true, `adam_big_${Math.random()}`);
    const t = tf.tensor1d(target);
    const opt = make();
    for (let s = 0; s < 3; s++) opt.minimize(() => tf.sum(tf.mul(tf.square(tf.sub(w, t)), 0.5)) as tf.Scalar);
    const out = Float32Array.from(w.dataSync() as Float32Array);
    opt.dispose();
    tf.dispose([w, t]);
    return out;
  });
  setNativeKernels(true);
  const fused = await run(() => adamOptimizer(0.01));
  const stock = await run(() => tf.train.adam(0.01));
  assertSameValues(fused, stock);
});

test("the CNN encoder's relu conv layers run as one kernel (conv + bias + relu) in training: gradients equal cpu, no first-layer input gradient, a plain Conv2D when saved", async () => {
  const rng = new Rng(109);
  // Two images: which kernels run does not depend on the batch, and the cpu backend's filter
  // gradients (the reference) cost in proportion to it.
  const xData = randn(rng, [2, 28, 28, 1]);
  const run = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
    const enc = cnnEncoder({ inputShape: [28, 28, 1], seed: 3 });
    const x = tf.tensor4d(xData, [2, 28, 28, 1]);
    const vars = enc.model.trainableWeights.map((w) => w.read() as tf.Variable);
    let names: string[] = [];
    // The kernels that ran are asked of the wasm runs only; the cpu run is the reference figures.
    if (backend === 'wasm') {
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(enc.model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        tf.dispose([value, ...Object.values(grads)]);
      });
      names = info.kernels.map((k) => k.name);
    }
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(enc.model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    const out = { loss: (await value.data())[0], grads: await Promise.all(vars.map(async (v) => Float32Array.from(await grads[v.name].data()))), names, config: JSON.stringify(enc.model.toJSON(null, false)).replace(/([A-Za-z]+)\d+"/g, '$1"') }; // layer numbering aside
    tf.dispose([x, value, ...Object.values(grads)]);
    enc.model.dispose();
    return out;
  });
  setNativeKernels(true);
  const w = await run('wasm');
  const c = await run('cpu');
  assert.equal(w.names.filter((n) => n === 'ContrastiveConvBiasRelu').length, 2, w.names.join(' '));
  assert.ok(!w.names.includes('Conv2D'), `Conv2D ran: ${w.names.join(' ')}`);
  assert.equal(w.names.filter((n) => n === 'Relu').length, 1, 'one Relu: the dense layer\'s');
  assert.equal(w.names.filter((n) => n === 'Conv2DBackpropInput').length, 1, 'only the second layer needs an input gradient');
  assert.ok(Math.abs(w.loss - c.loss) <= 1e-4 * Math.abs(c.loss), `loss ${w.loss} vs ${c.loss}`);
  w.grads.forEach((g, i) => assertClose(g, c.grads[i], 2e-3, `grad ${i}`));
  assert.equal(w.config, c.config, 'the saved topology is the plain one');
  assert.ok(w.config.includes('"class_name":"Conv2D"') && w.config.includes('"activation":"relu"'));
  // Without the native kernels the layers take TF.js's own path, with the same loss.
  setNativeKernels(false);
  const plain = await run('wasm');
  setNativeKernels(true);
  assert.ok(plain.names.includes('Conv2D') && !plain.names.includes('ContrastiveConvBiasRelu'));
  assert.ok(Math.abs(plain.loss - c.loss) <= 1e-4 * Math.abs(c.loss));
});

test('the addon checks its operands: outside the heap, a wrong argument count or a non-Float32Array heap is an error, not a crash', () => {
  const k = nativeKernels();
  assert.ok(k);
  const heap = new Float32Array(1000);
  const dims = [1, 5, 5, 2, 3, 3, 4, 3, 3, 1, 1, 1, 1, 0, 0];
  assert.doesNotThrow(() => k.conv2dForward(heap, 0, 50, -1, 200, ...dims, 0, 1));
  assert.throws(() => k.conv2dForward(heap, 0, 50, -1, 990, ...dims, 0, 1), /conv2dForward operand outside the heap/);
  assert.throws(() => k.conv2dBackpropFilter(heap, -4, 50, 200, ...dims, 1), /outside the heap/);
  assert.throws(() => k.relu(heap, 0, 500, 600, 1), /relu operand outside the heap/);
  assert.throws(() => k.maxPoolGrad(heap, 0, 100, 200, 1, 10, 10, 2, 6, 5, 2, 2, 1), /shape not supported/);
  assert.throws(() => (k.relu as (...a: unknown[]) => void)(heap, 0, 10), /wrong number of arguments/);
  assert.throws(() => k.relu(new Float64Array(10) as unknown as Float32Array, 0, 0, 5, 1), /Float32Array/);
});

/** Runs a conv and a GEMM in a child process with `env`; returns its engine report and the max errors against cpu. */
function childRun(env: Record<string, string>): { engine: string; isa?: string; reason?: string; convErr: number; gemmErr: number } {
  const script = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { initBackend } from './packages/node/src/engine/index.ts';",
    "import { convEngine } from './packages/kernels/src/native.ts';",
    'const run = async (backend) => { await initBackend(backend); return tf.tidy(() => {',
    "  const x = tf.randomNormal([2, 9, 9, 5], 0, 1, 'float32', 1), w = tf.randomNormal([3, 3, 5, 70], 0, 1, 'float32', 2);",
    "  const a = tf.randomNormal([67, 130], 0, 1, 'float32', 3), b = tf.randomNormal([130, 123], 0, 1, 'float32', 4);",
    "  return [tf.conv2d(x, w, 1, 'same').dataSync(), tf.matMul(a, b).dataSync()]; }); };",
    "const [cw, gw] = await run('wasm'); const [cc, gc] = await run('cpu');",
    'const err = (p, q) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);',
    'console.log(JSON.stringify({ ...convEngine(), convErr: err(cw, cc), gemmErr: err(gw, gc) }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('every instruction set of the addon gives the cpu answer; CONTRASTIVE_NATIVE_KERNELS=0 turns the addon off', () => {
  const isa = convEngine().isa;
  const sets = isa === 'avx512' ? ['avx512', 'avx2', 'generic'] : isa === 'avx2' ? ['avx2', 'generic'] : ['generic'];
  for (const set of sets) {
    const r = childRun({ CONTRASTIVE_NATIVE_ISA: set });
    assert.equal(r.engine, 'native');
    assert.equal(r.isa, set);
    assert.ok(r.convErr < 1e-3 && r.gemmErr < 1e-3, `${set}: conv ${r.convErr}, gemm ${r.gemmErr}`);
  }
  const off = childRun({ CONTRASTIVE_NATIVE_KERNELS: '0' });
  assert.equal(off.engine, 'wasm');
  assert.match(off.reason!, /CONTRASTIVE_NATIVE_KERNELS=0/);
  assert.ok(off.convErr < 1e-3 && off.gemmErr < 1e-3);
});
