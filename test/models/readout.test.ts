/**
 * Read-outs: where embeddings are read. On a tiny cnn and mlp, 'under-head' is
 * the input of the dense head, named layers pool as asked, training still trains
 * the output; a bundle records the read-out by layer name and both loaders (Node
 * and contrastive/browser) embed there; the trainer compares candidates on
 * validation and keeps the untrained weights when no epoch beats them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { SiameseNetwork, cnnEncoder, mlpEncoder, parseReadout, readoutName, readoutCandidates, resolveReadout } from '../../packages/contrastive/src/models/index.js';
import { loadBrowserBundle } from '../../packages/contrastive/src/models/browser-bundle.js';
import { saveBundle, loadBundle, readManifest } from '../../packages/node/src/models/bundle.js';
import { trainSiamese } from '../../packages/contrastive/src/train/index.js';
import { splitDataset } from '../../packages/contrastive/src/data/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { assertClose } from '../support/helpers.js';
import { fileFetch } from '../support/file-fetch.js';

let tmp: string;
before(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'readout-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

// 8x8x1 -> conv 2 filters 3x3 -> 6x6 -> pool -> 3x3x2 = 18 -> dense 5 -> 3
const tinyCnn = (seed = 1) => cnnEncoder({ inputShape: [8, 8, 1], filters: [2], dense: 5, embeddingDim: 3, seed });

function images(n: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * 64 }, () => rng.next()), [n, 8, 8, 1]);
}

test('parseReadout and readoutName are inverse; a bad pooling is one error naming it', () => {
  for (const s of ['output', 'under-head', 'conv2d_Conv2D1', 'conv2d_Conv2D1:avg', 'x:max']) assert.equal(readoutName(parseReadout(s)), s);
  assert.deepEqual(parseReadout('c:avg'), { layer: 'c', pool: 'avg' });
  assert.throws(() => parseReadout('c:mean'), (e: unknown) => e instanceof ContrastiveError && /unknown pooling 'mean'.*flatten, avg, max/.test(e.message));
});

test('cnn: under-head reads the flattened conv block (under the dense head); named layers pool; training trains the output', () => {
  const enc = tinyCnn();
  const flatten = enc.model.layers.find((l) => l.getClassName() === 'Flatten')!;
  const conv = enc.model.layers.find((l) => l.getClassName() === 'MaxPooling2D')!;
  const x = images(4, 2);
  const net = new SiameseNetwork(enc, { normalize: true, readout: { layer: 'under-head' } });
  assert.equal(net.readoutLayer, flatten.name);
  assert.equal(net.embeddingDim, 18);
  assert.equal(net.outputDim, 3);
  // the same values as the flattened feature map, L2-normalised
  const direct = tf.tidy(() => {
    const f = tf.model({ inputs: enc.model.inputs, outputs: flatten.output as tf.SymbolicTensor }).predict(x) as tf.Tensor2D;
    return tf.div(f, tf.norm(f, 'euclidean', 1, true));
  });
  assertClose(net.embed(x).dataSync(), direct.dataSync(), 1e-5);
  assert.deepEqual(net.embed(x, { at: 'output' }).shape, [4, 3]);
  // the pooled feature map: one value per filter
  net.setReadout({ layer: conv.name, pool: 'avg' });
  assert.equal(net.embeddingDim, 2);
  const avg = tf.tidy(() => tf.mean(tf.model({ inputs: enc.model.inputs, outputs: conv.output as tf.SymbolicTensor }).predict(x) as tf.Tensor4D, [1, 2]));
  assertClose(net.embed(x).dataSync(), tf.div(avg, tf.norm(avg, 'euclidean', 1, true)).dataSync(), 1e-5);
  net.setReadout({ layer: conv.name, pool: 'max' });
  assert.equal(net.embeddingDim, 2);
  net.setReadout({ layer: conv.name }); // flatten
  assert.equal(net.embeddingDim, 18);
  // unknown layer: one error listing the layers
  assert.throws(
    () => net.setReadout({ layer: 'nope' }),
    (e: unknown) => e instanceof ContrastiveError && e.code === 'INVALID_ARGUMENT' && e.message.includes("has no layer 'nope'") && e.message.includes(flatten.name),
  );
  assert.deepEqual(readoutCandidates(enc.model).map(readoutName), ['output', 'under-head', `${conv.name}:avg`, `${conv.name}:max`]);
  net.dispose();
  x.dispose();
  direct.dispose();
});

test('mlp: under-head is the last hidden layer; an encoder that is one dense layer has nothing under its head', () => {
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [6], hidden: [8], embeddingDim: 4, seed: 1 }), { readout: { layer: 'under-head' } });
  assert.equal(net.embeddingDim, 8);
  net.dispose();
  const flat = mlpEncoder({ inputShape: [6], hidden: [], embeddingDim: 4, seed: 1 });
  assert.throws(() => resolveReadout(flat.model, { layer: 'under-head' }), /has no layer under its head/);
  assert.deepEqual(readoutCandidates(flat.model), [{ layer: 'output' }]);
  flat.model.dispose();
});

test('a bundle records the read-out by layer name; loadBundle and loadBrowserBundle embed there', async () => {
  const net = new SiameseNetwork(tinyCnn(3), { normalize: true, readout: { layer: 'under-head' } });
  const dir = path.join(tmp, 'bundle');
  await saveBundle(dir, net);
  const manifest = await readManifest(dir);
  assert.deepEqual(manifest.readout, { layer: net.readoutLayer, outputDim: 3 });
  assert.equal(manifest.embedding.dim, 18);
  const x = images(3, 4);
  const want = await net.embedBatched(x);

  const { network } = await loadBundle(dir);
  assert.equal(network.readoutLayer, net.readoutLayer);
  assert.equal(network.embeddingDim, 18);
  assertClose(await network.embedBatched(x), want, 1e-5);
  network.dispose();

  const browser = await loadBrowserBundle('bundle://b/', { fetch: fileFetch(dir) });
  const rows = await browser.embedInputs(x.dataSync() as Float32Array, 3);
  assert.equal(rows[0].length, 18);
  assertClose(Float32Array.from(rows.flatMap((r) => Array.from(r))), want, 1e-5);
  browser.dispose();

  // a pooled named layer round-trips too
  const conv = net.encoder.layers.find((l) => l.getClassName() === 'MaxPooling2D')!;
  net.setReadout({ layer: conv.name, pool: 'max' });
  const dir2 = path.join(tmp, 'bundle-max');
  await saveBundle(dir2, net);
  assert.deepEqual((await readManifest(dir2)).readout, { layer: conv.name, pool: 'max', outputDim: 3 });
  const again = await loadBundle(dir2);
  assertClose(await again.network.embedBatched(x), await net.embedBatched(x), 1e-5);
  again.network.dispose();

  // a manifest naming a layer the model lacks: one error from each loader
  const m = JSON.parse(await fs.readFile(path.join(dir2, 'manifest.json'), 'utf8'));
  m.readout.layer = 'missing_layer';
  await fs.writeFile(path.join(dir2, 'manifest.json'), JSON.stringify(m));
  await assert.rejects(loadBundle(dir2), (e: unknown) => e instanceof ContrastiveError && e.code === 'INVALID_DATA' && /manifest readout: .*has no layer 'missing_layer'/.test(e.message));
  await assert.rejects(loadBrowserBundle('bundle://b/', { fetch: fileFetch(dir2) }), (e: unknown) => e instanceof ContrastiveError && /has no layer 'missing_layer'/.test(e.message));
  net.dispose();
  x.dispose();
});

test('trainSiamese with readouts and validateUntrained: every candidate scored each epoch, the best kept, epoch 0 when training does not beat it', async () => {
  // Six classes of 8x8 stripes; validation on classes of their own.
  const rng = new Rng(5);
  const n = 240;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 6);
  const x = new Float32Array(n * 64);
  for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) x[i * 64 + p] = (p % 6 === labels[i] ? 1 : 0) * 0.8 + rng.next() * 0.4;
  const data = { name: 'stripes', inputShape: [8, 8, 1], x, labels, numClasses: 6 };
  const { train, validation } = splitDataset(data, { seed: 1, holdoutClasses: [4, 5], validationClasses: [2, 3] });
  const net = new SiameseNetwork(tinyCnn(2), { normalize: true });
  const candidates = readoutCandidates(net.encoder);
  const run = await trainSiamese(net, { train, validation }, { epochs: 2, pairsPerEpoch: 64, validationPairs: 200, seed: 1, margin: 0.5, readouts: candidates, validateUntrained: true });
  assert.ok(run.untrained, 'epoch 0 is scored');
  assert.equal(run.untrained.epoch, 0);
  for (const r of [run.untrained, ...run.history]) {
    assert.deepEqual(Object.keys(r.readouts!).sort(), candidates.map(readoutName).sort());
    assert.equal(r.validation!.auc, Math.max(...Object.values(r.readouts!).map((v) => v.auc)));
  }
  const kept = run.bestEpoch === 0 ? run.untrained : run.history[run.bestEpoch - 1];
  assert.equal(readoutName(net.readout), kept.readout);
  assert.ok(kept.validation!.auc >= Math.max(...run.history.map((r) => r.validation!.auc)) && kept.validation!.auc >= run.untrained.validation!.auc);

  // A learning rate that wrecks the network: the untrained weights are kept.
  const net2 = new SiameseNetwork(tinyCnn(2), { normalize: true });
  const before = net2.getWeights().map((w) => w.dataSync().slice());
  const run2 = await trainSiamese(net2, { train, validation }, { epochs: 1, pairsPerEpoch: 64, validationPairs: 200, seed: 1, margin: 0.5, learningRate: 5, validateUntrained: true });
  if (run2.history[0].validation!.auc <= run2.untrained!.validation!.auc) {
    assert.equal(run2.bestEpoch, 0);
    net2.getWeights().forEach((w, i) => assertClose(w.dataSync(), before[i], 0));
  }
  assert.throws(
    () => resolveReadout(net2.encoder, { layer: 'x', pool: 'mean' as never }),
    (e: unknown) => e instanceof ContrastiveError && /unknown pooling 'mean'/.test(e.message),
  );
  await assert.rejects(
    trainSiamese(net2, { train, validation }, { epochs: 1, loss: 'cross-entropy', readouts: [{ layer: 'under-head' }] }),
    (e: unknown) => e instanceof ContrastiveError && /readouts other than 'output' do not apply to loss 'cross-entropy'/.test(e.message),
  );
  net.dispose();
  net2.dispose();
});

test('ONNX export embeds at the read-out (the index and exportBundleOnnx use it)', async () => {
  const { exportOnnx } = await import('../../packages/node/src/export/onnx-exporter.js');
  const { OnnxEmbedder } = await import('../../packages/node/src/export/onnx-runtime.js');
  const net = new SiameseNetwork(tinyCnn(4), { normalize: true, readout: { layer: 'under-head' } });
  const x = images(3, 6);
  const onnx = await OnnxEmbedder.load(exportOnnx(net.readoutModel, { l2Normalize: true }));
  assertClose(await onnx.embed(x.dataSync() as Float32Array, 3), await net.embedBatched(x), 1e-4);
  await onnx.dispose();
  net.dispose();
  x.dispose();
});
