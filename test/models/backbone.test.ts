/**
 * A pretrained backbone with a trained head, offline: a small cnn trained here
 * on Fashion-MNIST classes 0-4 is the backbone of a head trained on MNIST digits
 * (and the other way round), frozen or fine-tuned in its last layers; the bundle
 * embeds identically after reload (Node and the browser loader); the same
 * backbone exported to ONNX, and a hand-written TF.js graph model, give features.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadDataset } from '../../packages/node/src/data/load.js';
import { subsetDataset } from '../../packages/contrastive/src/data/split.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';
import { cnnEncoder } from '../../packages/contrastive/src/models/cnn-encoder.js';
import { SiameseNetwork } from '../../packages/contrastive/src/models/siamese-network.js';
import { backboneEncoder, extractFeatures } from '../../packages/contrastive/src/models/backbone.js';
import { loadBrowserBundle } from '../../packages/contrastive/src/models/browser-bundle.js';
import { trainSiamese } from '../../packages/contrastive/src/train/trainer.js';
import { saveBundle, loadBundle } from '../../packages/node/src/models/bundle.js';
import { loadBackbone, backboneFeatures } from '../../packages/node/src/models/backbone.js';
import { exportBundleOnnx } from '../../packages/node/src/export/bundle-onnx.js';
import { loadOnnxRuntime } from '../../packages/kernels/src/onnx/runtime.js';
import { isMissingPackage } from '../../packages/kernels/src/optional-package.js';
import { checkEncoderOptions } from '../../packages/cli/src/cli/training-options.js';
import { assertClose, rejectsWith } from '../support/helpers.js';
import { writeIdxSet } from '../support/data.js';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { ContrastiveError } from '../../packages/contrastive/src/errors.js';

let tmp: string;
let fashion: LabelledDataset;
let digits: LabelledDataset;

/** The backbone's last pooling layer (after both conv blocks); names are numbered per process, so it is found by kind. */
function poolOf(model: tf.LayersModel): string {
  return model.layers.filter((l) => l.getClassName() === 'MaxPooling2D').at(-1)!.name;
}

/** The first `perClass` examples of each of `classes`. */
function take(d: LabelledDataset, classes: number[], perClass: number): LabelledDataset {
  const count = new Map<number, number>();
  const keep: number[] = [];
  for (let i = 0; i < d.labels.length; i++) {
    const c = d.labels[i];
    if (!classes.includes(c) || (count.get(c) ?? 0) >= perClass) continue;
    count.set(c, (count.get(c) ?? 0) + 1);
    keep.push(i);
  }
  return subsetDataset(d, keep);
}

/** A small cnn trained briefly on `data`, saved as a bundle in `dir`. */
async function trainBackbone(data: LabelledDataset, dir: string): Promise<void> {
  const enc = cnnEncoder({ inputShape: [28, 28, 1], filters: [8, 16], dense: 32, embeddingDim: 16, seed: 5 });
  const net = new SiameseNetwork(enc, { normalize: true });
  await trainSiamese(net, { train: data }, { epochs: 1, pairsPerEpoch: 256, batchSize: 64, seed: 1, margin: 0.5 });
  await saveBundle(dir, net, { threshold: 0.5 });
  net.dispose();
}

function weightsOf(layers: tf.layers.Layer[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of layers) l.getWeights().forEach((w, k) => out.set(`${l.name}#${k}`, w.dataSync() as Float32Array));
  return out;
}

function changed(before: Map<string, Float32Array>, after: Map<string, Float32Array>): string[] {
  return [...new Set([...before.keys()].filter((k) => before.get(k)!.some((v, i) => v !== after.get(k)![i])).map((k) => k.split('#')[0]))];
}

before(async () => {
  await initBackend();
  tmp = await mkdtemp(path.join(tmpdir(), 'backbone-'));
  fashion = take(await loadDataset('fashion-mnist'), [0, 1, 2, 3, 4], 60);
  digits = take(await loadDataset('mnist'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 30);
  await trainBackbone(fashion, path.join(tmp, 'fashion-cnn'));
  await trainBackbone(take(await loadDataset('mnist'), [0, 1, 2, 3, 4], 60), path.join(tmp, 'mnist-cnn'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

for (const [from, on] of [['fashion-cnn', 'digits'], ['mnist-cnn', 'fashion']] as const) {
  test(`a frozen ${from} backbone: the head trains on cached features, the backbone weights do not move, and the composed model embeds as head(features)`, async () => {
    const data = on === 'digits' ? digits : fashion;
    const loaded = await loadBackbone(path.join(tmp, from));
    assert.equal(loaded.format, 'layers-model');
    assert.match(loaded.sha256, /^[0-9a-f]{64}$/);
    const bb = backboneEncoder(loaded.layers!, { layer: poolOf(loaded.layers!), embeddingDim: 8, seed: 2, source: loaded.source, sha256: loaded.sha256 });
    assert.equal(bb.record.featureDim, 5 * 5 * 16);
    assert.deepEqual(bb.record.trainableLayers, []);
    const backboneLayers = loaded.layers!.layers;
    const w0 = weightsOf(backboneLayers);
    const h0 = weightsOf(bb.head.layers);
    const feats = await extractFeatures(bb.features, data.x);
    const headNet = new SiameseNetwork(bb.head, { normalize: true });
    await trainSiamese(headNet, { train: { ...data, x: feats, inputShape: [bb.record.featureDim] } }, { epochs: 2, pairsPerEpoch: 128, batchSize: 32, seed: 3, margin: 0.5 });
    assert.deepEqual(changed(w0, weightsOf(backboneLayers)), [], 'frozen backbone weights changed');
    assert.ok(changed(h0, weightsOf(bb.head.layers)).length > 0, 'the head did not train');
    // Training through the composed model too leaves the backbone as it was (its layers are not trainable).
    const net = new SiameseNetwork(bb.model, { normalize: true });
    assert.equal(net.trainableWeights.length, 2);
    await trainSiamese(net, { train: data }, { epochs: 1, pairsPerEpoch: 64, batchSize: 32, seed: 4, margin: 0.5 });
    assert.deepEqual(changed(w0, weightsOf(backboneLayers)), []);
    const n = 6;
    const viaModel = await net.embedBatched(data.x.subarray(0, n * 784));
    const viaHead = await headNet.embedBatched(feats.subarray(0, n * bb.record.featureDim));
    assertClose(viaModel, viaHead, 1e-5, 'composed vs head on features');
    // The composed model holds the backbone's layers: disposing it disposes them.
    net.dispose();
  });
}

test('fine-tuning the last 2 weighted layers changes those and the head only', async () => {
  const loaded = await loadBackbone(path.join(tmp, 'fashion-cnn'));
  const bb = backboneEncoder(loaded.layers!, { layer: poolOf(loaded.layers!), fineTune: 2, hidden: [16], embeddingDim: 8, seed: 2 });
  const convs = loaded.layers!.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.name);
  const dense = loaded.layers!.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.name);
  // Up to the second pooling layer the backbone has two convolutions: both train; its dense layers are cut off.
  assert.deepEqual(bb.record.trainableLayers, convs);
  const w0 = weightsOf(loaded.layers!.layers);
  const net = new SiameseNetwork(bb.model, { normalize: true });
  await trainSiamese(net, { train: digits }, { epochs: 1, pairsPerEpoch: 128, batchSize: 32, seed: 4, margin: 0.5 });
  const moved = new Set(changed(w0, weightsOf(loaded.layers!.layers)));
  assert.deepEqual([...moved].sort(), [...convs].sort());
  for (const d of dense) assert.ok(!moved.has(d));
  net.dispose();

  const one = await loadBackbone(path.join(tmp, 'fashion-cnn'));
  const bb1 = backboneEncoder(one.layers!, { layer: poolOf(one.layers!), fineTune: 1, embeddingDim: 8, seed: 2 });
  assert.deepEqual(bb1.record.trainableLayers, [convs[1]]);
  const w1 = weightsOf(one.layers!.layers);
  const net1 = new SiameseNetwork(bb1.model, { normalize: true });
  await trainSiamese(net1, { train: digits }, { epochs: 1, pairsPerEpoch: 128, batchSize: 32, seed: 4, margin: 0.5 });
  assert.deepEqual(changed(w1, weightsOf(one.layers!.layers)), [convs[1]]);
  net1.dispose();
});

test('a backbone bundle embeds identically after reload, in Node and through the browser loader, and records its backbone', async () => {
  const loaded = await loadBackbone(path.join(tmp, 'fashion-cnn'));
  // RGB images into a grey backbone, with the backbone's own pixel scaling: the adapter is part of the model.
  const bb = backboneEncoder(loaded.layers!, { inputShape: [28, 28, 3], layer: poolOf(loaded.layers!), pooling: 'avg', pixels: { scale: 1 / 255, mean: 0.1, std: 0.9 }, fineTune: 1, embeddingDim: 8, seed: 2, source: loaded.source, sha256: loaded.sha256 });
  const net = new SiameseNetwork(bb.model, { normalize: true });
  const dir = path.join(tmp, 'head-bundle');
  await saveBundle(dir, net, { threshold: 0.4, backbone: bb.record });
  const x = new Float32Array(4 * 28 * 28 * 3).map((_, i) => ((i * 7919) % 256) / 255);
  const expected = await net.embedBatched(x);
  const { network, manifest } = await loadBundle(dir);
  assert.deepEqual(manifest.backbone, bb.record);
  assert.equal(manifest.backbone?.featureDim, 16);
  assert.equal(manifest.backbone?.storage, 'embedded');
  assertClose(await network.embedBatched(x), expected, 1e-6, 'reloaded');
  // The reloaded model keeps the backbone frozen but its last conv and the head.
  assert.equal(network.trainableWeights.length, 4);
  const browser = await loadBrowserBundle('bundle://x', {
    fetch: (async (input: string | URL | Request) => new Response(await readFile(path.join(dir, String(input).replace(/^bundle:\/\/x\//, ''))))) as typeof fetch,
  });
  const viaBrowser = (await browser.embedInputs(x, 4)).flatMap((e) => [...e]);
  assertClose(viaBrowser, expected, 1e-6, 'browser loader');
  browser.dispose();
  network.dispose();
  net.dispose();
});

test('an ONNX export of the backbone bundle is a feature extractor giving what TF.js gives (skipped without onnxruntime-node)', async (t) => {
  try {
    await loadOnnxRuntime();
  } catch (err) {
    if (isMissingPackage(err, 'onnxruntime-node') || (err instanceof ContrastiveError && err.code === 'UNSUPPORTED')) return t.skip('onnxruntime-node is not installed');
    throw err;
  }
  const onnxFile = path.join(tmp, 'fashion-cnn.onnx');
  await exportBundleOnnx(path.join(tmp, 'fashion-cnn'), onnxFile);
  const onnx = await loadBackbone(onnxFile);
  assert.equal(onnx.format, 'onnx');
  const extractor = backboneFeatures(onnx);
  assert.deepEqual(extractor.inputShape, [28, 28, 1]);
  const x = digits.x.subarray(0, 5 * 784);
  const feats = await extractor.features(x, 5);
  const { network } = await loadBundle(path.join(tmp, 'fashion-cnn'));
  // The exported graph is the whole encoder, L2-normalisation included: the bundle's embeddings.
  assertClose(feats, await network.embedBatched(x), 1e-4, 'onnx features');
  // A head trains on them like on any vectors.
  const head = new SiameseNetwork(tf.sequential({ layers: [tf.layers.dense({ inputShape: [16], units: 4 })] }));
  const all = await extractor.features(digits.x, digits.labels.length);
  await trainSiamese(head, { train: { ...digits, x: all, inputShape: [16] } }, { epochs: 1, pairsPerEpoch: 64, batchSize: 32, seed: 1 });
  assert.throws(() => backboneEncoder(onnx as never), /backbone must be a tf.LayersModel/);
  head.dispose();
  network.dispose();
  await onnx.dispose();
});

/** A two-node TF.js graph model written by hand (no converter offline): x [-1, 2, 2, 1] -> reshape [-1, 4] -> matmul w [4, 3] -> relu. */
async function writeGraphModel(dir: string): Promise<Float32Array> {
  const w = new Float32Array([1, 0, -1, 0, 1, 2, 0.5, 0.5, 0, -1, 0, 1]);
  const shape = new Int32Array([-1, 4]);
  const float = { type: 'DT_FLOAT' };
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: [{ size: '-1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } } },
    { name: 'w', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '4' }, { size: '3' }] } } } } },
    { name: 'shape', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } } } },
    { name: 'flat', op: 'Reshape', input: ['x', 'shape'], attr: { T: float } },
    { name: 'mm', op: 'MatMul', input: ['flat', 'w'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: 'features', op: 'Relu', input: ['mm'], attr: { T: float } },
  ];
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify({
    format: 'graph-model',
    modelTopology: { node: nodes, versions: { producer: 1 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [4, 3], dtype: 'float32' }, { name: 'shape', shape: [2], dtype: 'int32' }] }],
  }));
  const bytes = new Uint8Array(w.byteLength + shape.byteLength);
  bytes.set(new Uint8Array(w.buffer), 0);
  bytes.set(new Uint8Array(shape.buffer), w.byteLength);
  await writeFile(path.join(dir, 'group1-shard1of1.bin'), bytes);
  return w;
}

test('a TF.js graph model is a frozen feature extractor with its pixels adapted; the CLI and backboneEncoder say where it goes instead', async () => {
  const dir = path.join(tmp, 'graph');
  const w = await writeGraphModel(dir);
  const graph = await loadBackbone(dir);
  assert.equal(graph.format, 'graph-model');
  const extractor = backboneFeatures(graph, { output: 'features', pixels: { scale: 2 / 255, mean: 1, std: 1 } });
  assert.deepEqual(extractor.inputShape, [2, 2, 1]);
  const x = new Float32Array([0, 0.25, 0.5, 1, 1, 1, 0, 0]);
  const got = await extractor.features(x, 2);
  const want = new Float32Array(6);
  for (let n = 0; n < 2; n++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let i = 0; i < 4; i++) s += (x[n * 4 + i] * 2 - 1) * w[i * 3 + j];
      want[n * 3 + j] = Math.max(0, s);
    }
  }
  assertClose(got, want, 1e-6, 'graph features');
  assert.throws(() => backboneFeatures(graph, { output: 'features', pixels: { mean: [0, 0] } }), /pixels.mean has 2 values for 1 channels/);
  await graph.dispose();
  const layers = await loadBackbone(path.join(tmp, 'fashion-cnn'));
  assert.throws(() => backboneFeatures(layers), /goes to backboneEncoder/);
  await layers.dispose();
});

test('bad backbone options are one clear error each', async () => {
  const loaded = await loadBackbone(path.join(tmp, 'fashion-cnn'));
  const m = loaded.layers!;
  assert.throws(() => backboneEncoder(m, { layer: 'nope' }), /the backbone has no layer 'nope' \(its layers: /);
  assert.throws(() => backboneEncoder(m, { layer: poolOf(loaded.layers!), fineTune: 3 }), /fineTune is 3 but the backbone has 2 layers with weights up to/);
  assert.throws(() => backboneEncoder(m, { inputShape: [32, 32, 1] }), /the images are 32x32 but the backbone takes 28x28: load them at the backbone's size/);
  assert.throws(() => backboneEncoder(m, { pixels: { mean: [0.5, 0.5, 0.5] } }), /pixels.mean has 3 values for a backbone with 1 channels/);
  assert.throws(() => backboneEncoder(m, { pixels: { std: 0 } }), /pixels.std must be finite and non-zero/);
  await rejectsWith(loadBackbone(path.join(tmp, 'missing')), 'NOT_FOUND', 'does not exist');
  await loaded.dispose();
  assert.throws(() => checkEncoderOptions({ encoder: 'mlp', fineTune: 1 }), /--fine-tune applies to --backbone PATH; this run has no backbone/);
  assert.throws(() => checkEncoderOptions({ encoder: 'cnn', backbone: 'x' }), /--backbone replaces --encoder/);
  assert.throws(() => checkEncoderOptions({ encoder: 'mlp', backbone: 'x', filters: [8] }), /--filters does not apply with --backbone/);
});

test('the training job with { backbone }: frozen and fine-tuned runs write a bundle that records the backbone and embeds images', async () => {
  const data = path.join(tmp, 'idx');
  await writeIdxSet(data, 240, 3);
  const quiet = { report: false as const, force: true };
  const base = await runTraining({ dataset: `idx:${data}`, encoder: 'cnn', filters: [4], dense: 8, embeddingDim: 8, out: path.join(tmp, 'run-cnn'), ...quiet, train: { epochs: 1, seed: 1 } });
  // Layer names are numbered per process: read the flatten layer's off the saved bundle.
  const flat = base.network.encoder.layers.find((l) => l.getClassName() === 'Flatten')!.name;
  base.network.dispose();
  const frozen = await runTraining({ dataset: `idx:${data}`, backbone: { source: base.bundleDir, layer: flat }, embeddingDim: 6, out: path.join(tmp, 'run-frozen'), ...quiet, train: { epochs: 2, seed: 1 } });
  assert.equal(frozen.metrics.encoder, 'backbone');
  assert.equal(frozen.metrics.backbone?.fineTune, 0);
  assert.ok((frozen.metrics.backboneFeatureSeconds ?? -1) >= 0);
  const { network, manifest } = await loadBundle(frozen.bundleDir);
  assert.equal(manifest.backbone?.featureDim, 3 * 3 * 4);
  assert.equal(manifest.backbone?.source, path.resolve(base.bundleDir));
  assert.deepEqual(manifest.input.shape, [8, 8, 1]);
  assert.equal(typeof manifest.threshold, 'number');
  const x = new Float32Array(3 * 64).map((_, i) => (i % 17) / 17);
  assertClose(await network.embedBatched(x), await frozen.network.embedBatched(x), 1e-6, 'job network vs its bundle');
  network.dispose();
  frozen.network.dispose();
  const tuned = await runTraining({ dataset: `idx:${data}`, backbone: { source: base.bundleDir, layer: flat, fineTune: 1 }, out: path.join(tmp, 'run-tuned'), ...quiet, train: { epochs: 1, seed: 1 } });
  assert.equal(tuned.metrics.backbone?.trainableLayers.length, 1);
  tuned.network.dispose();
  await rejectsWith(
    runTraining({ dataset: `idx:${data}`, backbone: { source: base.bundleDir }, out: path.join(tmp, 'run-aug'), ...quiet, train: { epochs: 1, augmentFlip: true } }),
    'INVALID_ARGUMENT',
    'augmentation (--augment-shift, --augment-flip, --augment-erase, --augment-affine) needs --fine-tune N',
  );
  await rejectsWith(
    runTraining({ dataset: `idx:${data}`, encoder: 'cnn', backbone: { source: base.bundleDir }, out: path.join(tmp, 'run-enc'), ...quiet }),
    'INVALID_ARGUMENT',
    '{ backbone } replaces the encoder',
  );
});
