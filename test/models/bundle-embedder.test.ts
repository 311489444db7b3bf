/**
 * BundleEmbedder embeds image files through a loaded bundle: each file decoded and
 * resized as the bundle's preprocessing says, the same embeddings as the network gives
 * the pixels prepared by hand, on TF.js and on onnxruntime; a bundle that takes no
 * images, and a missing file, are errors naming the problem.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { SiameseNetwork, cnnEncoder, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { BundleEmbedder } from '../../packages/node/src/embed/bundle-embedder.js';
import { assertClose, rejectsWith } from '../support/helpers.js';

let tmp: string;
let expected: Float32Array; // the network's embeddings of the two images, prepared by hand
const files: string[] = [];

before(async () => {
  await initBackend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'contrastive-embedder-'));
  const net = new SiameseNetwork(cnnEncoder({ inputShape: [10, 10, 1], filters: [3], dense: 0, embeddingDim: 4, seed: 3 }), { normalize: true });
  await saveBundle(path.join(tmp, 'images'), net); // image preprocessing: 8-bit pixels x 1/255
  const pixels = [0, 1].map((k) => Uint8Array.from({ length: 100 }, (_, i) => (i * (7 + 11 * k) + 40 * k) % 256));
  for (const [k, p] of pixels.entries()) {
    const file = path.join(tmp, `img${k}.png`);
    await sharp(p, { raw: { width: 10, height: 10, channels: 1 } }).png().toFile(file);
    files.push(file);
  }
  const input = new Float32Array(200);
  pixels.forEach((p, k) => p.forEach((v, i) => (input[k * 100 + i] = v / 255)));
  expected = await net.embedBatched(input);
  const vec = new SiameseNetwork(mlpEncoder({ inputShape: [6], hidden: [], embeddingDim: 2 }));
  await saveBundle(path.join(tmp, 'vectors'), vec);
  net.dispose();
  vec.dispose();
});
after(() => rm(tmp, { recursive: true, force: true }));

for (const engine of ['tfjs', 'onnx'] as const) {
  test(`embedFiles and embedFile give the network's embeddings of the decoded images, in order (${engine})`, async () => {
    const embedder = await BundleEmbedder.load(path.join(tmp, 'images'), { engine });
    try {
      assert.equal(embedder.engine, engine);
      assertClose(await embedder.embedFiles(files), expected, 1e-5, 'both files');
      assertClose(await embedder.embedFiles([files[1], files[0]], { concurrency: 1 }), [...expected.subarray(4), ...expected.subarray(0, 4)], 1e-5, 'reversed');
      assertClose(await embedder.embedFile(files[1]), expected.subarray(4), 1e-5, 'one file');
    } finally {
      await embedder.dispose();
    }
  });
}

test('embedFiles: a bundle that takes no images, a missing file and no files are clear errors', async () => {
  const vectors = await BundleEmbedder.load(path.join(tmp, 'vectors'), { engine: 'tfjs' });
  const images = await BundleEmbedder.load(path.join(tmp, 'images'), { engine: 'tfjs' });
  try {
    await rejectsWith(vectors.embedFiles(files), 'INVALID_ARGUMENT', 'BundleEmbedder.embedFiles', 'takes vector inputs of shape [6], not images');
    await rejectsWith(images.embedFiles([files[0], path.join(tmp, 'absent.png')]), 'NOT_FOUND', 'absent.png');
    await rejectsWith(images.embedFiles([]), 'INVALID_ARGUMENT', 'non-empty list');
  } finally {
    await vectors.dispose();
    await images.dispose();
  }
});
