/** useBackend: one call to a backend (our kernels on wasm), and a clear error where tf.setBackend would only resolve false. */
// npm test: own process (it checks how the first backend is chosen)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../packages/contrastive/src/index.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { rejectsWith } from '../support/helpers.js';

test('useBackend switches to a registered backend and says which', async () => {
  assert.equal(await useBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});

test('useBackend wasm registers our kernels: a conv filter gradient runs (stock 4.22 wasm has none)', async () => {
  await initBackend('cpu'); // in Node initBackend finds the .wasm files (setWasmPaths); in a page the page does
  await initBackend('wasm');
  await useBackend('cpu');
  assert.equal(await useBackend('wasm'), 'wasm');
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const dw = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'valid').sum())(tf.ones([3, 3, 1, 1]));
  assert.deepEqual(Array.from(dw.dataSync()), new Array(9).fill(4));
  tf.dispose([x, dw]);
});

test('an unknown backend or a bad name is one clear error', async () => {
  await rejectsWith(useBackend('webgpu'), 'UNSUPPORTED', "no backend 'webgpu'", 'registered: ', 'cpu', 'wasm');
  await rejectsWith(useBackend(''), 'INVALID_ARGUMENT', 'useBackend: name must be a backend name');
  // @tensorflow/tfjs registers 'webgl' only in a browser.
  await rejectsWith(useBackend('webgl'), 'UNSUPPORTED', "no backend 'webgl'", 'only where there is a DOM');
  await useBackend('wasm');
});

test('a backend whose start fails is an error naming it, where tf.setBackend resolves false', async () => {
  tf.registerBackend('broken', () => {
    throw new Error('no device');
  });
  const warn = console.warn;
  console.warn = () => undefined; // TF.js logs the factory's failure
  try {
    assert.equal(await tf.setBackend('broken'), false);
    await rejectsWith(useBackend('broken'), 'UNSUPPORTED', "useBackend: backend 'broken' failed to initialise");
  } finally {
    console.warn = warn;
    tf.removeBackend('broken');
    await useBackend('wasm');
  }
});
