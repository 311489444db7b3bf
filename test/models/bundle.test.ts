import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertSameValues } from '../support/helpers.js';
import { ContrastiveError, type ErrorCode } from '../../packages/kernels/src/errors.js';
import { VERSION } from '../../packages/contrastive/src/version.js';
import { BUNDLE_FORMAT_VERSION, SiameseNetwork, cnnEncoder, mlpEncoder, sequenceEncoder } from '../../packages/contrastive/src/models/index.js';
import { loadBundle, readManifest, saveBundle, updateManifest } from '../../packages/node/src/models/bundle.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-bundle-test-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => path.join(root, `b${counter++}`);

function mlpNetwork(seed = 1): SiameseNetwork {
  return new SiameseNetwork(mlpEncoder({ inputShape: [6], hidden: [8], embeddingDim: 4, seed }), { distance: 'cosine', normalize: true });
}

async function savedMlpBundle(): Promise<string> {
  const dir = freshDir();
  const net = mlpNetwork();
  await saveBundle(dir, net, { loss: { name: 'contrastive', convention: 'hadsell', margin: 1 }, training: { dataset: 'toy', epochs: 2, seed: 1 } });
  net.dispose();
  return dir;
}

const fails = (code: ErrorCode, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ContrastiveError, `not a ContrastiveError: ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  return true;
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`a saved network loads back and gives identical embeddings (${backend})`, async () => {
    await withBackend(backend, async () => {
      const cases = [
        { net: mlpNetwork(), x: tf.randomNormal([5, 6], 0, 1, 'float32', 7) },
        { net: new SiameseNetwork(cnnEncoder({ inputShape: [12, 12, 1], filters: [4], dense: 8, embeddingDim: 3, batchNorm: true, seed: 2 })), x: tf.randomUniform([3, 12, 12, 1], 0, 1, 'float32', 8) },
        { net: new SiameseNetwork(sequenceEncoder({ features: 3, kind: 'gru', units: 5, embeddingDim: 4, seed: 3 }), { distance: 'squaredEuclidean' }), x: tf.randomNormal([2, 9, 3], 0, 1, 'float32', 9) },
      ];
      for (const { net, x } of cases) {
        const dir = freshDir();
        const written = await saveBundle(dir, net, { metrics: { auc: 0.5 } });
        assert.deepEqual((await fs.readdir(dir)).sort(), ['manifest.json', 'model.json', 'weights.bin']);
        const { network, manifest } = await loadBundle(dir);
        assert.deepEqual(manifest, written);
        assert.equal(manifest.formatVersion, BUNDLE_FORMAT_VERSION);
        assert.equal(manifest.libraryVersion, VERSION);
        assert.deepEqual(manifest.encoder, net.encoderSpec);
        assert.deepEqual(network.encoderSpec, net.encoderSpec);
        assert.equal(network.distanceName, net.distanceName);
        assert.equal(network.normalize, net.normalize);
        assert.deepEqual(network.inputShape, net.inputShape);
        const before = net.embed(x);
        const afterLoad = network.embed(x);
        assertSameValues(afterLoad.dataSync(), before.dataSync());
        tf.dispose([before, afterLoad, x]);
        net.dispose();
        network.dispose();
      }
    });
  });
}

test('the manifest describes input, preprocessing, embedding, loss and training', async () => {
  const dir = await savedMlpBundle();
  const m = await readManifest(dir);
  assert.equal(m.format, 'contrastive-bundle');
  assert.deepEqual(m.input, { shape: [6], preprocessing: { kind: 'vector' } });
  assert.deepEqual(m.embedding, { dim: 4, normalize: true, distance: 'cosine' });
  assert.deepEqual(m.loss, { name: 'contrastive', convention: 'hadsell', margin: 1 });
  assert.deepEqual(m.training, { dataset: 'toy', epochs: 2, seed: 1 });
  assert.equal(m.threshold, null);
  assert.equal(m.calibration, null);
  assert.equal(m.encoder?.kind, 'mlp');

  const img = new SiameseNetwork(cnnEncoder({ inputShape: [10, 8, 3], filters: [2], dense: 0, embeddingDim: 2 }));
  const imgManifest = await saveBundle(freshDir(), img, {
    preprocessing: { kind: 'image', width: 8, height: 10, channels: 3, scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: 0.25 },
  });
  assert.equal(imgManifest.input.preprocessing.kind, 'image');
  await assert.rejects(
    saveBundle(freshDir(), img, { preprocessing: { kind: 'image', width: 10, height: 10, channels: 3, scale: 1, mean: 0, std: 1 } }),
    fails('INVALID_ARGUMENT', /^saveBundle: info\.preprocessing: image preprocessing 10x10x3 does not match input shape \[10,8,3\]/),
  );
  await assert.rejects(saveBundle(freshDir(), img, { threshold: Number.NaN }), fails('INVALID_ARGUMENT', /^saveBundle: info is invalid: threshold/));
  img.dispose();
  const seq = new SiameseNetwork(sequenceEncoder({ features: 2, filters: [3], embeddingDim: 2 }));
  assert.deepEqual((await saveBundle(freshDir(), seq)).input, { shape: [null, 2], preprocessing: { kind: 'sequence', features: 2, normalize: 'none' } });
  seq.dispose();
});

test('model.json + weights.bin load with plain tf.loadLayersModel, as a browser would', async () => {
  const dir = freshDir();
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [3, 2], hidden: [5], embeddingDim: 2, seed: 4 }));
  await saveBundle(dir, net);
  const modelJson = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  assert.equal(modelJson.format, 'layers-model');
  assert.deepEqual(modelJson.weightsManifest[0].paths, ['weights.bin']);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const data = await fs.readFile(path.join(dir, manifest[0].paths[0]));
    return [manifest[0].weights, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
  });
  const plain = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const x = tf.randomNormal([4, 3, 2], 0, 1, 'float32', 5);
  const want = net.encoder.predict(x) as tf.Tensor;
  const got = plain.predict(x) as tf.Tensor;
  assertSameValues(got.dataSync(), want.dataSync());
  tf.dispose([x, want, got]);
  plain.dispose();
  net.dispose();
});

test('saving over an existing bundle replaces it whole', async () => {
  const dir = await savedMlpBundle();
  await updateManifest(dir, { threshold: 0.3 });
  const net = mlpNetwork(99);
  await saveBundle(dir, net);
  const { network, manifest } = await loadBundle(dir);
  assert.equal(manifest.threshold, null);
  assert.deepEqual(network.getWeights().map((w) => Array.from(w.dataSync())), net.getWeights().map((w) => Array.from(w.dataSync())));
  assert.deepEqual((await fs.readdir(root)).filter((n) => n.startsWith('.tmp-')), []);
  net.dispose();
  network.dispose();
});

test('updateManifest stores a threshold and calibration, merges metrics, leaves the model alone', async () => {
  const dir = await savedMlpBundle();
  await updateManifest(dir, { metrics: { auc: 0.9 } });
  const weightsBefore = await fs.readFile(path.join(dir, 'weights.bin'));
  const updated = await updateManifest(dir, {
    threshold: 0.42,
    calibration: { target: 'eer', probability: { model: 'logistic', a: 5, b: -2 } },
    metrics: { eer: 0.05 },
  });
  assert.equal(updated.threshold, 0.42);
  assert.deepEqual(updated.metrics, { auc: 0.9, eer: 0.05 });
  assert.deepEqual(await readManifest(dir), updated);
  assert.deepEqual(await fs.readFile(path.join(dir, 'weights.bin')), weightsBefore);
  const { manifest, network } = await loadBundle(dir);
  assert.equal(manifest.calibration?.probability?.a, 5);
  network.dispose();
  await assert.rejects(updateManifest(dir, { threshold: 'high' as never }), fails('INVALID_ARGUMENT', /^updateManifest: patch is invalid: threshold/));
  await assert.rejects(
    updateManifest(dir, { preprocessing: { kind: 'sequence', features: 3, normalize: 'none' } }),
    fails('INVALID_ARGUMENT', /^updateManifest: patch\.preprocessing: sequence preprocessing has 3 features/),
  );
  assert.equal((await readManifest(dir)).threshold, 0.42);
});

test('extra fields (a loss head, a later writer\'s field) are kept through save, load and update', async () => {
  const dir = freshDir();
  const net = mlpNetwork();
  await saveBundle(dir, net, { loss: { name: 'koch', convention: 'hadsell', margin: null, head: { w: [1, 2], b: 0.5 } } });
  const m = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  m.addedLater = { x: 1 };
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));
  await updateManifest(dir, { threshold: 0.1 });
  const { manifest, network } = await loadBundle(dir);
  assert.deepEqual(manifest.loss, { name: 'koch', convention: 'hadsell', margin: null, head: { w: [1, 2], b: 0.5 } });
  assert.deepEqual(manifest.addedLater, { x: 1 });
  assert.equal(manifest.threshold, 0.1);
  network.dispose();
  net.dispose();
});

test('each damaged bundle fails with a ContrastiveError naming the file and the problem', async () => {
  const damage = async (edit: (dir: string) => Promise<void>) => {
    const dir = await savedMlpBundle();
    await edit(dir);
    return dir;
  };
  const manifestOf = async (dir: string) => JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const writeManifest = (dir: string, m: unknown) => fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));

  await assert.rejects(loadBundle(path.join(root, 'no-such-bundle')), fails('NOT_FOUND', /^loadBundle: bundle directory .*no-such-bundle does not exist/));

  let dir = await damage((d) => fs.rm(path.join(d, 'manifest.json')));
  await assert.rejects(loadBundle(dir), fails('NOT_FOUND', /^loadBundle: .*manifest\.json is missing/));
  await assert.rejects(readManifest(dir), fails('NOT_FOUND', /^readManifest: .*manifest\.json is missing/));

  dir = await damage((d) => fs.writeFile(path.join(d, 'manifest.json'), '{"format": "contrastive-bundle",'));
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /^loadBundle: .*manifest\.json is not valid JSON/));

  dir = await damage(async (d) => writeManifest(d, { ...(await manifestOf(d)), format: 'keras-h5' }));
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /manifest\.json has unknown format "keras-h5" \(expected 'contrastive-bundle'\)/));

  dir = await damage(async (d) => writeManifest(d, { format: 'contrastive-bundle', formatVersion: BUNDLE_FORMAT_VERSION + 1, somethingNew: true }));
  await assert.rejects(loadBundle(dir), fails('UNSUPPORTED', /manifest\.json has formatVersion 2, newer than this library reads .*upgrade contrastive/));
  await assert.rejects(updateManifest(dir, { threshold: 1 }), fails('UNSUPPORTED', /^updateManifest: .*formatVersion 2/));

  dir = await damage(async (d) => {
    const m = await manifestOf(d);
    m.embedding.dim = -4;
    delete m.loss;
    await writeManifest(d, m);
  });
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /manifest\.json failed validation: .*embedding\.dim: .*loss: /));

  dir = await damage(async (d) => writeManifest(d, { ...(await manifestOf(d)), embedding: { dim: 5, normalize: true, distance: 'cosine' } }));
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /model\.json: the model's output shape \[null,4\] differs from manifest embedding\.dim 5/));

  dir = await damage(async (d) => {
    const w = await fs.readFile(path.join(d, 'weights.bin'));
    await fs.writeFile(path.join(d, 'weights.bin'), w.subarray(0, w.length - 8));
  });
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /weights file .*weights\.bin is truncated: \d+ bytes, model\.json describes \d+/));

  dir = await damage((d) => fs.rm(path.join(d, 'weights.bin')));
  await assert.rejects(loadBundle(dir), fails('NOT_FOUND', /weights file .*weights\.bin is missing/));

  dir = await damage((d) => fs.rm(path.join(d, 'model.json')));
  await assert.rejects(loadBundle(dir), fails('NOT_FOUND', /^loadBundle: .*model\.json is missing/));

  dir = await damage((d) => fs.writeFile(path.join(d, 'model.json'), '{"modelTopology": {}}'));
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /model\.json is not a TF\.js layers model/));

  dir = await damage(async (d) => {
    const mj = JSON.parse(await fs.readFile(path.join(d, 'model.json'), 'utf8'));
    mj.weightsManifest[0].paths = ['../../etc/passwd'];
    await fs.writeFile(path.join(d, 'model.json'), JSON.stringify(mj));
  });
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /model\.json names "\.\.\/\.\.\/etc\/passwd", which is not a file inside the bundle/));

  dir = await damage(async (d) => {
    const mj = JSON.parse(await fs.readFile(path.join(d, 'model.json'), 'utf8'));
    mj.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
    await fs.writeFile(path.join(d, 'model.json'), JSON.stringify(mj));
  });
  await assert.rejects(loadBundle(dir), fails('INVALID_DATA', /model\.json could not be loaded as a TF\.js layers model/));
});

test('a bundle with a NaN or infinite weight fails to load, naming the bundle, the weight and the value', async () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const dir = await savedMlpBundle();
    const w = await fs.readFile(path.join(dir, 'weights.bin'));
    w.writeFloatLE(value, 4 * 5);
    await fs.writeFile(path.join(dir, 'weights.bin'), w);
    await assert.rejects(loadBundle(dir), fails('INVALID_DATA', new RegExp(`^loadBundle: the bundle .*${path.basename(dir)} holds a non-finite weight \\(${value} in '[^']+' at 5\\)`)));
  }
});

test('bundle files are read as regular files only: a FIFO or a link to /dev/zero is refused at once', { skip: process.platform === 'win32' && 'no FIFOs' }, async () => {
  const { execFileSync } = await import('node:child_process');
  let dir = await savedMlpBundle();
  await fs.rm(path.join(dir, 'weights.bin'));
  execFileSync('mkfifo', [path.join(dir, 'weights.bin')]);
  await assert.rejects(loadBundle(dir), fails('INVALID_ARGUMENT', /weights\.bin: is a FIFO/));
  dir = await savedMlpBundle();
  await fs.rm(path.join(dir, 'manifest.json'));
  await fs.symlink('/dev/zero', path.join(dir, 'manifest.json'));
  await assert.rejects(readManifest(dir), fails('INVALID_ARGUMENT', /manifest\.json: is a character device/));
});
