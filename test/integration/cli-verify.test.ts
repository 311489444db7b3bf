/**
 * `contrastive verify` with a trained MNIST bundle: PNG files of two digits of
 * the same class are "same", of different classes "different"; dataset rows
 * (mnist:INDEX, mnist:test:INDEX) give the same distance as the library;
 * --threshold overrides; bad inputs are one line on stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { openBundle, bundleSplit } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { FASHION_MNIST_DEBIAN_DIR } from '../../packages/node/src/data/index.js';
import { cli, assertOneLineError } from '../support/cli.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { type LabelledDataset } from '../../packages/contrastive/src/data/index.js';

let tmp: string;
let model: string;
let threshold: number;
let test1: LabelledDataset;
let emb: Float32Array;
const DIM = 32;

function distance(i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < DIM; k++) s += (emb[i * DIM + k] - emb[j * DIM + k]) ** 2;
  return Math.sqrt(s);
}

/** Writes row `i` of the test split as an 8-bit grey PNG. */
async function png(i: number, name: string): Promise<string> {
  const file = path.join(tmp, name);
  const px = Buffer.from(Array.from(test1.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
  await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
  return file;
}

/** The first `n` test rows of class `c`. */
function rowsOf(c: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < test1.labels.length && out.length < n; i++) if (test1.labels[i] === c) out.push(i);
  return out;
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-verify-'));
  const run = await runTraining({ report: false,
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [128],
    embeddingDim: DIM,
    backend: 'wasm',
    out: path.join(tmp, 'run'),
    train: { epochs: 3, pairsPerEpoch: 4000, seed: 11 },
  });
  run.network.dispose();
  model = run.bundleDir;
  const bundle = await openBundle(model);
  threshold = bundle.manifest.threshold as number;
  test1 = (await bundleSplit(bundle, 'mnist', 'test')).data as LabelledDataset;
  emb = await bundle.network.embedBatched(test1.x);
  bundle.network.dispose();
});

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('two PNGs of the same digit class are the same, of different classes different', async () => {
  // The clearest cases among the first 40 ones and zeros of the test split.
  const ones = rowsOf(1, 40);
  const zeros = rowsOf(0, 40);
  let same = [ones[0], ones[1]];
  let diff = [zeros[0], ones[0]];
  for (const a of ones) for (const b of ones) if (a < b && distance(a, b) < distance(same[0], same[1])) same = [a, b];
  for (const a of zeros) for (const b of ones) if (distance(a, b) > distance(diff[0], diff[1])) diff = [a, b];
  const dSame = distance(same[0], same[1]);
  const dDiff = distance(diff[0], diff[1]);
  assert.ok(dSame < 0.8 * threshold && dDiff > 1.2 * threshold, `trained enough: ${dSame} / ${dDiff} vs threshold ${threshold}`);

  const r1 = cli('verify', '--model', model, '--backend', 'wasm', '--json', await png(same[0], 'same-a.png'), await png(same[1], 'same-b.png'));
  assert.equal(r1.code, 0, r1.stderr);
  const s = JSON.parse(r1.stdout);
  assert.deepEqual(Object.keys(s).sort(), ['distance', 'probability', 'same', 'score', 'threshold']);
  assert.equal(s.same, true);
  assert.equal(s.threshold, threshold);
  assert.ok(s.distance <= threshold);
  assert.ok(Math.abs(s.distance - dSame) < 0.02 * threshold, `PNG round trip keeps the distance: ${s.distance} vs ${dSame}`);

  const r2 = cli('verify', '--model', model, '--backend', 'wasm', '--json', await png(diff[0], 'diff-a.png'), await png(diff[1], 'diff-b.png'));
  assert.equal(r2.code, 0, r2.stderr);
  const d = JSON.parse(r2.stdout);
  assert.equal(d.same, false);
  assert.ok(d.distance > threshold);
  assert.ok(Math.abs(d.distance - dDiff) < 0.02 * threshold, `PNG round trip keeps the distance: ${d.distance} vs ${dDiff}`);
  // p(same) falls with the distance
  assert.ok(s.probability > d.probability && s.probability > 0.5 && d.probability < 0.5, `${s.probability} vs ${d.probability}`);
});

test('dataset rows: mnist:test:I is row I of the run test split, mnist:N the same digit by its global index', () => {
  const [i, j] = [rowsOf(7, 1)[0], rowsOf(3, 1)[0]];
  const a = cli('verify', '--model', model, '--backend', 'wasm', '--json', `mnist:test:${i}`, `mnist:test:${j}`);
  assert.equal(a.code, 0, a.stderr);
  const ra = JSON.parse(a.stdout);
  assert.ok(Math.abs(ra.distance - distance(i, j)) < 1e-4, `${ra.distance} vs ${distance(i, j)}`);
  assert.equal(ra.same, ra.distance <= threshold);
  const [gi, gj] = [test1.sources![i], test1.sources![j]];
  assert.match(gi, /^mnist:\d+$/);
  const b = cli('verify', '--model', model, '--backend', 'wasm', '--json', gi, gj, '--threshold', String(ra.distance / 2));
  assert.equal(b.code, 0, b.stderr);
  const rb = JSON.parse(b.stdout);
  assert.ok(Math.abs(rb.distance - ra.distance) < 1e-6);
  assert.equal(rb.threshold, ra.distance / 2, '--threshold overrides the bundle');
  assert.equal(rb.same, false);
  assert.equal(rb.probability, ra.probability);
  const human = cli('verify', '--model', model, '--backend', 'wasm', gi, gi);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^same: distance 0(\.0+)? <= threshold [\d.]+, p\(same\) [\d.]+\n$/);
});

test('fashion-mnist:t10k:I rows (the test file) decode with an MNIST-sized bundle; fashion-mnist:test:I is the run\'s test split, as for mnist', { skip: !existsSync(FASHION_MNIST_DEBIAN_DIR) && 'no Fashion-MNIST files' }, () => {
  const r = cli('verify', '--model', model, '--backend', 'wasm', '--json', 'fashion-mnist:t10k:0', 'fashion-mnist:t10k:0');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).distance, 0);
  // one meaning for DATASET:SPLIT:INDEX: this bundle was trained on mnist, so it has no fashion-mnist test split
  assertOneLineError(cli('verify', '--model', model, '--backend', 'wasm', 'fashion-mnist:test:0', 'fashion-mnist:t10k:0'), 'fashion-mnist:test:0', "trained on 'mnist'", 'fashion-mnist:t10k:INDEX');
});

test('verify errors: missing file, undecodable image, index out of range, shape mismatch, no threshold', async () => {
  const ok = await png(0, 'ok.png');
  assertOneLineError(cli('verify', '--model', model, '--backend', 'wasm', path.join(tmp, 'missing.png'), ok), 'missing.png', 'no such file');
  const junk = path.join(tmp, 'junk.png');
  await fs.writeFile(junk, 'not an image at all');
  assertOneLineError(cli('verify', '--model', model, '--backend', 'wasm', ok, junk), 'junk.png', 'cannot decode image');
  assertOneLineError(cli('verify', '--model', model, '--backend', 'wasm', 'mnist:10000', ok), 'mnist:10000', 'out of range', '0..9999');
  assertOneLineError(cli('verify', '--model', model, '--backend', 'wasm', ok, 'mnist:test:99999'), 'mnist:test:99999', 'out of range');
  assertOneLineError(cli('verify', '--model', model, 'mnist:holdout:3', ok), "unknown part 'holdout'");

  // An 8x8 bundle without a threshold: images are resized to it, MNIST rows do not fit.
  const small = path.join(tmp, 'small');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [8, 8, 1], hidden: [8], embeddingDim: 4, seed: 1 }));
  await saveBundle(small, net);
  net.dispose();
  assertOneLineError(cli('verify', '--model', small, '--backend', 'wasm', '--threshold', '1', 'mnist:0', ok), 'mnist:0 has shape [28,28,1]', 'takes [8,8,1]');
  assertOneLineError(cli('verify', '--model', small, '--backend', 'wasm', ok, ok), 'has no threshold', 'contrastive calibrate', '--threshold');
  const r = cli('verify', '--model', small, '--backend', 'wasm', '--json', '--threshold', '1', ok, ok);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { distance: 0, threshold: 1, same: true, score: 0, probability: null });
});
