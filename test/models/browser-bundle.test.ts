/**
 * loadBrowserBundle without a browser: a bundle read through a fetch over the
 * bundle's files embeds and verifies exactly as loadBundle + the manifest's
 * preprocessing does in Node, for grey and colour images with mean/std, and
 * resizes larger images the way decodeImage's 'cover' fit does; bad manifests
 * are errors naming the file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { loadBrowserBundle, browserBundle, preprocessPixels, type PixelSource } from '../../packages/contrastive/src/models/browser-bundle.js';
import { sNormPairs } from '../../packages/contrastive/src/eval/score-norm.js';
import { toModelInput } from '../../packages/contrastive/src/models/model-input.js';
import { probabilitySame } from '../../packages/contrastive/src/eval/calibration.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose } from '../support/helpers.js';
import { fileFetch } from '../support/file-fetch.js';
import { saveBundle, loadBundle } from '../../packages/node/src/models/bundle.js';

let tmp: string;

/** Random 8-bit RGBA pixels; grey when `channels` is 1. */
function pixels(rng: Rng, width: number, height: number, channels: 1 | 3): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const g = rng.int(256);
    for (let c = 0; c < 3; c++) data[p * 4 + c] = channels === 1 ? g : rng.int(256);
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** The loader values (pixel / 255, channels interleaved) Node's decodeImage would give for `px`. */
function loaderValues(px: { width: number; height: number; data: Uint8Array }, channels: 1 | 3): Float32Array {
  const out = new Float32Array(px.width * px.height * channels);
  for (let p = 0; p < px.width * px.height; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = px.data[p * 4 + c] / 255;
  return out;
}

before(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'browser-bundle-'));
});

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

for (const channels of [1, 3] as const) {
  test(`embed and verify equal the Node path (${channels} channel${channels === 1 ? '' : 's'}, normalised, mean/std)`, async () => {
    const dir = path.join(tmp, `c${channels}`);
    const shape = [12, 10, channels];
    const net = new SiameseNetwork(mlpEncoder({ inputShape: shape, hidden: [16], embeddingDim: 6, seed: channels }), { normalize: true });
    const mean = channels === 1 ? 0.4 : [0.4, 0.5, 0.6];
    const std = channels === 1 ? 0.3 : [0.3, 0.2, 0.25];
    await saveBundle(dir, net, {
      preprocessing: { kind: 'image', width: 10, height: 12, channels, scale: 1 / 255, mean, std },
      threshold: 0.5,
      calibration: { target: 'eer', probability: { model: 'logistic', a: 8, b: -3 } },
    });
    net.dispose();
    const rng = new Rng(7);
    const a = pixels(rng, 10, 12, channels);
    const b = pixels(rng, 10, 12, channels);
    const browser = await loadBrowserBundle('bundle://x', { fetch: fileFetch(dir) });
    const node = await loadBundle(dir);
    try {
      const x = new Float32Array([...toModelInput(loaderValues(a, channels), node.manifest.input.preprocessing), ...toModelInput(loaderValues(b, channels), node.manifest.input.preprocessing)]);
      const want = await node.network.embedBatched(x);
      const [ea, eb] = await browser.embed([a as PixelSource, b as PixelSource]);
      assertClose([...ea, ...eb], want, 1e-5, 'embeddings');
      assert.ok(Math.abs(Math.hypot(...ea) - 1) < 1e-5, 'unit norm');
      const d = Math.hypot(...Array.from(ea, (v, k) => v - eb[k]));
      const r = await browser.verify(a as PixelSource, b as PixelSource);
      assert.ok(Math.abs(r.distance - d) < 1e-6);
      assert.equal(r.threshold, 0.5);
      assert.equal(r.same, d <= 0.5);
      assert.ok(Math.abs((r.probability as number) - 1 / (1 + Math.exp(8 * d - 3))) < 1e-9);
      assert.equal(r.probability, probabilitySame(r.distance, { a: 8, b: -3 }), "the calibration's own formula, to the bit");
      assert.equal((await browser.verify(a as PixelSource, b as PixelSource, { threshold: 10 })).same, true);
    } finally {
      browser.dispose();
      node.network.dispose();
    }
  });
}

test('preprocessPixels: twice the size comes back to the original; a wider image is centre-cropped (cover); grey by luminance', () => {
  tf.tidy(() => {
    const small = tf.tensor3d(Array.from({ length: 4 * 6 * 3 }, (_, i) => (i * 37) % 256), [4, 6, 3]);
    const p = { kind: 'image' as const, width: 6, height: 4, channels: 3, scale: 1, mean: 0, std: 1 };
    assertClose(preprocessPixels(tf.image.resizeNearestNeighbor(small, [8, 12]), p).dataSync(), small.dataSync(), 1e-4, 'downscaled');
    const wide = tf.concat([tf.zeros([4, 3, 3]), small, tf.zeros([4, 3, 3])], 1) as tf.Tensor3D;
    assertClose(preprocessPixels(wide, p).dataSync(), small.dataSync(), 1e-4, 'cropped');
    const grey = preprocessPixels(tf.tensor3d([255, 0, 0, 0, 255, 0], [1, 2, 3]), { ...p, width: 2, height: 1, channels: 1, scale: 1 / 255, mean: 0.5, std: 0.25 });
    assertClose(grey.dataSync(), [(0.2126 - 0.5) / 0.25, (0.7152 - 0.5) / 0.25], 1e-5, 'grey');
  });
});

test('a missing or foreign manifest, or a model of another size, is an error naming the file', async () => {
  const dir = path.join(tmp, 'bad');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [], embeddingDim: 3, seed: 1 }));
  await saveBundle(dir, net);
  net.dispose();
  await assert.rejects(loadBrowserBundle('bundle://x', { fetch: fileFetch(path.join(tmp, 'nowhere')) }), /bundle:\/\/x\/manifest\.json answered HTTP 404/);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, format: 'other' }));
  await assert.rejects(loadBrowserBundle('bundle://x', { fetch: fileFetch(dir) }), /manifest\.json is not a contrastive bundle manifest/);
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, embedding: { ...manifest.embedding, dim: 5 } }));
  await assert.rejects(loadBrowserBundle('bundle://x', { fetch: fileFetch(dir) }), /model\.json outputs 3 values per example but .* says embedding\.dim 5/);
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, threshold: null }));
  const b = await loadBrowserBundle('bundle://x', { fetch: fileFetch(dir) });
  const px = { width: 2, height: 2, data: new Uint8Array(16) };
  await assert.rejects(b.verify(px, px), /the bundle has no threshold; pass \{ threshold \}/);
  await assert.rejects(b.verify(px, px, { threshold: 1 }), /takes vector inputs, not images/);
  b.dispose();
});

test('loadBrowserBundle with an S-norm cohort: verify scores the pair against it, as sNormPairs does in Node', async () => {
  const dir = path.join(tmp, 'snorm');
  const shape = [12, 10, 1];
  const net = new SiameseNetwork(mlpEncoder({ inputShape: shape, hidden: [16], embeddingDim: 6, seed: 4 }), { normalize: true });
  const rng = new Rng(3);
  const cohort = await net.embedBatched(Float32Array.from({ length: 30 * 120 }, () => rng.next()));
  await saveBundle(dir, net, { threshold: -0.2, cohort: { embeddings: cohort, dataset: 'noise' } });
  net.dispose();
  const a = pixels(rng, 10, 12, 1);
  const b = pixels(rng, 10, 12, 1);
  const browser = await loadBrowserBundle('bundle://x', { fetch: fileFetch(dir) });
  try {
    const [ea, eb] = await browser.embed([a as PixelSource, b as PixelSource]);
    const r = await browser.verify(a as PixelSource, b as PixelSource);
    const want = sNormPairs(Float32Array.from([...ea, ...eb]), 6, [0], [1], [r.distance], cohort)[0];
    assertClose([r.score], [want], 1e-5, 'score');
    assert.equal(r.same, r.score <= -0.2);
  } finally {
    browser.dispose();
  }
  // a manifest that names a cohort needs it
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  assert.throws(() => browserBundle(tf.sequential({ layers: [tf.layers.dense({ inputShape: [120], units: 6 })] }), manifest), /scoreNorm needs its cohort: 30 rows of 6 float32/);
});
