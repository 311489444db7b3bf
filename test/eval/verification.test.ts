import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { verificationMetrics, accuracyAtThreshold, kFoldVerification } from '../../packages/contrastive/src/eval/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose, withBackend } from '../support/helpers.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

// Worked by hand. Similar (0): 0.1, 0.2, 0.3; dissimilar (1): 0.2, 0.4, 0.5 (one tie at 0.2).
const D = [0.1, 0.2, 0.2, 0.3, 0.4, 0.5];
const Y = [0, 0, 1, 0, 1, 1];

test('ROC over distinct thresholds with a tie, as sklearn roc_curve(drop_intermediate=False)', () => {
  const m = verificationMetrics(D, Y);
  assert.deepEqual(Array.from(m.roc.thresholds), [-Infinity, 0.1, 0.2, 0.3, 0.4, 0.5]);
  assertClose(m.roc.tpr, [0, 1 / 3, 2 / 3, 1, 1, 1], 1e-12, 'tpr');
  assertClose(m.roc.fpr, [0, 0, 1 / 3, 1 / 3, 2 / 3, 1], 1e-12, 'fpr');
  assert.equal(m.positives, 3);
  assert.equal(m.negatives, 3);
});

test('AUC equals Mann-Whitney with ties counted 1/2 (7.5 of 9 pairs)', () => {
  const m = verificationMetrics(D, Y);
  assertClose([m.auc], [7.5 / 9], 1e-12, 'auc');
});

test('EER, best accuracy and their thresholds on the worked example', () => {
  const m = verificationMetrics(new Float64Array(D), new Uint8Array(Y));
  assertClose([m.eer], [1 / 3], 1e-12, 'eer'); // FAR = FRR = 1/3 at threshold 0.2
  assertClose([m.eerThreshold], [0.25], 1e-12, 'eerThreshold'); // halfway to the next distance
  assertClose([m.bestAccuracy], [5 / 6], 1e-12, 'bestAccuracy'); // at 0.3: 3 accepted similar + 2 rejected dissimilar
  assertClose([m.bestThreshold], [0.35], 1e-12, 'bestThreshold');
  assert.equal(accuracyAtThreshold(D, Y, m.bestThreshold), m.bestAccuracy);
  assert.deepEqual(m.tarAtFar, { '1e-1': 1 / 3, '1e-2': 1 / 3, '1e-3': 1 / 3 });
});

test('perfect ranking: AUC 1, EER 0; inverted ranking: AUC 0, EER 1', () => {
  const perfect = verificationMetrics([1, 2, 3, 4], [0, 0, 1, 1]);
  assert.equal(perfect.auc, 1);
  assert.equal(perfect.eer, 0);
  assert.equal(perfect.bestAccuracy, 1);
  assert.equal(perfect.bestThreshold, 2.5);
  assert.deepEqual(perfect.tarAtFar, { '1e-1': 1, '1e-2': 1, '1e-3': 1 });
  const inverted = verificationMetrics([1, 2, 3, 4], [1, 1, 0, 0]);
  assert.equal(inverted.auc, 0);
  assert.equal(inverted.eer, 1);
  assert.equal(inverted.bestAccuracy, 0.5); // accepting nothing
  assert.equal(inverted.bestThreshold, -Infinity);
  assert.deepEqual(inverted.tarAtFar, { '1e-1': 0, '1e-2': 0, '1e-3': 0 });
});

test('all distances tied: AUC 1/2, EER 1/2 (interpolated on the diagonal)', () => {
  const m = verificationMetrics([1, 1, 1, 1], [0, 1, 0, 1]);
  assert.equal(m.auc, 0.5);
  assert.equal(m.eer, 0.5);
  assert.deepEqual(Array.from(m.roc.fpr), [0, 1]);
});

test('EER interpolates linearly between the bracketing ROC points', () => {
  // similar 1, 4; dissimilar 2, 3 -> points (0,0) (0,.5) (.5,.5) (1,.5) (1,1); g = FAR - FRR hits 0 at (.5,.5)
  const m = verificationMetrics([1, 2, 3, 4], [0, 1, 1, 0]);
  assertClose([m.eer], [0.5], 1e-12);
  // similar 1, 3, 4; dissimilar 2 -> (0,0) (0,1/3) (1,1/3) (1,2/3) (1,1); g: -1, -2/3, 1/3 -> alpha = (2/3)/1
  const n = verificationMetrics([1, 2, 3, 4], [0, 1, 0, 0]);
  assertClose([n.eer], [2 / 3], 1e-12); // FAR interpolated 0 -> 1 at alpha 2/3; FRR 2/3 -> 2/3 there
});

test('TAR at FAR on 4 similar and 10 dissimilar pairs', () => {
  const pos = [0.1, 0.3, 0.5, 0.9];
  const neg = [0.2, 0.4, 0.6, 0.7, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4];
  const m = verificationMetrics([...pos, ...neg], [...pos.map(() => 0), ...neg.map(() => 1)]);
  // FAR <= 0.1 allows one false accept (0.2): up to threshold 0.3, 2 of 4 similar accepted
  assert.equal(m.tarAtFar['1e-1'], 0.5);
  assert.equal(m.tarAtFar['1e-2'], 0.25);
  assert.equal(m.tarAtFar['1e-3'], 0.25);
});

test('tensors are accepted as input', async () => {
  await withBackend('cpu', () => {
    const m = verificationMetrics(tf.tensor1d(D), tf.tensor1d(Y, 'int32'));
    assertClose([m.auc], [7.5 / 9], 1e-6);
  });
});

test('degenerate input is a clear ContrastiveError', () => {
  assert.throws(() => verificationMetrics([1, 2], [0, 0]), isError(/verificationMetrics: labels has no dissimilar pairs/));
  assert.throws(() => verificationMetrics([1, 2], [1, 1]), isError(/no similar pairs/));
  assert.throws(() => verificationMetrics([], []), isError(/distances is empty/));
  assert.throws(() => verificationMetrics([1, NaN], [0, 1]), isError(/distances\[1\] is NaN/));
  assert.throws(() => verificationMetrics([1, 2, 3], [0, 1]), isError(/labels has length 2 but distances has length 3/));
  assert.throws(() => verificationMetrics([1, 2], [0, 2]), isError(/labels\[1\] is 2 \(pair labels must be 0 = similar or 1 = dissimilar\)/));
  assert.throws(() => accuracyAtThreshold([1, 2], [0, 1], NaN), isError(/threshold/));
});

test('accuracyAtThreshold counts distance <= threshold as "same"', () => {
  assert.equal(accuracyAtThreshold(D, Y, 0.2), 4 / 6); // accepts 0.1, 0.2(sim), 0.2(dis)
  assert.equal(accuracyAtThreshold(D, Y, -1), 0.5);
});

test('kFoldVerification on a separable set: every fold perfect, thresholds in the gap, seeded', () => {
  const rng = new Rng(7);
  const d: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 60; i++) {
    const similar = i % 3 !== 0;
    d.push(similar ? rng.next() : 2 + rng.next());
    y.push(similar ? 0 : 1);
  }
  const r = kFoldVerification(d, y, { folds: 10, seed: 3 });
  assert.equal(r.folds.length, 10);
  assert.equal(r.mean, 1);
  assert.equal(r.std, 0);
  for (const f of r.folds) {
    assert.ok(f.threshold > 0.9 && f.threshold < 2.1, `threshold ${f.threshold}`);
    assert.equal(f.accuracy, 1);
  }
  assert.deepEqual(kFoldVerification(d, y, { folds: 10, seed: 3 }), r);
});

test('kFoldVerification: held-out accuracy on an overlapping set, mean and std of the folds', () => {
  const rng = new Rng(11);
  const d: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 400; i++) {
    const label = i % 2;
    d.push(label === 0 ? 1 + rng.normal() * 0.5 : 2 + rng.normal() * 0.5);
    y.push(label);
  }
  const r = kFoldVerification(d, y, { folds: 5, seed: 1 });
  const accs = r.folds.map((f) => f.accuracy);
  const mean = accs.reduce((a, b) => a + b) / 5;
  assertClose([r.mean, r.std], [mean, Math.sqrt(accs.reduce((s, a) => s + (a - mean) ** 2, 0) / 5)], 1e-12);
  // Bayes accuracy for two unit-separated normals with sd 0.5 is Phi(1) = 0.841
  assert.ok(r.mean > 0.78 && r.mean < 0.9, `mean ${r.mean}`);
  for (const f of r.folds) assert.equal(f.accuracy, accuracyAtThreshold(foldOf(d, 5, 1, r.folds.indexOf(f)).map((i) => d[i]), foldOf(d, 5, 1, r.folds.indexOf(f)).map((i) => y[i]), f.threshold));
  assert.throws(() => kFoldVerification(d, y, { folds: 1 }), isError(/folds must be an integer >= 2/));
  assert.throws(() => kFoldVerification([1, 2], [0, 1], { folds: 3 }), isError(/exceeds the number of pairs/));
  // a single similar pair: the fold holding it out trains on dissimilar pairs only
  assert.throws(() => kFoldVerification([1, 2, 3, 4], [0, 1, 1, 1], { folds: 4 }), isError(/training folds for fold \d have no similar \(label 0\) pairs/));
});

/** The held-out fold f as kFoldVerification builds it (same shuffle). */
function foldOf(d: number[], folds: number, seed: number, f: number): number[] {
  const order = Array.from({ length: d.length }, (_, i) => i);
  new Rng(seed).shuffle(order);
  return order.slice(Math.floor((f * d.length) / folds), Math.floor(((f + 1) * d.length) / folds));
}
