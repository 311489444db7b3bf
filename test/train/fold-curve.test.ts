import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { foldValidationCurve } from '../../packages/contrastive/src/train/fold-curve.js';
import type { EpochRecord } from '../../packages/contrastive/src/train/history.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

/** Epoch records from (auc, eer, accuracy) triples, starting at epoch `from`. */
function run(figures: [number, number, number][], from = 1): EpochRecord[] {
  return figures.map(([auc, eer, accuracy], i) => ({ epoch: from + i, trainLoss: 0.1, seconds: 1, validation: { auc, eer, accuracy, threshold: 0.5 } }));
}

test('fold curve: mean and sample sd per epoch of each figure, on hand-made numbers', () => {
  const a = run([[0.7, 0.3, 0.6], [0.8, 0.25, 0.7], [0.9, 0.2, 0.8]]);
  const b = run([[0.5, 0.5, 0.5], [0.6, 0.35, 0.6], [0.5, 0.4, 0.5]]);
  const c = run([[0.6, 0.4, 0.55], [0.7, 0.3, 0.65], [0.7, 0.3, 0.65]]);
  const curve = foldValidationCurve([a, b, c], 'auc');
  assert.deepEqual(curve.points.map((p) => p.epoch), [1, 2, 3]);
  // epoch 1: auc 0.7, 0.5, 0.6 -> mean 0.6, sd sqrt((0.01 + 0.01 + 0) / 2) = 0.1
  const near = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} vs ${y}`);
  near(curve.points[0].auc.mean, 0.6);
  near(curve.points[0].auc.sd, 0.1);
  // epoch 2: auc 0.8, 0.6, 0.7 -> 0.7 +- 0.1; eer 0.25, 0.35, 0.3 -> 0.3 +- 0.05
  near(curve.points[1].auc.mean, 0.7);
  near(curve.points[1].auc.sd, 0.1);
  near(curve.points[1].eer.mean, 0.3);
  near(curve.points[1].eer.sd, 0.05);
  // epoch 3: auc 0.9, 0.5, 0.7 -> 0.7 +- 0.2 (ties epoch 2's mean: the earlier epoch wins)
  near(curve.points[2].auc.mean, 0.7);
  near(curve.points[2].auc.sd, 0.2);
  near(curve.points[2].accuracy.mean, (0.8 + 0.5 + 0.65) / 3);
  assert.equal(curve.bestEpoch, 2);
  assert.equal(curve.monitor, 'auc');
});

test('fold curve: EER is chosen lowest, accuracy highest; epoch 0 (untrained) takes part', () => {
  const a = run([[0.8, 0.2, 0.7], [0.7, 0.3, 0.75], [0.75, 0.1, 0.6]], 0);
  const b = run([[0.8, 0.2, 0.7], [0.7, 0.3, 0.75], [0.75, 0.2, 0.6]], 0);
  assert.equal(foldValidationCurve([a, b], 'auc').bestEpoch, 0);
  assert.equal(foldValidationCurve([a, b], 'accuracy').bestEpoch, 1);
  assert.equal(foldValidationCurve([a, b], 'eer').bestEpoch, 2);
  // one fold against the other: the mean can choose an epoch neither fold's own best is
  const up = run([[0.6, 0.4, 0.6], [0.7, 0.3, 0.7], [0.9, 0.1, 0.9]], 0);
  const down = run([[0.8, 0.2, 0.8], [0.79, 0.21, 0.79], [0.5, 0.5, 0.5]], 0);
  assert.equal(foldValidationCurve([up, down]).bestEpoch, 1);
});

test('fold curve: fewer than 2 folds, unequal epochs and missing figures are refused', () => {
  const a = run([[0.7, 0.3, 0.6], [0.8, 0.2, 0.7]]);
  assert.throws(() => foldValidationCurve([a]), isError(/needs the histories of 2 folds or more, got 1/));
  assert.throws(() => foldValidationCurve([a, a.slice(0, 1)]), isError(/every fold must hold the same epochs.*fold 1 has epochs \[1, 2\], fold 2 \[1\]/));
  const bare: EpochRecord[] = [{ epoch: 1, trainLoss: 0, seconds: 0 }, { epoch: 2, trainLoss: 0, seconds: 0 }];
  assert.throws(() => foldValidationCurve([a, bare]), isError(/fold 2, epoch 1 has no finite validation figures/));
  assert.throws(() => foldValidationCurve([a, a], 'loss' as never), isError(/unknown monitor 'loss'/));
});
