/**
 * A zero-shot training job read under the head: metrics.json says where it
 * reads and what it has to beat (raw inputs and the untrained encoder, on the
 * same held-out pairs), the report shows each read-out's validation curve,
 * and the saved bundle embeds at the recorded layer (`embed` job included).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { loadBundle, readManifest } from '../../packages/node/src/models/bundle.js';
import { loadMnist } from '../../packages/node/src/data/index.js';
import { assertClose } from '../support/helpers.js';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zero-shot-readout-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

test('runTraining with readout under-head and held-out classes: baselines and read-out in metrics.json, the bundle embeds there', async () => {
  const out = path.join(tmp, 'run');
  const run = await runTraining({
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [32],
    embeddingDim: 8,
    readout: 'under-head',
    holdoutClasses: [7, 8, 9],
    validationClasses: [5, 6],
    testPairs: 400,
    backend: 'wasm',
    out,
    report: false,
    train: { epochs: 1, pairsPerEpoch: 256, validationPairs: 300, seed: 3, validateUntrained: true },
  });
  const m = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.readout, 'under-head');
  assert.equal(m.embeddingDim, 32);
  assert.match(m.readoutLayer, /dense/);
  for (const b of [m.baselines.rawInput, m.baselines.untrained]) {
    for (const k of ['mapAtR', 'precisionAt1', 'auc', 'bestAccuracy']) assert.ok(b[k] > 0 && b[k] <= 1, `${k} = ${b[k]}`);
  }
  assert.equal(m.baselines.untrained.readout, 'under-head');
  // the raw-input reference is the bench's: L2-normalised pixels on the same pairs (MNIST pixels are far from chance)
  assert.ok(m.baselines.rawInput.auc > 0.6);
  assert.ok(m.heldOutClasses.retrieval.mapAtR > 0);

  const manifest = await readManifest(run.bundleDir);
  assert.deepEqual(manifest.readout, { layer: m.readoutLayer, outputDim: 8 });
  assert.equal(manifest.embedding.dim, 32);
  const { network } = await loadBundle(run.bundleDir);
  const x = loadMnist().x.subarray(0, 5 * 784);
  assertClose(await network.embedBatched(x), await run.network.embedBatched(x), 1e-5);
  network.dispose();
  run.network.dispose();
});

test("runTraining with readout 'auto' on a small cnn: the candidates scored on validation, the best recorded and drawn in the report", async () => {
  const out = path.join(tmp, 'auto');
  const run = await runTraining({
    dataset: 'mnist',
    encoder: 'cnn',
    filters: [4],
    dense: 16,
    embeddingDim: 8,
    readout: 'auto',
    holdoutClasses: [7, 8, 9],
    testPairs: 300,
    backend: 'wasm',
    out,
    train: { epochs: 1, pairsPerEpoch: 256, validationPairs: 300, seed: 5, validateUntrained: true },
  });
  const m = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  const names = Object.keys(run.result.history[0].readouts ?? {});
  assert.equal(names.length, 4); // output, under-head, the last pooled map averaged and maxed
  assert.ok(names.includes(m.readout), `${m.readout} in ${names.join(', ')}`);
  assert.equal(m.baselines.untrained.readout, m.readout);
  assert.ok(m.untrainedValidation.auc > 0);
  const html = await fs.readFile(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Read-outs on validation/);
  run.network.dispose();
});
