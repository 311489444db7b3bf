import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateThreshold, fitPlatt, probabilitySame, verificationMetrics, accuracyAtThreshold } from '../../packages/contrastive/src/eval/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose } from '../support/helpers.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

const POS = [0.1, 0.3, 0.5, 0.9];
const NEG = [0.2, 0.4, 0.6, 0.7, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4];
const D = [...POS, ...NEG];
const Y = [...POS.map(() => 0), ...NEG.map(() => 1)];

test('calibrateThreshold for a target FAR: largest TAR with FAR <= target, rates on the split', () => {
  const c = calibrateThreshold(D, Y, { kind: 'far', far: 0.1 });
  assertClose([c.threshold], [0.35], 1e-12, 'threshold'); // between 0.3 (accepted) and 0.4 (first rejected)
  assert.deepEqual(c.target, { kind: 'far', far: 0.1 });
  assertClose([c.far, c.tar, c.frr, c.accuracy], [0.1, 0.5, 0.5, 11 / 14], 1e-12);
  assert.equal(accuracyAtThreshold(D, Y, c.threshold), c.accuracy);
  const strict = calibrateThreshold(D, Y, { kind: 'far', far: 0 });
  assertClose([strict.far, strict.tar, strict.threshold], [0, 0.25, 0.15], 1e-12);
});

test('calibrateThreshold for accuracy and EER agrees with verificationMetrics', () => {
  const m = verificationMetrics(D, Y);
  const acc = calibrateThreshold(D, Y); // accuracy is the default
  assert.equal(acc.threshold, m.bestThreshold);
  assert.equal(acc.accuracy, m.bestAccuracy);
  const eer = calibrateThreshold(D, Y, { kind: 'eer' });
  assert.equal(eer.threshold, m.eerThreshold);
  // the chosen point is the closest achievable to FAR = FRR
  assert.ok(Math.abs(eer.far - eer.frr) <= 0.25, `far ${eer.far} frr ${eer.frr}`);
});

test('calibrateThreshold rejects bad targets and degenerate splits', () => {
  assert.throws(() => calibrateThreshold(D, Y, { kind: 'far', far: 2 }), isError(/calibrateThreshold: target.far must be a rate in \[0, 1\]/));
  assert.throws(() => calibrateThreshold(D, Y, { kind: 'f1' } as never), isError(/unknown target kind 'f1'/));
  assert.throws(() => calibrateThreshold([1, 2], [1, 1], { kind: 'eer' }), isError(/no similar pairs/));
});

/** Overlapping similar (~0.5) and dissimilar (~1.5) distances. */
function overlapping(n: number, seed: number): { d: number[]; y: number[] } {
  const rng = new Rng(seed);
  const d: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    d.push(Math.abs((label === 0 ? 0.5 : 1.5) + 0.3 * rng.normal()));
    y.push(label);
  }
  return { d, y };
}

test('fitPlatt: the Platt targets make the gradient vanish; probability falls with distance', () => {
  const { d, y } = overlapping(1000, 5);
  const { a, b } = fitPlatt(d, y);
  assert.ok(a > 0, `a = ${a}`);
  // maximum likelihood on the smoothed targets: sum(t - p) = 0 and sum(d (t - p)) = 0
  const pos = y.filter((v) => v === 0).length;
  const neg = y.length - pos;
  let g1 = 0;
  let g2 = 0;
  for (let i = 0; i < d.length; i++) {
    const t = y[i] === 0 ? (pos + 1) / (pos + 2) : 1 / (neg + 2);
    const r = t - probabilitySame(d[i], { a, b });
    g1 += d[i] * r;
    g2 += r;
  }
  assert.ok(Math.abs(g1) < 1e-2 && Math.abs(g2) < 1e-2, `gradient ${g1}, ${g2}`);
  const p = probabilitySame([0, 0.5, 1, 1.5, 3], { a, b });
  for (let i = 1; i < p.length; i++) assert.ok(p[i] < p[i - 1], 'decreasing');
  assert.ok(p[0] > 0.95 && p[4] < 0.05, `p(0) ${p[0]}, p(3) ${p[4]}`);
  // equal classes, symmetric spreads: p = 1/2 at the midpoint 1.0, within sampling noise
  assert.ok(Math.abs(p[2] - 0.5) < 0.1, `p(1) = ${p[2]}`);
});

test('fitPlatt stays finite on separable data (the target smoothing)', () => {
  const { a, b } = fitPlatt([0.1, 0.2, 0.3, 1.1, 1.2, 1.3], [0, 0, 0, 1, 1, 1]);
  assert.ok(Number.isFinite(a) && Number.isFinite(b) && a > 0);
  const p = probabilitySame([0.2, 0.7, 1.2], { a, b });
  // targets 4/5 and 1/5 on 3 + 3 points: the fit does not go to 0/1
  assert.ok(p[0] > 0.7 && p[0] < 0.95, `p(0.2) ${p[0]}`);
  assertClose([p[1]], [0.5], 1e-6, 'p at the midpoint');
  assert.ok(p[2] < 0.3 && p[2] > 0.05, `p(1.2) ${p[2]}`);
});

test('fitPlatt pinned at a threshold: p(same) = 0.5 there, so the verdict and the probability agree; the slope is the likelihood optimum', () => {
  // a few pairs, as four validation people give: the free fit crosses 0.5 away from the best-accuracy threshold
  const d = [0.2, 0.3, 0.35, 0.5, 0.62, 0.45, 0.7, 0.8, 0.9, 0.48];
  const y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const threshold = calibrateThreshold(d, y, { kind: 'accuracy' }).threshold;
  const free = fitPlatt(d, y);
  const disagree = d.filter((x) => (x <= threshold) !== probabilitySame(x, free) >= 0.5);
  assert.ok(disagree.length > 0, 'the free fit disagrees with the threshold on some pair (the bug)');
  const pinned = fitPlatt(d, y, { threshold });
  assert.ok(pinned.a > 0);
  assertClose([probabilitySame(threshold, pinned)], [0.5], 1e-12, 'p at the threshold');
  for (const x of [...d, threshold - 1e-9, threshold + 1e-9]) assert.equal(x <= threshold, probabilitySame(x, pinned) >= 0.5, `d = ${x}`);
  // stationary in the slope: sum((t - p)(d - threshold)) = 0
  let g = 0;
  d.forEach((x, i) => (g += ((y[i] === 0 ? 6 / 7 : 1 / 7) - probabilitySame(x, pinned)) * (x - threshold)));
  assert.ok(Math.abs(g) < 1e-4, `gradient ${g}`);
  // labels that say nothing (the farther pairs similar): slope 0, p = 0.5 everywhere, never the verdict's opposite
  assert.deepEqual(fitPlatt([0.1, 0.9], [1, 0], { threshold: 0.5 }).a, 0);
  assert.throws(() => fitPlatt(d, y, { threshold: NaN }), isError(/fitPlatt: threshold must be a finite number/));
});

test('probabilitySame is stable for extreme arguments and checks its parameters', () => {
  assert.equal(probabilitySame(1e6, { a: 10, b: 0 }), 0);
  assert.equal(probabilitySame(-1e6, { a: 10, b: 0 }), 1);
  assert.equal(probabilitySame(0, { a: 1, b: 0 }), 0.5);
  assert.throws(() => probabilitySame(1, { a: NaN, b: 0 }), isError(/probabilitySame: params must have finite a and b/));
  assert.throws(() => fitPlatt([1, 2], [0, 0]), isError(/fitPlatt: labels has no dissimilar pairs/));
});
