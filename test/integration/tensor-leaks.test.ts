// TF.js tensors are released: train -> evaluate -> calibrate -> verify -> index cycles leave
// tf.memory().numTensors where it was (a leak would grow it with every cycle).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import sharp from 'sharp';
import { runTraining, openBundle, evaluateBundle, calibrateBundle, verifyPair, buildIndexFromDataset, searchIndexWith } from '../../packages/cli/src/jobs/index.js';
import { writeIdxSet } from '../support/data.js';

let root = '';
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-leaks-'));
  await writeIdxSet(path.join(root, 'data'), 200, 5);
  await initBackend('wasm');
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function cycle(i: number): Promise<void> {
  const dataset = `idx:${path.join(root, 'data')}`;
  const out = path.join(root, `run-${i}`);
  const run = await runTraining({ report: false, dataset, hidden: [16], embeddingDim: 4, out, backend: 'wasm', train: { epochs: 2, pairsPerEpoch: 400, batchSize: 40, patience: 0, seed: i } });
  run.network.dispose(); // the caller owns the trained network
  const bundle = await openBundle(path.join(out, 'model'));
  await evaluateBundle(bundle, dataset, { pairs: 200 });
  await calibrateBundle(bundle, dataset, { target: { kind: 'eer' }, pairs: 200 });
  const png = path.join(root, 'query.png');
  await sharp(Buffer.alloc(64, 90), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(png);
  await verifyPair(bundle, { kind: 'file', path: png }, { kind: 'file', path: png });
  bundle.network.dispose();
  const index = path.join(root, `index-${i}.sqlite`);
  await buildIndexFromDataset({ model: path.join(out, 'model'), dataset, split: 'all', out: index });
  await searchIndexWith({ index, model: path.join(out, 'model'), queries: [{ kind: 'file', path: png }], k: 3 });
}

test('train, evaluate, calibrate, verify, index build and search: no tensor left behind across cycles', async () => {
  await cycle(0); // warm-up: kernels and backend state created once
  const before = tf.memory().numTensors;
  await cycle(1);
  await cycle(2);
  assert.equal(tf.memory().numTensors, before, `tensors before ${before}, after two more cycles ${tf.memory().numTensors}`);
});

test('every optimizer: trainSiamese with checkpoints leaves no tensor behind', async () => {
  const { SiameseNetwork, mlpEncoder } = await import('../../packages/contrastive/src/models/index.js');
  const { trainSiamese } = await import('../../packages/contrastive/src/train/trainer.js');
  const { loadDataset } = await import('../../packages/node/src/data/index.js');
  const data = await loadDataset(`idx:${path.join(root, 'data')}`);
  for (const optimizer of ['adam', 'sgd', 'rmsprop'] as const) {
    const before = tf.memory().numTensors;
    const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [8], embeddingDim: 4, seed: 1 }), { normalize: true });
    await trainSiamese(net, { train: data, validation: data }, { optimizer, epochs: 2, pairsPerEpoch: 200, batchSize: 20, checkpointDir: path.join(root, `ck-${optimizer}`) });
    net.dispose();
    assert.equal(tf.memory().numTensors, before, `${optimizer}: tensors before ${before}, after ${tf.memory().numTensors}`);
  }
});
