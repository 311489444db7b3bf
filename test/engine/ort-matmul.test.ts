/**
 * The dense path on onnxruntime's native GEMM (src/engine/kernels/ort-matmul.ts): every form
 * of BatchMatMul and _FusedMatMul the wasm backend receives (transposes, batches, bias,
 * every fused activation) against the cpu backend, the gradients of a dense network, the
 * fallback to the wasm kernels (turned off, tiny products, the environment variable),
 * determinism, tensor leaks and the bound on cached sessions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, randn, runKernelOn, type KernelInputs } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { kernelThreads, setKernelThreads, matMulEngine, setNativeMatMul } from '../../packages/kernels/src/index.js';
import { MAX_SESSIONS, nativeMatMulSessionCount, nativeMatMulStats, resetNativeMatMulStats } from '../../packages/kernels/src/ort-matmul.js';
import { nativeOrt } from '../../packages/kernels/src/onnx/runtime.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests onnxruntime's GEMM and the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));

const available = nativeOrt() !== null;
const skip = available ? false : 'onnxruntime-node does not load here';



/** Runs on wasm and asserts that onnxruntime answered (or not, with `native` false). */
async function runNative(kernel: string, inputs: KernelInputs, attrs: object, native = true): Promise<{ shape: number[]; values: Float32Array }> {
  resetNativeMatMulStats();
  const r = await runKernelOn('wasm', kernel, inputs, attrs);
  assert.equal(nativeMatMulStats.calls, native ? 1 : 0, `${kernel} ${JSON.stringify(Object.values(inputs).map((v) => v.shape))}: onnxruntime ${native ? 'should' : 'should not'} have run it`);
  return r;
}

const shapeOf = (m: number, k: number, t: boolean) => (t ? [k, m] : [m, k]);

test('BatchMatMul on onnxruntime equals cpu: single matrices (Gemm) in all four transposes, batches of matrices (MatMul)', { skip }, async () => {
  const rng = new Rng(31);
  const forms: [number[], number[]][] = [];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      forms.push([shapeOf(67, 130, tA), shapeOf(130, 123, tB)]); // odd sizes, over 1 M multiply-adds
    }
  }
  let i = 0;
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const [as, bs] = forms[i++];
      for (const [pa, pb] of [[[], []], [[1], [1]], [[3], [3]], [[3], [1]], [[2, 2], [2, 2]]] as number[][][]) {
        const inputs = { a: { data: randn(rng, [...pa, ...as]), shape: [...pa, ...as] }, b: { data: randn(rng, [...pb, ...bs]), shape: [...pb, ...bs] } };
        const attrs = { transposeA: tA, transposeB: tB };
        const w = await runNative('BatchMatMul', inputs, attrs);
        const c = await runKernelOn('cpu', 'BatchMatMul', inputs, attrs);
        assert.deepEqual(w.shape, c.shape);
        assertClose(w.values, c.values, 1e-4, `BatchMatMul ${JSON.stringify([inputs.a.shape, inputs.b.shape, tA, tB])}`);
      }
    }
  }
});

test('_FusedMatMul on onnxruntime equals cpu for every activation, with and without bias, in all transposes', { skip }, async () => {
  const rng = new Rng(32);
  const [M, K, N] = [130, 90, 100];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const as = [1, ...shapeOf(M, K, tA)];
      const bs = [1, ...shapeOf(K, N, tB)];
      const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'];
      for (const [j, activation] of activations.entries()) {
        // Each bias form (none, a row, a full matrix) with every activation over the four transposes.
        for (const biasShape of [[null, [N], [M, N]][(j + Number(tA) + 2 * Number(tB)) % 3]]) {
          const inputs: KernelInputs = { a: { data: randn(rng, as), shape: as }, b: { data: randn(rng, bs), shape: bs } };
          if (biasShape) inputs.bias = { data: randn(rng, biasShape), shape: biasShape };
          if (activation === 'prelu') inputs.preluActivationWeights = { data: randn(rng, [N]).map((v) => 0.3 * v), shape: [N] };
          const attrs = { transposeA: tA, transposeB: tB, activation, leakyreluAlpha: 0.1 };
          const w = await runNative('_FusedMatMul', inputs, attrs);
          const c = await runKernelOn('cpu', '_FusedMatMul', inputs, attrs);
          assert.deepEqual(w.shape, c.shape);
          assertClose(w.values, c.values, 1e-4, `_FusedMatMul ${activation} bias ${JSON.stringify(biasShape)} ${tA} ${tB}`);
        }
      }
    }
  }
});

test('gradients of a dense network (relu, linear) on onnxruntime equal cpu', { skip }, async () => {
  const rng = new Rng(33);
  const dims = [300, 128, 96, 48];
  const x = randn(rng, [256, dims[0]]);
  const ws = [0, 1, 2].map((i) => randn(rng, [dims[i], dims[i + 1]]).map((v) => v * 0.08));
  const bs = [0, 1, 2].map((i) => randn(rng, [dims[i + 1]]).map((v) => v * 0.1));
  const run = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
    const vars = [...ws.map((w, i) => tf.tensor(w, [dims[i], dims[i + 1]])), ...bs.map((b) => tf.tensor(b))];
    const xt = tf.tensor(x, [256, dims[0]]);
    const f = (...p: tf.Tensor[]) => {
      let h: tf.Tensor = xt;
      for (let i = 0; i < 3; i++) h = tf.fused.matMul({ a: h as tf.Tensor2D, b: p[i] as tf.Tensor2D, bias: p[3 + i], activation: i < 2 ? 'relu' : 'linear' });
      return tf.sum(tf.square(h));
    };
    const { value, grads } = tf.valueAndGrads(f)([...vars, xt]);
    const out = { value: (await value.data())[0], grads: await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>)) };
    tf.dispose([value, ...grads, ...vars, xt]);
    return out;
  });
  resetNativeMatMulStats();
  const w = await run('wasm');
  // 3 forward, 3 weight gradients, 3 input gradients (x is differentiated too).
  assert.equal(nativeMatMulStats.calls, 9, 'every matmul of the step on onnxruntime');
  const c = await run('cpu');
  assert.ok(Math.abs(w.value - c.value) <= 1e-4 * Math.abs(c.value), `loss ${w.value} vs ${c.value}`);
  w.grads.forEach((g, i) => {
    const scale = c.grads[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(g.map((v) => v / scale), c.grads[i].map((v) => v / scale), 1e-4, `gradient ${i}`);
  });
});

test('same inputs, same bits: twice on one session, again on a fresh one, and on one thread', { skip }, async () => {
  const rng = new Rng(34);
  const inputs = { a: { data: randn(rng, [256, 784]), shape: [256, 784] }, b: { data: randn(rng, [784, 512]), shape: [784, 512] }, bias: { data: randn(rng, [512]), shape: [512] } };
  const attrs = { transposeA: false, transposeB: false, activation: 'relu' };
  const first = await runNative('_FusedMatMul', inputs, attrs);
  const second = await runNative('_FusedMatMul', inputs, attrs);
  assert.deepEqual(second.values, first.values);
  setNativeMatMul(false); // drops the cached sessions
  setNativeMatMul(true);
  const fresh = await runNative('_FusedMatMul', inputs, attrs);
  assert.deepEqual(fresh.values, first.values);
  // One intra-op thread instead of two: the same bits too (MLAS never splits the sum).
  const before = kernelThreads();
  setKernelThreads(1);
  try {
    assert.deepEqual((await runNative('_FusedMatMul', inputs, attrs)).values, first.values);
  } finally {
    setKernelThreads(before);
  }
});

test('turned off or tiny: the wasm kernels answer, bit-identical to the stock kernel; int32 is left to the stock kernel', { skip }, async () => {
  const rng = new Rng(35);
  const inputs = { a: { data: randn(rng, [300, 37]), shape: [300, 37] }, b: { data: randn(rng, [300, 100]), shape: [300, 100] } };
  const attrs = { transposeA: true, transposeB: false };
  const before = kernelThreads();
  try {
    setNativeMatMul(false);
    assert.equal(matMulEngine().engine, 'wasm');
    assert.match(matMulEngine().reason, /setNativeMatMul\(false\)/);
    const off = await runNative('BatchMatMul', inputs, attrs, false);
    setKernelThreads(1);
    const stock = await runNative('BatchMatMul', inputs, attrs, false);
    assert.deepEqual(off.values, stock.values);
  } finally {
    setNativeMatMul(true);
    setKernelThreads(before);
  }
  assert.equal(matMulEngine().engine, 'onnxruntime');
  // 64 x 64 x 64 multiply-adds: below the size where onnxruntime pays.
  const tiny = { a: { data: randn(rng, [64, 64]), shape: [64, 64] }, b: { data: randn(rng, [64, 64]), shape: [64, 64] } };
  const t = await runNative('BatchMatMul', tiny, { transposeA: false, transposeB: false }, false);
  assertClose(t.values, (await runKernelOn('cpu', 'BatchMatMul', tiny, { transposeA: false, transposeB: false })).values, 1e-5, 'tiny');
  // int32: not ours to answer; the stock kernel says it does not support it, as before.
  resetNativeMatMulStats();
  await withBackend('wasm', () => {
    const a = tf.ones([128, 128], 'int32');
    assert.throws(() => tf.matMul(a, a), /non-float32/);
    a.dispose();
  });
  assert.equal(nativeMatMulStats.calls, 0);
});

test('CONTRASTIVE_NATIVE_MATMUL=0 turns the native path off for the process', { skip }, () => {
  const script = [
    "import { initBackend, matMulEngine } from './packages/node/src/engine/index.ts';",
    "import * as tf from '@tensorflow/tfjs';",
    "await initBackend('wasm');",
    "const y = tf.matMul(tf.ones([128, 256]), tf.ones([256, 64]));",
    "console.log(JSON.stringify({ ...matMulEngine(), y: (await y.data())[0] }));",
  ].join('\n');
  const run = (env: string | undefined) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, CONTRASTIVE_NATIVE_MATMUL: env, CONTRASTIVE_NATIVE_KERNELS: '0' }, encoding: 'utf8',
  }).trim().split('\n').pop()!);
  const off = run('0');
  assert.equal(off.engine, 'wasm');
  assert.match(off.reason, /CONTRASTIVE_NATIVE_MATMUL=0/);
  assert.equal(off.sessions, 0);
  assert.equal(off.y, 256);
  const on = run('1');
  assert.equal(on.engine, 'onnxruntime');
  assert.equal(on.sessions, 1);
  assert.equal(on.y, 256);
});

test('no tensor or heap leak over forward, gradient and optimizer steps; the session cache stays bounded', { skip }, async () => {
  await initBackend('wasm');
  const w = tf.variable(tf.randomNormal([200, 64], 0, 0.1, 'float32', 5));
  const opt = tf.train.sgd(0.01);
  const step = (rows: number) => {
    const x = tf.randomNormal([rows, 200], 0, 1, 'float32', rows);
    opt.minimize(() => tf.sum(tf.square(tf.fused.matMul({ a: x, b: w, activation: 'relu' }))) as tf.Scalar);
    x.dispose();
  };
  step(100);
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 3; i++) step(100);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.memory().numBytes, bytes);
  // Varying batch sizes (one signature each) evict the oldest sessions.
  for (let rows = 400; rows < 400 + MAX_SESSIONS + 8; rows++) tf.tidy(() => { tf.matMul(tf.ones([rows, 200]), w); });
  assert.equal(nativeMatMulSessionCount(), MAX_SESSIONS, "the oldest sessions were evicted");
  assert.equal(tf.memory().numTensors, tensors);
  tf.dispose([w]);
  opt.dispose();
});
