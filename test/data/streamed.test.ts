import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadImageFolder } from '../../packages/node/src/data/image-folder.js';
import { streamedImageExamples, streamCacheStats } from '../../packages/node/src/data/streamed-images.js';
import { examplesOf, uint8Examples, float32Examples } from '../../packages/contrastive/src/data/examples.js';
import { splitDataset } from '../../packages/contrastive/src/data/split.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';
import { SiameseNetwork, cnnEncoder, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { trainSiamese, type TrainConfig } from '../../packages/contrastive/src/train/index.js';
import { embedExamples } from '../../packages/contrastive/src/eval/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { assertClose } from '../support/helpers.js';
import { writeColourFolder } from '../support/data.js';

const W = 8;
const H = 8;
const CLASSES = 4;
const PER_CLASS = 40;
let root: string;
let dir: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-stream-'));
  dir = path.join(root, 'set');
  await writeColourFolder(dir, CLASSES, PER_CLASS, W, H, 3);
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const image = { width: W, height: H, channels: 3 as const };
const all = (n: number): Int32Array => Int32Array.from({ length: n }, (_, k) => k);

test('uint8 and streamed folders read the same floats as a float32 load, a quarter of the bytes or none', async () => {
  const f32 = await loadImageFolder(dir, image);
  const u8 = await loadImageFolder(dir, { ...image, storage: 'uint8' });
  const st = await loadImageFolder(dir, { ...image, storage: 'stream', cacheBytes: 0 });
  const n = CLASSES * PER_CLASS;
  assert.equal(examplesOf(u8).storage, 'uint8');
  assert.equal(examplesOf(st).storage, 'stream');
  assert.deepEqual(u8.labels, f32.labels);
  assert.deepEqual(st.sources, f32.sources);
  assert.equal(examplesOf(u8).bytes * 4, f32.x.byteLength);
  assert.equal(examplesOf(st).bytes, 0);
  const rows = new Rng(1).shuffle(all(n)).slice(0, 50);
  const want = examplesOf(f32).readSync(rows);
  assert.deepEqual(examplesOf(u8).readSync(rows), want);
  assert.deepEqual(await examplesOf(st).read(rows), want);
  // code written for float32 datasets still reads x from a uint8 one; a streamed one names the accessor
  assert.deepEqual(u8.x, f32.x);
  assert.throws(() => st.x, (e: unknown) => e instanceof ContrastiveError && e.code === 'UNSUPPORTED' && /examplesOf\(dataset\)\.read/.test(e.message));
  // a split keeps the storage: a streamed split reads the same files
  const s32 = splitDataset(f32, { seed: 4, validation: 0.2, test: 0.2 });
  const sst = splitDataset(st, { seed: 4, validation: 0.2, test: 0.2 });
  assert.equal(examplesOf(sst.train).storage, 'stream');
  assert.deepEqual(sst.validation.labels, s32.validation.labels);
  assert.deepEqual(await examplesOf(sst.test).read(all(s32.test.labels.length)), s32.test.x);
});

test('the streamed cache stays within its byte bound and rows still read right when it holds none of them', async () => {
  const f32 = await loadImageFolder(dir, image);
  const files = f32.sources!;
  const size = W * H * 3;
  const store = streamedImageExamples(files, image, { cacheBytes: 10 * size, concurrency: 3 });
  const rng = new Rng(9);
  for (let round = 0; round < 5; round++) {
    const rows = rng.shuffle(all(files.length)).slice(0, 64);
    assert.deepEqual(await store.read(rows), examplesOf(f32).readSync(rows));
  }
  const stats = streamCacheStats(store)!;
  assert.ok(stats.peakBytes <= 10 * size, `peak ${stats.peakBytes} > bound ${10 * size}`);
  assert.ok(stats.bytes <= 10 * size);
  assert.ok(stats.decodes > files.length, `decoded ${stats.decodes}: a bounded cache decodes files again`);
  // the same rows twice in one read decode once
  const one = streamedImageExamples(files, image, { cacheBytes: 0 });
  await one.read([5, 5, 5, 7]);
  assert.equal(streamCacheStats(one)!.decodes, 2);
  await assert.rejects(one.read([files.length]), /not an example index/);
  assert.throws(() => one.readSync([0]), /read\(rows\)/);
});

const net = (seed = 1): SiameseNetwork =>
  new SiameseNetwork(cnnEncoder({ inputShape: [H, W, 3], filters: [4], kernelSize: 3, dense: 8, embeddingDim: 4, seed }), { normalize: true });
const mlp = (seed = 1): SiameseNetwork => new SiameseNetwork(mlpEncoder({ inputShape: [H, W, 3], hidden: [8], embeddingDim: 4, seed }), { normalize: true });

async function weightsOf(n: SiameseNetwork): Promise<Float32Array[]> {
  return Promise.all(n.getWeights().map(async (t) => (await t.data()) as Float32Array));
}

async function trained(data: LabelledDataset, config: Partial<TrainConfig>, seed = 1): Promise<Float32Array[]> {
  const split = splitDataset(data, { seed: 2, validation: 0.2, test: 0 });
  const network = mlp(seed);
  await trainSiamese(network, { train: split.train, validation: split.validation }, { batchSize: 16, validationPairs: 60, seed: 5, patience: 0, ...config });
  return weightsOf(network);
}

test('training on a streamed or uint8 folder gives the weights of the float32 run (pairs, mined batches, augmentation)', async () => {
  await initBackend('wasm');
  const f32 = await loadImageFolder(dir, image);
  const u8 = await loadImageFolder(dir, { ...image, storage: 'uint8' });
  const st = await loadImageFolder(dir, { ...image, storage: 'stream', cacheBytes: 20 * W * H * 3 });
  for (const config of [
    { epochs: 2, augmentShift: 1, augmentFlip: true },
    { epochs: 1, miner: 'hard-negative', pairsPerEpoch: 64 },
  ] as Partial<TrainConfig>[]) {
    const want = await trained(f32, config);
    assert.deepEqual(await trained(u8, config), want, `uint8 ${JSON.stringify(config)}`);
    assert.deepEqual(await trained(st, config), want, `stream ${JSON.stringify(config)}`);
  }
});

test('a streamed run resumed from its checkpoint ends with the weights of an uninterrupted one', async () => {
  await initBackend('wasm');
  const ck = path.join(root, 'ck');
  const st = await loadImageFolder(dir, { ...image, storage: 'stream', cacheBytes: 20 * W * H * 3 });
  const config = { epochs: 3, augmentShift: 1 };
  const full = await trained(st, config);
  await trained(st, { ...config, epochs: 1, checkpointDir: ck });
  const resumed = await trained(st, { ...config, checkpointDir: ck, resume: true }, 99);
  assert.deepEqual(resumed, full);
});

test('embedExamples embeds a store in chunks as embedBatched embeds the floats (to float rounding: batch sizes differ)', async () => {
  await initBackend('wasm');
  const f32 = await loadImageFolder(dir, image);
  const st = await loadImageFolder(dir, { ...image, storage: 'stream', cacheBytes: 0 });
  const network = net();
  const want = await network.embedBatched(f32.x);
  assertClose(await embedExamples(network, st, { chunk: 37 }), want, 1e-5, 'streamed');
  assertClose(await embedExamples(network, uint8Examples(new Uint8Array(examplesOf(f32).count * W * H * 3), W * H * 3), { chunk: 50 }), await network.embedBatched(new Float32Array(f32.x.length)), 1e-5, 'uint8');
  assert.deepEqual(await embedExamples(network, float32Examples(f32.x, W * H * 3)), want);
});

test("storage 'stream' with skipBadImages, or an unknown storage, is refused naming the option", async () => {
  await assert.rejects(loadImageFolder(dir, { ...image, storage: 'stream', skipBadImages: true }), /skipBadImages/);
  await assert.rejects(loadImageFolder(dir, { ...image, storage: 'float16' as never }), /storage must be/);
});

test('train --storage / --cache-mb: loader options for folder: datasets only, stream without --skip-bad-images', async () => {
  const { checkDatasetOptions, loadOptionsOf } = await import('../../packages/cli/src/cli/training-options.js');
  assert.deepEqual(loadOptionsOf({ storage: 'stream', cacheMb: 64 }), { storage: 'stream', cacheBytes: 64 * 2 ** 20 });
  checkDatasetOptions({ dataset: `folder:${dir}`, storage: 'uint8' });
  assert.throws(() => checkDatasetOptions({ dataset: 'mnist', storage: 'uint8' }), /--storage applies to folder: datasets/);
  assert.throws(() => checkDatasetOptions({ dataset: `folder:${dir}`, storage: 'stream', skipBadImages: true }), /--skip-bad-images needs every image decoded/);
  assert.throws(() => checkDatasetOptions({ dataset: `folder:${dir}`, storage: 'uint8', cacheMb: 5 }), /--cache-mb applies to --storage stream/);
});
