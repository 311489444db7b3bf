/**
 * Cast to the same dtype on wasm (packages/kernels/src/kernels/Cast.ts) shares the data: the result
 * keeps its values after the source is disposed, frees nothing twice, and a real cast still converts (float <-> int32; the stock
 * wasm cast to bool copies the numbers unconverted, a TF.js bug we leave alone here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend } from '../support/helpers.js';

test('Cast on wasm: same dtype shares data safely; other dtypes convert as on cpu', async () => {
  await withBackend('wasm', async () => {
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const x = tf.tensor([1.5, -2, 3.25]);
    const y = tf.cast(x, 'float32');
    x.dispose();
    assert.deepEqual(Array.from(await y.data()), [1.5, -2, 3.25]);
    const i = tf.cast(y, 'int32');
    const back = tf.cast(i, 'float32');
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(Array.from(await i.data()), [1, -2, 3]);
    assert.deepEqual(Array.from(await back.data()), [1, -2, 3]);
    tf.dispose([y, i, back]);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.memory().numBytes, bytes);
  });
});
