// npm test: own process (it checks how the first backend is chosen)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, currentBackend } from '../../packages/node/src/engine/backend.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

test('auto picks wasm when tfjs-node is absent, with SIMD', async () => {
  const name = await initBackend();
  assert.equal(name, 'wasm');
  assert.equal(currentBackend(), 'wasm');
  assert.equal(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), true);
});

test('explicit cpu and wasm backends can be selected in turn', async () => {
  assert.equal(await initBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('an unavailable or unknown backend is a clear error', async () => {
  await assert.rejects(initBackend('tensorflow'), (e: unknown) => e instanceof ContrastiveError && /tfjs-node/.test(e.message));
  await assert.rejects(initBackend('gpu' as never), (e: unknown) => e instanceof ContrastiveError && /unknown backend 'gpu'/.test(e.message));
});
