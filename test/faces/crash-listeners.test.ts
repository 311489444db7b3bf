/**
 * Loading the face engine (which initialises the wasm backend when none is in use, and
 * loads face-api's wasm build) leaves the process's crash listeners as it found them.
 */
// npm test: own process (it checks the process's listeners and that no backend is set yet)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadFaceEngine } from '../../packages/faces/src/node-engine.js';

test('loadFaceEngine adds no uncaughtException / unhandledRejection listener', async () => {
  const listeners = () => [[...process.listeners('uncaughtException')], [...process.listeners('unhandledRejection')]];
  const before = listeners();
  assert.equal(tf.engine().backendName, undefined, 'no backend yet: loadFaceEngine initialises one');
  await loadFaceEngine({ detector: 'tiny' });
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(listeners(), before);
});
