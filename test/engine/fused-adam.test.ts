/**
 * The fused Adam update (src/engine/kernels/fused-adam.ts, csrc/kernels.c `adam_update`):
 * bit for bit tf.train.adam on wasm (weights and moments after several steps, odd sizes
 * included), the stock update on cpu, and the same results as tf.train.adam on the cpu backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { adamOptimizer, FusedAdamOptimizer } from '../../packages/kernels/src/index.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Weights and optimizer state after `steps` steps of a tiny regression with `make`'s optimizer. */
async function train(make: () => tf.Optimizer, steps: number): Promise<Float32Array[]> {
  const rng = new Rng(31);
  const shapes = [[13, 7], [7], [7, 3], [3]];
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(randn(rng, s.reduce((p, d) => p * d, 1), 0.3), s), true, `fa${i}_${Math.random()}`));
  const x = tf.tensor(randn(rng, 20 * 13), [20, 13]);
  const y = tf.tensor(randn(rng, 20 * 3), [20, 3]);
  const opt = make();
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => {
      const h = tf.relu(tf.add(tf.matMul(x, vars[0]), vars[1]));
      return tf.mean(tf.square(tf.sub(tf.add(tf.matMul(h, vars[2]), vars[3]), y))) as tf.Scalar;
    });
  }
  const state = await opt.getWeights();
  const out = [...vars.map((v) => v.dataSync() as Float32Array), ...state.map((w) => w.tensor.dataSync() as Float32Array)].map((a) => Float32Array.from(a));
  opt.dispose();
  tf.dispose([...vars, x, y]);
  return out;
}

test('fused Adam on wasm gives tf.train.adam bit for bit (weights and moments), on the native kernels and on the wasm kernel', async () => {
  await withBackend('wasm', async () => {
    const stock = await train(() => tf.train.adam(0.01), 7);
    for (const native of [true, false]) {
      setNativeKernels(native);
      const fused = await train(() => adamOptimizer(0.01), 7);
      assert.equal(fused.length, stock.length);
      fused.forEach((a, i) => assert.deepEqual(a, stock[i], `array ${i} (native kernels ${native ? 'on' : 'off'})`));
    }
    setNativeKernels(true);
    // The fused kernel really ran (one per variable), not the stock ops.
    const opt = adamOptimizer(0.01);
    assert.ok(opt instanceof FusedAdamOptimizer);
    const w = tf.variable(tf.ones([5, 3]));
    const info = await tf.profile(() => {
      opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    });
    assert.equal(info.kernels.filter((k) => k.name === 'ContrastiveAdamUpdate').length, 1);
    assert.equal(info.kernels.filter((k) => k.name === 'Sqrt').length, 0);
    opt.dispose();
    w.dispose();
  });
});

test('fused Adam on cpu falls back to the stock update; wasm matches cpu', async () => {
  const cpuFused = await withBackend('cpu', () => train(() => adamOptimizer(0.01, 0.8, 0.99, 1e-6), 5));
  const cpuStock = await withBackend('cpu', () => train(() => tf.train.adam(0.01, 0.8, 0.99, 1e-6), 5));
  cpuFused.forEach((a, i) => assert.deepEqual(a, cpuStock[i], `array ${i}`));
  const wasm = await withBackend('wasm', () => train(() => adamOptimizer(0.01, 0.8, 0.99, 1e-6), 5));
  wasm.forEach((a, i) => assertClose(a, cpuStock[i], 1e-4, `array ${i} wasm vs cpu`));
});
