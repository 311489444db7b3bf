/**
 * FusedConv2D on wasm (packages/kernels/src/kernels/FusedConv2D.ts): without bias and activation it runs
 * our Conv2D; with bias, relu or prelu the stock kernel. Both equal cpu, and the gradient of a
 * linear fused conv (what a conv layer before batch norm records) too.
 */
import { test, before, after } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, withBackend } from '../support/helpers.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
// (in hooks, not at load: in a shared test process the files after this one keep the default)
before(() => setNativeKernels(false));
after(() => setNativeKernels(process.env.CONTRASTIVE_NATIVE_KERNELS !== '0'));

const seq = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 1.5);

test('FusedConv2D on wasm = cpu: linear without bias (our Conv2D), with bias and relu (stock), gradients', async () => {
  const run = async () => {
    const x = tf.tensor4d(seq(3 * 9 * 8 * 5, 0.37), [3, 9, 8, 5]);
    const w = tf.tensor4d(seq(3 * 3 * 5 * 6, 0.91), [3, 3, 5, 6]);
    const b = tf.tensor1d(seq(6, 1.3));
    const outs = [
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid' }),
      tf.fused.conv2d({ x, filter: w, strides: [2, 1], pad: 'same', dilations: 1 }),
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias: b, activation: 'relu' }),
      ...tf.grads((xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.square(tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: wt as tf.Tensor4D, strides: 1, pad: 'valid' }))))([x, w]),
    ];
    const r = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
    tf.dispose([x, w, b, ...outs]);
    return r;
  };
  const wasm = await withBackend('wasm', run);
  const cpu = await withBackend('cpu', run);
  wasm.forEach((v, i) => assertClose(v, cpu[i], 1e-4, `output ${i}`));
});
