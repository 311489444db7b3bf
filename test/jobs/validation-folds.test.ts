/**
 * A training job with class-fold cross-validation (`validationFolds`): K fold
 * runs on the seen classes, the mean curve, the final model on every seen
 * class for the chosen epoch count, the threshold from the pooled out-of-fold
 * pairs; and the combinations it refuses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { withPreset } from '../../packages/cli/src/jobs/presets.js';
import { readManifest } from '../../packages/node/src/models/bundle.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'validation-folds-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

/** A small mnist run: digits 7-9 held out, 0-6 seen. */
const small = (out: string, extra: Record<string, unknown> = {}, train: Record<string, unknown> = {}) => ({
  dataset: 'mnist',
  encoder: 'mlp' as const,
  hidden: [16],
  embeddingDim: 8,
  holdoutClasses: [7, 8, 9],
  testPairs: 300,
  backend: 'wasm' as const,
  out,
  train: { epochs: 2, pairsPerEpoch: 128, validationPairs: 200, seed: 3, validateUntrained: true, ...train },
  ...extra,
});

test('runTraining with validationFolds: K fold runs, the mean curve, the final model on every seen class, the pooled threshold', async () => {
  const out = path.join(tmp, 'folds');
  const run = await runTraining({ ...small(out, { validationFolds: 3, scoreNorm: 's-norm', cohortSize: 40, report: path.join(tmp, 'folds.html') }) });
  try {
    const m = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
    const f = m.validationFolds;
    assert.equal(f.k, 3);
    assert.equal(f.monitor, 'auc');
    // 7 seen classes in 3 disjoint folds of 2, 2 and 3, covering 0-6
    assert.deepEqual(f.folds.map((r: { classes: number[] }) => r.classes.length), [2, 2, 3]);
    assert.deepEqual(f.folds.flatMap((r: { classes: number[] }) => r.classes).sort(), [0, 1, 2, 3, 4, 5, 6]);
    for (const r of f.folds) {
      assert.deepEqual([...r.classes, ...r.trainClasses].sort(), [0, 1, 2, 3, 4, 5, 6]);
      // epoch 0 (untrained) and both trained epochs, every one scored
      assert.deepEqual(r.curve.map((e: { epoch: number }) => e.epoch), [0, 1, 2]);
      assert.ok(r.curve.every((e: { auc: number }) => e.auc > 0 && e.auc <= 1));
      assert.ok(Number.isFinite(r.threshold));
    }
    // the mean curve is the folds' mean, epoch by epoch, and the chosen epoch count is its best
    for (const [i, p] of f.mean.entries()) {
      const aucs = f.folds.map((r: { curve: { auc: number }[] }) => r.curve[i].auc);
      assert.ok(Math.abs(p.auc.mean - aucs.reduce((a: number, b: number) => a + b, 0) / 3) < 1e-12);
    }
    const best = f.mean.reduce((a: { auc: { mean: number } }, b: { auc: { mean: number } }) => (b.auc.mean > a.auc.mean ? b : a));
    assert.equal(f.bestEpoch, best.epoch);
    // the final model trained that many epochs on every seen class, without validation of its own
    assert.equal(m.epochs, f.bestEpoch);
    assert.equal(m.bestEpoch, f.bestEpoch);
    assert.equal(m.split.test, m.heldOutClasses.retrieval.queries);
    assert.deepEqual(m.validationClasses, []);
    // threshold: the pooled out-of-fold pairs' (3 folds x 200), on S-normalised scores, applied to the held-out classes
    assert.equal(f.calibration.pairs, 600);
    assert.equal(f.calibration.scores, 's-norm');
    assert.equal(m.verification.threshold, f.calibration.threshold);
    assert.equal(m.heldOutClasses.verification.threshold, f.calibration.threshold);
    assert.ok(m.baselines.untrained && m.baselines.rawInput);
    const manifest = await readManifest(run.bundleDir);
    assert.equal(manifest.threshold, f.calibration.threshold);
    assert.match(String(manifest.calibration?.dataset), /out-of-fold validation pairs of 3 class folds \(s-norm\)/);
    const html = await fs.readFile(path.join(tmp, 'folds.html'), 'utf8');
    assert.match(html, /3 class folds: mean validation auc/);
    assert.match(html, /fold 1: validated on classes/);
  } finally {
    run.network.dispose();
  }
  // the same seed gives the same folds and the same figures
  const again = await runTraining({ ...small(path.join(tmp, 'again'), { validationFolds: 3, scoreNorm: 's-norm', cohortSize: 40, report: false }) });
  again.network.dispose();
  const m1 = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.deepEqual(again.metrics.validationFolds?.folds.map((r) => [r.classes, r.curve]), m1.validationFolds.folds.map((r: { classes: number[]; curve: unknown }) => [r.classes, r.curve]));
  assert.equal(again.metrics.verification.auc, m1.verification.auc);
});

test('validationFolds: fold 1 is the single class-disjoint validation run of the same seed, figure for figure', async () => {
  const opts = { hidden: [8], embeddingDim: 4, holdoutClasses: [5, 6, 7, 8, 9], report: false as const };
  const folds = await runTraining({ ...small(path.join(tmp, 'f2'), { ...opts, validationFolds: 2 }, { epochs: 1 }) });
  folds.network.dispose();
  const fold1 = folds.metrics.validationFolds!.folds[0];
  const single = await runTraining({ ...small(path.join(tmp, 'single'), { ...opts, validationClasses: fold1.classes }, { epochs: 1, patience: 0 }) });
  single.network.dispose();
  assert.deepEqual(fold1.curve.map((e) => e.auc), [single.result.untrained!.validation!.auc, single.result.history[0].validation!.auc]);
});

test('validationFolds: the refusals name the problem', async () => {
  const out = path.join(tmp, 'refused');
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 4 }) }), isError(/\{ validationFolds: 4 \} is too many for the 7 seen classes.*at most 3 folds/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 1 }) }), isError(/validationFolds: 1 \} must be an integer >= 2/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2, validationClasses: [0, 1] }) }), isError(/\{ validationFolds \} and \{ validationClasses \} are two ways/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2, holdoutClasses: undefined }) }), isError(/\{ validationFolds \} needs \{ holdoutClasses \}/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2 }, { resume: true }) }), isError(/\{ validationFolds \} runs are not resumed/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2 }, { loss: 'cross-entropy' }) }), isError(/loss 'cross-entropy' scores pairs with its head/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2, readout: 'auto' }) }), isError(/readout 'auto' would average curves/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2 }, { patience: 3 }) }), isError(/\{ patience \} does not apply to \{ validationFolds \}/));
  await assert.rejects(runTraining({ ...small(out, { validationFolds: 2, holdoutClasses: [3, 4, 5, 6, 7, 8, 9] }) }), isError(/too many for the 3 seen classes.*folds need 4 seen classes or more/));
  await assert.rejects(fs.access(out));
});

test('the zero-shot preset with validationFolds drops its validation classes', () => {
  const o = withPreset('zero-shot', { holdoutClasses: [5, 6, 7, 8, 9], validationFolds: 2 });
  assert.equal(o.validationClasses, undefined);
  assert.equal(o.validationFolds, 2);
  assert.equal(withPreset('zero-shot', { holdoutClasses: [5, 6, 7, 8, 9] }).validationClasses, 0.4);
});
