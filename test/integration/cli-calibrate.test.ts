/**
 * `contrastive calibrate`: the threshold chosen on the validation split is the
 * one training chose for the same target, far=1e-3 gives a smaller one, the
 * manifest is rewritten atomically (model files untouched), and `verify` then
 * decides with the new threshold.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';

import { openBundle, bundleSplit } from '../../packages/cli/src/jobs/evaluate-bundle.js';

import { cli, assertOneLineError } from '../support/cli.js';
import { HELD_OUT_PAIRS } from '../../packages/contrastive/src/train/choices.js';
import { readManifest } from '../../packages/node/src/models/bundle.js';
import { type LabelledDataset } from '../../packages/contrastive/src/data/index.js';

let tmp: string;
let model: string;
let trainedThreshold: number;
let trainedPlatt: { a: number; b: number };
let test1: LabelledDataset;
let emb: Float32Array;
const DIM = 16;

function distance(i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < DIM; k++) s += (emb[i * DIM + k] - emb[j * DIM + k]) ** 2;
  return Math.sqrt(s);
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-calibrate-'));
  const run = await runTraining({ report: false,
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [64],
    embeddingDim: DIM,
    backend: 'wasm',
    out: path.join(tmp, 'run'),
    train: { epochs: 2, pairsPerEpoch: 2000, seed: 5 },
  });
  run.network.dispose();
  model = run.bundleDir;
  const bundle = await openBundle(model);
  trainedThreshold = bundle.manifest.threshold as number;
  const p = bundle.manifest.calibration?.probability;
  assert.ok(p);
  trainedPlatt = { a: p.a, b: p.b };
  test1 = (await bundleSplit(bundle, 'mnist', 'test')).data as LabelledDataset;
  emb = await bundle.network.embedBatched(test1.x);
  bundle.network.dispose();
});

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('calibrate then verify: far=1e-3 lowers the threshold, verify uses it, the model files are untouched', async () => {
  const modelBytes = await fs.readFile(path.join(model, 'model.json'));
  const weightBytes = await fs.readFile(path.join(model, 'weights.bin'));

  // accuracy on the validation split: what training itself stored
  const acc = cli('calibrate', '--model', model, '--backend', 'wasm', '--json');
  assert.equal(acc.code, 0, acc.stderr);
  const ra = JSON.parse(acc.stdout);
  assert.equal(ra.threshold, trainedThreshold);
  assert.equal(ra.calibration.target, 'accuracy');
  assert.equal(ra.calibration.dataset, 'mnist validation pairs');
  assert.equal(ra.calibration.pairs, HELD_OUT_PAIRS.validation);
  assert.ok(Math.abs(ra.calibration.probability.a - trainedPlatt.a) < 1e-9 && Math.abs(ra.calibration.probability.b - trainedPlatt.b) < 1e-9);

  // a pair of test rows between the two thresholds to come
  const far = cli('calibrate', '--model', model, '--backend', 'wasm', '--target', 'far=1e-3');
  assert.equal(far.code, 0, far.stderr);
  assert.match(far.stdout, /^wrote .*manifest\.json\n {2}threshold +[\d.e-]+ +\(was [\d.]+\)\n {2}target +far=0\.001, on 10000 mnist validation pairs\n/);
  const m = await readManifest(model);
  const tFar = m.threshold as number;
  assert.ok(tFar < trainedThreshold, `far=1e-3 threshold ${tFar} < accuracy threshold ${trainedThreshold}`);
  assert.equal(m.calibration?.target, 'far=0.001');
  assert.ok((m.calibration?.far as number) <= 1e-3);
  assert.ok((m.calibration?.tar as number) > 0 && (m.calibration?.tar as number) < 1);
  assert.deepEqual(m.calibration?.probability, { model: 'logistic', ...trainedPlatt });

  const lo = tFar + (trainedThreshold - tFar) / 4;
  const hi = trainedThreshold - (trainedThreshold - tFar) / 4;
  let pair: [number, number] | undefined;
  for (let i = 0; i + 1 < test1.labels.length && !pair; i++) {
    const d = distance(i, i + 1);
    if (d > lo && d < hi) pair = [i, i + 1];
  }
  assert.ok(pair, `a test pair with distance in (${lo}, ${hi})`);
  const after = JSON.parse(cli('verify', '--model', model, '--backend', 'wasm', '--json', `mnist:test:${pair[0]}`, `mnist:test:${pair[1]}`).stdout);
  assert.equal(after.threshold, tFar);
  assert.equal(after.same, false, 'rejected at the strict threshold');
  const before = JSON.parse(
    cli('verify', '--model', model, '--backend', 'wasm', '--json', '--threshold', String(trainedThreshold), `mnist:test:${pair[0]}`, `mnist:test:${pair[1]}`).stdout,
  );
  assert.equal(before.same, true, 'accepted at the accuracy threshold');

  // eer: FAR and FRR close on the validation split
  const eer = JSON.parse(cli('calibrate', '--model', model, '--backend', 'wasm', '--json', '--target', 'eer').stdout);
  assert.equal(eer.previousThreshold, tFar);
  assert.ok(Math.abs(eer.calibration.far - eer.calibration.frr) < 0.02, `${eer.calibration.far} vs ${eer.calibration.frr}`);
  assert.equal((await readManifest(model)).threshold, eer.threshold);

  // only manifest.json changed, and no temporary file is left behind
  assert.deepEqual((await fs.readdir(model)).sort(), ['manifest.json', 'model.json', 'weights.bin']);
  assert.ok(modelBytes.equals(await fs.readFile(path.join(model, 'model.json'))));
  assert.ok(weightBytes.equals(await fs.readFile(path.join(model, 'weights.bin'))));
});

test('calibrate errors: one line naming the problem, bundle left as it was', async () => {
  const before = await fs.readFile(path.join(model, 'manifest.json'), 'utf8');
  assertOneLineError(cli('calibrate', '--model', model, '--target', 'far=2'), "'far=2'", 'far=RATE');
  assertOneLineError(cli('calibrate', '--model', model, '--target', 'median'), "'median'");
  assertOneLineError(cli('calibrate', '--model', path.join(tmp, 'nope'), '--backend', 'wasm'), 'nope', 'does not exist');
  assertOneLineError(cli('calibrate', '--model', model, '--backend', 'wasm', '--dataset', `pairs:${path.join(tmp, 'none.csv')}`), 'none.csv', 'no such file');
  assert.equal(await fs.readFile(path.join(model, 'manifest.json'), 'utf8'), before);
});
