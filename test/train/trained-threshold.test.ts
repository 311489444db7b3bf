/**
 * The library way gives a bundle that verifies: trainSiamese with a validation split
 * calibrates the decision threshold on its held-out pairs with the final weights (best
 * accuracy, as `contrastive train` does) and p(same | d), records them on the network,
 * and saveBundle writes them; a threshold passed to saveBundle (or null) wins, and a
 * run without validation data leaves the bundle uncalibrated, as before.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadDataset } from '../../packages/node/src/data/index.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { trainSiamese } from '../../packages/contrastive/src/train/trainer.js';
import { drawHeldOutPairs, scoreSplit } from '../../packages/contrastive/src/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from '../../packages/contrastive/src/train/choices.js';
import { calibrateThreshold, fitPlatt } from '../../packages/contrastive/src/eval/calibration.js';
import { splitDataset, subsetDataset, type LabelledDataset } from '../../packages/contrastive/src/data/index.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { openBundle } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { verifyPair } from '../../packages/cli/src/jobs/verify-pair.js';

let parts: { train: LabelledDataset; validation: LabelledDataset };
let tmp: string;

before(async () => {
  await initBackend('wasm');
  const data = await loadDataset('mnist');
  const { train, validation } = splitDataset(data, { seed: 1 });
  const small = subsetDataset(train, Array.from({ length: 400 }, (_, i) => i * 10));
  small.origin = train.origin;
  parts = { train: small, validation };
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-threshold-'));
});

const OPTIONS = { margin: 0.5, epochs: 1, pairsPerEpoch: 256, validationPairs: 300, seed: 7 };
const newNet = () => new SiameseNetwork(mlpEncoder({ inputShape: parts.train.inputShape, hidden: [16], embeddingDim: 8, seed: 1 }), { normalize: true });

test('trainSiamese + saveBundle (the README way): the bundle holds the threshold of best accuracy on the validation pairs, and verifies', async () => {
  const net = newNet();
  const result = await trainSiamese(net, parts, OPTIONS);
  const c = result.calibration;
  assert.ok(c, 'calibrated');
  assert.deepEqual(net.calibration, c);

  // the same figures as calibrating by hand on the trainer's validation pairs
  const pairs = drawHeldOutPairs(parts.validation, OPTIONS.validationPairs, OPTIONS.seed ^ HELD_OUT_PAIRS.validationSalt);
  const d = await scoreSplit(net, parts.validation, pairs, { distance: 'euclidean' });
  const best = calibrateThreshold(d, pairs.labels, { kind: 'accuracy' });
  const platt = fitPlatt(d, pairs.labels);
  assert.equal(c.threshold, best.threshold);
  assert.equal(c.accuracy, best.accuracy);
  assert.deepEqual(c.probability, { model: 'logistic', a: platt.a, b: platt.b });
  assert.equal(c.pairs, 300);
  assert.equal(c.dataset, 'mnist validation pairs');
  assert.ok(c.accuracy >= 0.5 && c.accuracy <= 1, `validation accuracy ${c.accuracy}`); // best threshold: never below chance

  const dir = path.join(tmp, 'my-model');
  const manifest = await saveBundle(dir, net);
  net.dispose();
  assert.equal(manifest.threshold, c.threshold);
  assert.deepEqual(manifest.calibration, { target: 'accuracy', dataset: 'mnist validation pairs', probability: c.probability, accuracy: c.accuracy, pairs: 300 });

  // and it verifies, as `contrastive verify --model my-model mnist:test:0 mnist:test:1` would
  const bundle = await openBundle(dir);
  try {
    const r = await verifyPair(bundle, { kind: 'row', dataset: 'mnist', part: 'test', index: 0 }, { kind: 'row', dataset: 'mnist', part: 'test', index: 1 });
    assert.equal(r.threshold, c.threshold);
    assert.equal(r.same, r.distance <= c.threshold);
    assert.ok(r.probability !== null && r.probability >= 0 && r.probability <= 1);
  } finally {
    bundle.network.dispose();
  }
});

test('a threshold given to saveBundle wins; null saves none; without validation data nothing is calibrated', async () => {
  const net = newNet();
  await trainSiamese(net, parts, OPTIONS);
  const given = await saveBundle(path.join(tmp, 'given'), net, { threshold: 0.25 });
  assert.deepEqual([given.threshold, given.calibration], [0.25, null]);
  const none = await saveBundle(path.join(tmp, 'none'), net, { threshold: null });
  assert.deepEqual([none.threshold, none.calibration], [null, null]);

  const result = await trainSiamese(net, { train: parts.train }, OPTIONS);
  assert.equal(result.calibration, undefined);
  assert.equal(net.calibration, null, 'a new run without validation forgets the old threshold');
  const plain = await saveBundle(path.join(tmp, 'plain'), net);
  assert.deepEqual([plain.threshold, plain.calibration], [null, null]);
  net.dispose();
});
