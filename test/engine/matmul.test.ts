/**
 * The dense path on two threads (src/engine/kernels/matmul.ts, csrc/kernels.c `matmul`):
 * BatchMatMul and _FusedMatMul on wasm against the cpu backend, in shapes that take the
 * two-thread path (and its edges: rows not a multiple of 4, columns not a multiple of 8,
 * K longer than one 256-chunk, both transposes, bias and relu), and the gradients of a
 * dense network. Also the streaming kernel behind bench:loss's bound. The native path
 * (onnxruntime, ort-matmul.test.ts) is turned off here: these are the kernels it falls back to.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { withBackend, assertClose, randn, runKernelOn, type KernelInputs, assertSameValues } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { kernelThreads, setKernelThreads, setNativeMatMul } from '../../packages/kernels/src/index.js';
import { matMulTwoThreads } from '../../packages/kernels/src/matmul.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../../packages/kernels/src/wasm-module.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));
before(() => setNativeMatMul(false));
after(() => setNativeMatMul(process.env.CONTRASTIVE_NATIVE_MATMUL !== '0'));

// [a shape, b shape, transposeA, transposeB]: each product is over the 1e6 multiply-adds that
// send it to the two-thread path.
const cases: [number[], number[], boolean, boolean][] = [
  [[101, 130], [130, 90], false, false], // rows % 4 = 1, columns % 8 = 2
  [[37, 300], [300, 100], false, false], // K over one 256-chunk
  [[300, 37], [300, 100], true, false], // dW = x^T dy
  [[64, 260], [70, 260], false, true], // dx = dy W^T
  [[300, 37], [100, 300], true, true],
  [[1, 128, 784], [1, 784, 64], false, false], // rank 3 with a batch of 1
];

test('the two-thread path is taken for these shapes and gives the cpu result (BatchMatMul)', async () => {
  const before = kernelThreads();
  setKernelThreads(2);
  try {
    const rng = new Rng(21);
    for (const [as, bs, tA, tB] of cases) {
      const inputs = { a: { data: randn(rng, as), shape: as }, b: { data: randn(rng, bs), shape: bs } };
      const attrs = { transposeA: tA, transposeB: tB };
      const w = await runKernelOn('wasm', 'BatchMatMul', inputs, attrs);
      const c = await runKernelOn('cpu', 'BatchMatMul', inputs, attrs);
      assert.deepEqual(w.shape, c.shape);
      assertClose(w.values, c.values, 2e-4, `BatchMatMul ${JSON.stringify([as, bs, tA, tB])}`);
      // Bit for bit the stock (XNNPACK, one thread) result: training results do not change.
      setKernelThreads(1);
      const one = await runKernelOn('wasm', 'BatchMatMul', inputs, attrs);
      setKernelThreads(2);
      assert.deepEqual(w.values, one.values, 'two threads (ours) vs one (stock)');
      // The override really ran our kernel on two threads (it answers null when it would not).
      await withBackend('wasm', () => {
        const a = tf.tensor(inputs.a.data, as);
        const b = tf.tensor(inputs.b.data, bs);
        const backend = tf.backend();
        const out = matMulTwoThreads({ inputs: { a, b }, backend, attrs: attrs as unknown as tf.NamedAttrMap }, a, b, tA, tB, null, false);
        assert.ok(out, `two-thread path taken for ${JSON.stringify([as, bs])}`);
        assertClose(backend.readSync(out.dataId) as Float32Array, c.values, 2e-4, 'direct call');
        backend.disposeData(out.dataId);
        tf.dispose([a, b]);
      });
    }
  } finally {
    setKernelThreads(before);
  }
});

test('_FusedMatMul (bias, relu, linear, transposes) on two threads equals cpu; other activations fall back to the stock kernel, transposed first (it is wrong with transposeA)', async () => {
  const rng = new Rng(22);
  const before = kernelThreads();
  // Rank 3 with a batch of 1, as tf.fused.matMul calls it (the stock kernel reads rank 3 only).
  for (const [as2, bs2, tA, tB] of cases.slice(0, 5)) {
    const [as, bs] = [[1, ...as2], [1, ...bs2]];
    const N = tB ? bs2[0] : bs2[1];
    const inputs = { a: { data: randn(rng, as), shape: as }, b: { data: randn(rng, bs), shape: bs }, bias: { data: randn(rng, [N]), shape: [N] } };
    for (const activation of ['relu', 'linear', 'elu']) {
      const attrs = { transposeA: tA, transposeB: tB, activation, leakyreluAlpha: 0.2 };
      const w = await runKernelOn('wasm', '_FusedMatMul', inputs, attrs);
      const c = await runKernelOn('cpu', '_FusedMatMul', inputs, attrs);
      assertClose(w.values, c.values, 2e-4, `_FusedMatMul ${activation} ${JSON.stringify([as, bs, tA, tB])}`);
      if (activation !== 'elu' && !tA && !tB) {
        setKernelThreads(1);
        const one = await runKernelOn('wasm', '_FusedMatMul', inputs, attrs);
        setKernelThreads(before);
        assert.deepEqual(w.values, one.values, 'two threads (ours) vs one (stock)');
      }
      if (activation === 'relu') assert.ok(w.values.every((v) => v >= 0) && w.values.some((v) => v === 0));
    }
    // No bias.
    const { bias: _unused, ...noBias } = inputs;
    const attrs = { transposeA: tA, transposeB: tB, activation: 'relu' };
    assertClose((await runKernelOn('wasm', '_FusedMatMul', noBias, attrs)).values, (await runKernelOn('cpu', '_FusedMatMul', noBias, attrs)).values, 2e-4, 'no bias');
  }
});

test('gradients of the default MLP (784-512-256-64, relu) on wasm with two threads equal cpu', async () => {
  const rng = new Rng(23);
  const x = randn(rng, [64, 784]);
  const ws = [[784, 512], [512, 256], [256, 64]].map((s) => randn(rng, s).map((v) => v * 0.05));
  const bs = [512, 256, 64].map((n) => randn(rng, [n]).map((v) => v * 0.1));
  const run = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
    const vars = [...ws.map((w, i) => tf.tensor(w, [[784, 512], [512, 256], [256, 64]][i])), ...bs.map((b) => tf.tensor(b))];
    const xt = tf.tensor(x, [64, 784]);
    const f = (...p: tf.Tensor[]) => {
      let h: tf.Tensor = xt;
      for (let i = 0; i < 3; i++) h = tf.fused.matMul({ a: h as tf.Tensor2D, b: p[i] as tf.Tensor2D, bias: p[3 + i], activation: i < 2 ? 'relu' : 'linear' });
      return tf.sum(tf.square(h));
    };
    const { value, grads } = tf.valueAndGrads(f)(vars);
    const out = { value: (await value.data())[0], grads: await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>)) };
    tf.dispose([value, ...grads, ...vars, xt]);
    return out;
  });
  const w = await run('wasm');
  const c = await run('cpu');
  assert.ok(Math.abs(w.value - c.value) <= 1e-4 * Math.abs(c.value), `loss ${w.value} vs ${c.value}`);
  w.grads.forEach((g, i) => {
    const scale = c.grads[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(g.map((v) => v / scale), c.grads[i].map((v) => v / scale), 1e-4, `gradient ${i}`);
  });
});

test('stream_copy2 copies both inputs (the kernel behind bench:loss memory bound)', async () => {
  await withBackend('wasm', async () => {
    const a = tf.tensor(Float32Array.from({ length: 1003 }, (_, i) => i), [1003]);
    const b = tf.tensor(Float32Array.from({ length: 1003 }, (_, i) => -i), [1003]);
    const ga = tf.zeros([1003]);
    const gb = tf.zeros([1003]);
    const backend = tf.backend() as unknown as WasmBackendLike;
    const info = (t: tf.Tensor) => t as unknown as TensorInfo;
    kernelsFor(backend).stream_copy2(ptr(backend, info(a)), ptr(backend, info(b)), ptr(backend, info(ga)), ptr(backend, info(gb)), 1003);
    assertSameValues(await ga.data(), await a.data());
    assertSameValues(await gb.data(), await b.data());
    tf.dispose([a, b, ga, gb]);
  });
});
