/**
 * The element-wise and reduction kernels of a conv layer's training step on wasm (bias Add,
 * bias-gradient Sum; src/engine/kernels/bias-add.ts, csrc/kernels.c `add_bias`, `sum_rows`)
 * against the cpu backend on odd shapes (channels 1, 3, 5, 31..33, batch 1), the cases that
 * must fall back to the stock kernel, NaN and infinities, tensor leaks, and the gradients of
 * a small conv layer with bias.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, randn, gradientsOn, reluGradientAndSums } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { biasInner } from '../../packages/kernels/src/bias-add.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));


/** Values and shape of `f` run on `backend`, with the kernels it ran. */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor): Promise<{ values: Float32Array | Int32Array; shape: number[]; kernels: string[] }> {
  return withBackend(backend, async () => {
    let out: tf.Tensor | undefined;
    const info = await tf.profile(() => (out = f()));
    const values = (await out!.data()) as Float32Array | Int32Array;
    const shape = out!.shape;
    out!.dispose();
    return { values, shape, kernels: info.kernels.map((k) => k.name) };
  });
}

/** Exact equality, NaN and -0 included. */
function assertSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('biasInner: which Adds are bias adds', () => {
  assert.equal(biasInner([256, 26, 26, 32], [32]), 32);
  assert.equal(biasInner([2, 3, 4], [1, 1, 4]), 4);
  assert.equal(biasInner([2, 3, 4], [3, 4]), 12);
  assert.equal(biasInner([5, 3], []), 1); // a scalar
  assert.equal(biasInner([5, 3], [1]), 1);
  assert.equal(biasInner([5, 3], [5, 3]), 0); // same shape: the stock kernel
  assert.equal(biasInner([4, 1], [3]), 0); // a true broadcast to [4, 3]
  assert.equal(biasInner([4, 3], [1, 1, 3]), 0); // the result would gain a rank
  assert.equal(biasInner([4, 3], [4, 1]), 0);
});

test('bias Add on wasm equals cpu bit for bit, on odd shapes, in both operand orders', async () => {
  const rng = new Rng(21);
  const cases: [number[], number[]][] = [
    [[1, 5, 5, 1], [1]], [[2, 3, 3, 5], [5]], [[3, 7, 32], [32]], [[2, 4, 4, 33], [33]], [[1, 2, 2, 31], [31]],
    [[5, 3], [1, 3]], [[2, 3, 4], [3, 4]], [[7, 3], []], [[9], [1]], [[1, 6, 6, 64], [1, 1, 1, 64]], [[3, 1030], [1030]],
  ];
  for (const [xs, bs] of cases) {
    const xd = randn(rng, xs);
    const bd = randn(rng, bs);
    for (const order of ['x+b', 'b+x'] as const) {
      const f = () => {
        const x = tf.tensor(xd, xs);
        const b = tf.tensor(bd, bs);
        const y = order === 'x+b' ? tf.add(x, b) : tf.add(b, x);
        tf.dispose([x, b]);
        return y;
      };
      const w = await on('wasm', f);
      const c = await on('cpu', f);
      assert.deepEqual(w.shape, c.shape, `${xs} ${order} ${bs}: shape`);
      assertSame(w.values, c.values, `${xs} ${order} ${bs}`);
    }
  }
});

test('Add on wasm: NaN and infinities pass through; other Adds (same shape, broadcast, int32) keep the stock results', async () => {
  const x = Float32Array.from([NaN, Infinity, -Infinity, 1, -0, 0, 3e38, -2, 5]);
  const b = Float32Array.from([1, -Infinity, 3e38]);
  const cases: (() => tf.Tensor)[] = [
    () => tf.add(tf.tensor(x, [3, 3]), tf.tensor(b)),
    () => tf.add(tf.tensor(x, [3, 3]), tf.tensor(x, [3, 3])),
    () => tf.add(tf.tensor(x.slice(0, 3), [3, 1]), tf.tensor(b, [1, 3])),
    () => tf.add(tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), tf.tensor([7, 8, 9], [3], 'int32')),
  ];
  for (const [i, f] of cases.entries()) {
    const g = () => tf.tidy(f);
    const w = await on('wasm', g);
    const c = await on('cpu', g);
    assert.deepEqual(w.shape, c.shape);
    assertSame(w.values, c.values, `case ${i}`);
  }
});

/** out[j] = sum over rows of x[i, j], in row order, in float32 (what sum_rows computes). */
function columnSums(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] = Math.fround(out[j] + x[i * cols + j]);
  return out;
}

test('bias-gradient Sum on wasm: the float32 row-order sums, every column width (1..1030), equal to cpu', async () => {
  const rng = new Rng(22);
  for (const [rows, cols] of [[1, 1], [7, 1], [5, 3], [9, 5], [13, 31], [11, 32], [3, 33], [17, 64], [2, 100], [3, 1030]]) {
    const xd = randn(rng, [rows, cols]);
    const f = () => tf.tidy(() => tf.sum(tf.tensor(xd, [1, rows, cols]), [0, 1]));
    const w = await on('wasm', f);
    assertSame(w.values, columnSums(xd, rows, cols), `sum [${rows}, ${cols}]`);
    assertClose(w.values, (await on('cpu', f)).values, 1e-5, `sum [${rows}, ${cols}] vs cpu`);
  }
});

test('bias Add and its gradient on wasm leave no tensors behind', async () => {
  await withBackend('wasm', async () => {
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 1);
    const b = tf.variable(tf.zeros([3]), true, `leak_b_${Math.random()}`);
    for (let i = 0; i < 2; i++) {
      // One warm-up round: the first gradient call may keep engine state of its own.
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.relu(tf.add(x, b))), [b]);
      tf.dispose([value, ...Object.values(grads)]);
      if (i === 1) assert.equal(tf.memory().numTensors, before);
    }
    tf.dispose([x, b]);
  });
});

test('the gradients of a conv layer with bias and relu (odd channels, batch 1 and 3) on wasm equal cpu', async () => {
  const rng = new Rng(23);
  for (const [N, C, K] of [[1, 1, 5], [3, 3, 33], [2, 4, 32]]) {
    const xData = randn(rng, [N, 10, 10, C]);
    const params = {
      w: { shape: [3, 3, C, K], data: randn(rng, [3, 3, C, K]).map((v) => v * 0.3) },
      b: { shape: [K], data: randn(rng, [K]).map((v) => v * 0.1) },
      w2: { shape: [4 * 4 * K, 3], data: randn(rng, [16 * K, 3]).map((v) => v * 0.2) },
      b2: { shape: [3], data: randn(rng, [3]).map((v) => v * 0.1) },
    };
    const grads = (backend: 'wasm' | 'cpu') => gradientsOn(backend, params, { data: xData, shape: [N, 10, 10, C] }, (x, vars) => {
      let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, vars.w as tf.Tensor4D, 1, 'valid'), vars.b));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
      const y = tf.add(tf.matMul(tf.reshape(h, [N, 16 * K]), vars.w2), vars.b2);
      return tf.sum(tf.square(y));
    });
    const w = await grads('wasm');
    const c = await grads('cpu');
    for (const k of Object.keys(c)) assertClose(w[k], c[k], 1e-4, `N${N} C${C} K${K} grad ${k}`);
  }
});

test('relu gradient with kept column sums: the same gradient bits as cpu, and the bias-gradient Sum takes the sums (the same bits as summing a copy)', async () => {
  const rng = new Rng(24);
  const special = [NaN, Infinity, -Infinity, 0, -0];
  for (const shape of [[2, 3, 3, 32], [1, 4, 4, 5], [3, 33], [7, 1], [4, 2, 1030], [13]]) {
    const n = shape.reduce((p, d) => p * d, 1);
    const xd = randn(rng, shape);
    const dyd = randn(rng, shape);
    for (let i = 0; i < Math.min(n, 10); i++) { xd[i * 3 % n] = special[i % 5]; dyd[i * 7 % n] = special[(i + 2) % 5]; }
    const cols = shape.length >= 2 ? shape[shape.length - 1] : n;
    const rows = n / cols;
    const leading = shape.slice(0, -1).map((_, i) => i);
    const run = (backend: 'wasm' | 'cpu') => reluGradientAndSums(backend, xd, dyd, shape);
    const w = await run('wasm');
    const c = await run('cpu');
    assertSame(w.g, c.g, `relu grad ${shape}`);
    assertSame(w.sum, w.sumOfCopy, `sum of the relu grad ${shape} vs sum of a copy`);
    if (leading.length > 0) assertSame(w.sum, columnSums(w.g, rows, cols), `sum ${shape} vs float32 row-order sums`);
    // Kept for a last axis of 1..1024 (rank >= 2) on wasm, and what Sum returned; never on cpu.
    if (shape.length >= 2 && cols <= 1024) assertSame(w.kept!, w.sum, `kept sums ${shape}`);
    else assert.equal(w.kept, undefined, `no kept sums for ${shape}`);
    assert.equal(c.kept, undefined);
  }
});

test('MaxPoolGrad 2x2 on odd sizes on wasm zeroes the rows and columns no window covers, even in reused memory', async () => {
  const rng = new Rng(25);
  for (const shape of [[1, 7, 6, 3], [2, 6, 7, 5], [3, 11, 11, 64], [1, 5, 5, 1]] as [number, number, number, number][]) {
    const data = randn(rng, shape);
    const grad = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
      // Freed NaN-filled memory of the output's size: the allocator hands it out again.
      tf.fill(shape, NaN).dispose();
      const x = tf.tensor4d(data, shape);
      const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(x);
      const v = (await g.data()) as Float32Array;
      tf.dispose([x, g]);
      return v;
    });
    assertSame(await grad('wasm'), await grad('cpu'), `maxPool grad ${shape}`);
  }
});
