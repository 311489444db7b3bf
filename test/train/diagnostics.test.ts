import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairDiagnostics, batchPairDiagnostics, collapseAlarm } from '../../packages/contrastive/src/train/diagnostics.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('pairDiagnostics: hand-computed figures', () => {
  // similar: 0.5, 1.5; dissimilar: 0.25, 0.75, 2; margin 1
  const d = pairDiagnostics(Float32Array.from([0.5, 1.5, 0.25, 0.75, 2]), [0, 0, 1, 1, 1], 1);
  assert.equal(d.pairCount, 5);
  assert.equal(d.positiveCount, 2);
  assert.equal(d.negativeCount, 3);
  assert.equal(d.nonFiniteCount, 0);
  close(d.meanPositive, 1, 'meanPositive');
  close(d.meanNegative, 1, 'meanNegative');
  close(d.activeNegativeFraction, 2 / 3, 'activeNegativeFraction');
  close(d.positiveOutsideMarginFraction, 1 / 2, 'positiveOutsideMarginFraction');
  close(d.positiveLoss, (0.5 * 0.25 + 0.5 * 2.25) / 2, 'positiveLoss'); // 0.625
  close(d.negativeLoss, (0.5 * 0.75 ** 2 + 0.5 * 0.25 ** 2 + 0) / 3, 'negativeLoss');
  close(d.loss, (0.125 + 1.125 + 0.28125 + 0.03125) / 5, 'loss');
});

test('pairDiagnostics: the loss matches the contrastive formula pair by pair', () => {
  const r = new Rng(3);
  const n = 200;
  const dist = Float64Array.from({ length: n }, () => r.next() * 3);
  const labels = Uint8Array.from({ length: n }, () => r.int(2));
  const m = 1.7;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const y = labels[k];
    sum += (1 - y) * 0.5 * dist[k] ** 2 + y * 0.5 * Math.max(0, m - dist[k]) ** 2;
  }
  close(pairDiagnostics(dist, labels, m).loss, sum / n, 'loss');
});

test('pairDiagnostics: no pairs of a kind gives NaN for its figures; NaN distances are counted apart', () => {
  const onlyNeg = pairDiagnostics([0.5], [1], 1);
  assert.ok(Number.isNaN(onlyNeg.meanPositive) && Number.isNaN(onlyNeg.positiveLoss));
  close(onlyNeg.negativeLoss, 0.125, 'negativeLoss');
  const bad = pairDiagnostics([NaN, 0.5, Infinity], [0, 0, 1], 1);
  assert.equal(bad.nonFiniteCount, 2);
  assert.equal(bad.pairCount, 1);
  close(bad.meanPositive, 0.5, 'meanPositive');
});

test('batchPairDiagnostics: every unordered pair of the batch', () => {
  // points on a line at 0, 1, 3; classes [0, 0, 1]: similar (0,1) d=1; dissimilar (0,2) d=3, (1,2) d=2
  const x = [0, 1, 3];
  const mat = Float32Array.from({ length: 9 }, (_, k) => Math.abs(x[Math.floor(k / 3)] - x[k % 3]));
  const d = batchPairDiagnostics(mat, [0, 0, 1], 2.5);
  assert.equal(d.positiveCount, 1);
  assert.equal(d.negativeCount, 2);
  close(d.meanPositive, 1, 'meanPositive');
  close(d.meanNegative, 2.5, 'meanNegative');
  close(d.activeNegativeFraction, 0.5, 'activeNegativeFraction');
  close(d.negativeLoss, (0 + 0.5 * 0.25) / 2, 'negativeLoss');
  close(d.positiveLoss, 0.5, 'positiveLoss');
  assert.deepEqual(d, pairDiagnostics([1, 3, 2], [0, 1, 1], 2.5));
});

test('collapseAlarm: fires on collapsed embeddings, silent on healthy ones', () => {
  const r = new Rng(1);
  const labels = Uint8Array.from({ length: 400 }, (_, k) => k % 2);
  const collapsed = Float32Array.from(labels, () => r.next() * 0.02);
  const diagCollapsed = pairDiagnostics(collapsed, labels, 1);
  assert.ok(diagCollapsed.negativeLoss > 0.9 * 0.5, 'negative term near m^2/2');
  const msg = collapseAlarm(diagCollapsed, 1);
  assert.ok(msg !== null && /embeddings collapsed/.test(msg) && /m\^2\/2 = 0\.500/.test(msg), String(msg));

  const healthy = Float32Array.from(labels, (y) => (y === 0 ? 0.2 : 1.1) + r.next() * 0.1);
  assert.equal(collapseAlarm(pairDiagnostics(healthy, labels, 1), 1), null);
  // early training: everything small but not collapsed (10% of m) is not an alarm at 5% ...
  const small = Float32Array.from(labels, () => 0.1);
  assert.equal(collapseAlarm(pairDiagnostics(small, labels, 1), 1), null);
  // ... and is one with a looser tolerance
  assert.ok(collapseAlarm(pairDiagnostics(small, labels, 1), 1, { tolerance: 0.2 }) !== null);
  // negatives collapsed but positives spread: not a collapse of the embedding
  const inverted = Float32Array.from(labels, (y) => (y === 0 ? 1 : 0.01));
  assert.equal(collapseAlarm(pairDiagnostics(inverted, labels, 1), 1), null);
  // non-finite distances always alarm
  assert.match(collapseAlarm(pairDiagnostics([NaN, 1], [0, 1], 1), 1) ?? '', /1 of 2 pair distances are NaN/);
  // only similar pairs: nothing to say
  assert.equal(collapseAlarm(pairDiagnostics([0, 0], [0, 0], 1), 1), null);
});

test('diagnostics: bad input throws ContrastiveError naming the function and the problem', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);
  assert.throws(() => pairDiagnostics([1, 2], [0], 1), is(/pairDiagnostics: distances has 2 entries but labels has 1/));
  assert.throws(() => pairDiagnostics([1, 2], [0, 2], 1), is(/labels\[1\] is 2, expected 0 \(similar\) or 1 \(dissimilar\)/));
  assert.throws(() => pairDiagnostics([1, -2], [0, 1], 1), is(/distances\[1\] is -2, a distance cannot be negative/));
  assert.throws(() => pairDiagnostics([1], [0], 0), is(/margin must be a finite number > 0, got 0/));
  assert.throws(() => batchPairDiagnostics(new Float32Array(5), [0, 1], 1), is(/batchPairDiagnostics: distanceMatrix has 5 values but classLabels has 2 entries/));
  assert.throws(() => collapseAlarm(pairDiagnostics([1], [1], 1), 1, { tolerance: 2 }), is(/collapseAlarm: tolerance must be in \(0, 1\)/));
});
