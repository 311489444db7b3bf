/**
 * A bundle saved the README's library way (`saveBundle(dir, net)` after
 * trainSiamese on splitDataset's parts) records the loaders' 1/255 input scale,
 * the dataset, split and seed, so `eval` re-splits as the script did.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadDataset } from '../../packages/node/src/data/index.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { toModelInput } from '../../packages/contrastive/src/models/model-input.js';
import { trainSiamese } from '../../packages/contrastive/src/train/trainer.js';
import { openBundle, runSplitOf } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { splitDataset, subsetDataset, type LabelledDataset } from '../../packages/contrastive/src/data/index.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';

let data: LabelledDataset;

before(async () => {
  await initBackend('wasm');
  data = (await loadDataset('mnist')) as LabelledDataset;
});

test('saveBundle after trainSiamese records preprocessing 1/255, dataset, split and seed; eval reads the split from the manifest', async () => {
  const { train, validation } = splitDataset(data, { seed: 1 });
  const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [16], embeddingDim: 8, seed: 1 }), { normalize: true });
  const small = { train: subsetDataset(train, Array.from({ length: 400 }, (_, i) => i * 10)), validation };
  small.train.origin = train.origin;
  await trainSiamese(net, small, { margin: 0.5, epochs: 1, pairsPerEpoch: 256, validationPairs: 200, seed: 7 });
  const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'provenance-')), 'my-model');
  const m = await saveBundle(dir, net);
  net.dispose();

  const p = m.input.preprocessing;
  assert.equal(p.kind, 'image');
  assert.ok(p.kind === 'image' && Math.abs(p.scale - 1 / 255) < 1e-12, 'the loaders give pixel / 255');
  const x = data.x.subarray(0, 784);
  assert.equal(toModelInput(x, p), x, 'loader data goes to the model unchanged');
  const t = m.training as Record<string, unknown>;
  assert.equal(t.dataset, 'mnist');
  assert.equal(t.seed, 1, 'the split seed, not the trainer seed');
  assert.equal(t.trainSeed, 7);
  assert.deepEqual(t.split, { validation: 0.1, test: 0.2, holdoutClasses: [] });
  assert.equal(t.epochs, 1);
  assert.deepEqual(m.loss, { name: 'contrastive', convention: 'hadsell', margin: 0.5 });

  const bundle = await openBundle(dir);
  try {
    assert.deepEqual(await runSplitOf(bundle), { seed: 1, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'manifest' });
    assert.deepEqual(await runSplitOf(bundle, { seed: 3 }), { seed: 3, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'options' });
  } finally {
    bundle.network.dispose();
  }
});

test('a network trained on data that splitDataset did not make: the split is unknown and eval says so (source defaults)', async () => {
  const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [8], embeddingDim: 4, seed: 2 }));
  const rows = subsetDataset(data, Array.from({ length: 200 }, (_, i) => i * 50));
  await trainSiamese(net, { train: rows }, { epochs: 1, pairsPerEpoch: 128, seed: 5 });
  const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'provenance-')), 'b');
  const m = await saveBundle(dir, net);
  net.dispose();
  assert.equal((m.training as Record<string, unknown>).seed, 5);
  assert.equal((m.training as Record<string, unknown>).split, undefined);
  const bundle = await openBundle(dir);
  try {
    assert.equal((await runSplitOf(bundle)).source, 'defaults');
  } finally {
    bundle.network.dispose();
  }
});
