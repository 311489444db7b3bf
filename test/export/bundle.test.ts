import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { cnnEncoder, sequenceEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { exportBundleOnnx, OnnxEmbedder } from '../../packages/node/src/export/index.js';
import { assertClose } from '../support/helpers.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';

before(async () => {
  await initBackend('cpu');
});

async function roundTrip(network: SiameseNetwork, exampleShape: number[], n: number): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'export-bundle-'));
  try {
    const bundle = path.join(dir, 'bundle');
    await saveBundle(bundle, network);
    const file = await exportBundleOnnx(bundle);
    assert.equal(file, path.join(bundle, 'model.onnx'));
    assert.ok((await readdir(bundle)).includes('model.onnx'));
    const rng = new Rng(5);
    const size = exampleShape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n * size }, () => rng.next());
    const expected = tf.tidy(() => network.embed(tf.tensor(x, [n, ...exampleShape])).dataSync());
    const embedder = await OnnxEmbedder.load(file);
    try {
      assertClose(await embedder.embed(x, n), expected, 1e-5, 'bundle embedding');
    } finally {
      await embedder.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('exportBundleOnnx: the ready CNN encoder (batch norm variant), L2-normalised, equals SiameseNetwork.embed', async () => {
  const enc = cnnEncoder({ inputShape: [16, 16, 1], filters: [4, 8], dense: 16, embeddingDim: 8, batchNorm: true, seed: 3 });
  await roundTrip(new SiameseNetwork(enc, { normalize: true }), [16, 16, 1], 5);
});

test('exportBundleOnnx: the conv1d sequence encoder, unnormalised, at one length', async () => {
  const enc = sequenceEncoder({ features: 3, filters: [8, 8], kernelSize: 3, embeddingDim: 6, seed: 4 });
  await roundTrip(new SiameseNetwork(enc), [12, 3], 4);
});

test('exportBundleOnnx: a missing bundle is a ContrastiveError', async () => {
  await assert.rejects(exportBundleOnnx('/nonexistent/bundle'), (e: unknown) => e instanceof ContrastiveError && /nonexistent/.test(e.message));
});
