/**
 * The one-pass relu gradient (src/engine/kernels/relu-grad.ts, csrc/kernels.c `relu_grad`):
 * on wasm it runs (one kernel, no Step) and equals TF.js's dy * step(x) bit for bit, zeros,
 * negative zeros, NaN and infinities included; the cpu backend gives the same values.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend } from '../support/helpers.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));

const x = Float32Array.from([1.5, -2, 0, -0, NaN, Infinity, -Infinity, 3, 1e-30, -1e-30, 7, -7, 0.5]);
const dy = Float32Array.from([2, 3, -4, 5, 6, -Infinity, 8, NaN, -1, 9, Infinity, 0, -0]);

async function gradient(): Promise<{ g: Float32Array; kernels: string[] }> {
  const xt = tf.tensor(x);
  const dyt = tf.tensor(dy);
  let g: tf.Tensor | undefined;
  const info = await tf.profile(() => {
    g = tf.grad((t: tf.Tensor) => tf.relu(t))(xt, dyt);
    return g;
  });
  const out = Float32Array.from(await g!.data());
  tf.dispose([xt, dyt, g!]);
  return { g: out, kernels: info.kernels.map((k) => k.name) };
}

test('relu gradient on wasm: one fused kernel, the values of dy * step(x) on cpu, bit for bit', async () => {
  const wasm = await withBackend('wasm', gradient);
  const cpu = await withBackend('cpu', gradient);
  assert.ok(wasm.kernels.includes('ContrastiveReluGrad'), wasm.kernels.join(','));
  assert.ok(!wasm.kernels.includes('Step'));
  assert.ok(cpu.kernels.includes('Step'), 'cpu keeps TF.js formula');
  // Object.is per element: -0 and NaN compared exactly.
  wasm.g.forEach((v, i) => assert.ok(Object.is(v, cpu.g[i]), `element ${i}: ${v} vs ${cpu.g[i]}`));
  // And the stock formula on wasm itself.
  const stock = await withBackend('wasm', async () => Float32Array.from(await tf.mul(tf.tensor(dy), tf.cast(tf.step(tf.tensor(x)), 'float32')).data()));
  wasm.g.forEach((v, i) => assert.ok(Object.is(v, stock[i]), `element ${i} vs stock wasm`));
});
