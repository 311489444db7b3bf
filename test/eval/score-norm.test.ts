import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cohortStatistics, sNormScores, sNormPairs, drawCohort, calibrateThreshold, accuracyAtThreshold } from '../../packages/contrastive/src/eval/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose } from '../support/helpers.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

test('cohortStatistics: mean and standard deviation of each row over its distances to the cohort; a row in its own cohort is left out', () => {
  const cohort = Float32Array.from([0, 2, 4, 6]); // 1-d rows
  const s = cohortStatistics(Float32Array.from([0, 1]), cohort, 1);
  // row 0 is cohort member 0: distances 2, 4, 6
  assertClose([s.mean[0], s.std[0]], [4, Math.sqrt(8 / 3)], 1e-6);
  // row 1: distances 1, 1, 3, 5
  assertClose([s.mean[1], s.std[1]], [2.5, Math.sqrt(2.75)], 1e-6);
});

test('cohortStatistics: cosine and squared Euclidean distances, and rows far from the origin (no cancellation)', () => {
  const cohort = Float32Array.from([1, 0, 0, 1, -1, 0]);
  // cosine distances of (2, 2): 1 - 1/√2 twice and 1 + 1/√2
  const c = cohortStatistics(Float32Array.from([2, 2]), cohort, 2, 'cosine');
  assertClose([c.mean[0]], [(3 - Math.SQRT1_2) / 3], 1e-6);
  const sq = cohortStatistics(Float32Array.from([0, 0]), cohort, 2, 'squaredEuclidean');
  assertClose([sq.mean[0], sq.std[0]], [1, 0], 1e-6);
  // the same geometry shifted by 1e4: Euclidean statistics do not move
  const far = (x: number[]) => Float32Array.from(x.map((v) => v + 1e4));
  const near = cohortStatistics(Float32Array.from([0.5, 0.25]), cohort, 2);
  const shifted = cohortStatistics(far([0.5, 0.25]), far([1, 0, 0, 1, -1, 0]), 2);
  assertClose([shifted.mean[0], shifted.std[0]], [near.mean[0], near.std[0]], 1e-3);
});

test('sNormScores: ½[(d - μa)/σa + (d - μb)/σb] per pair', () => {
  const a = { mean: Float64Array.from([1, 2]), std: Float64Array.from([0.5, 1]) };
  const s = sNormScores([1.5, 0.5], [0, 1], [1, 0], a);
  assertClose(Array.from(s), [0.5 * ((1.5 - 1) / 0.5 + (1.5 - 2) / 1), 0.5 * ((0.5 - 2) / 1 + (0.5 - 1) / 0.5)], 1e-12);
  assert.throws(() => sNormScores([1], [0, 1], [1], a), isError(/one entry per pair/));
  assert.throws(() => sNormScores([1], [2], [0], a), isError(/ia\[0\] = 2 is not a row/));
});

test('S-norm against each domain\'s own cohort: a domain at twice the distance scale gets the same scores, so one threshold holds on both', () => {
  const rng = new Rng(5);
  const dim = 3;
  // two classes of points in domain A; domain B is A scaled by 2 (every distance doubles)
  const n = 40;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const a = Float32Array.from({ length: n * dim }, (_, k) => (labels[Math.floor(k / dim)] === 1 && k % dim === 0 ? 1.5 : 0) + 0.5 * rng.normal());
  const b = a.map((v) => 2 * v);
  const ia: number[] = [];
  const ib: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j += 3) (ia.push(i), ib.push(j), y.push(labels[i] === labels[j] ? 0 : 1));
  const dist = (e: Float32Array) => ia.map((i, k) => Math.hypot(...Array.from({ length: dim }, (_, t) => e[i * dim + t] - e[ib[k] * dim + t])));
  const da = dist(a);
  const db = dist(b);
  const sa = sNormPairs(a, dim, ia, ib, da, drawCohort(a, dim, 20, 1));
  const sb = sNormPairs(b, dim, ia, ib, db, drawCohort(b, dim, 20, 1));
  assertClose(Array.from(sb), Array.from(sa), 1e-4);
  // a distance threshold chosen on A misses on B; the S-norm threshold carries over exactly
  const tDist = calibrateThreshold(da, y).threshold;
  const tNorm = calibrateThreshold(sa, y).threshold;
  assert.ok(accuracyAtThreshold(db, y, tDist) < accuracyAtThreshold(da, y, tDist) - 0.1);
  assert.equal(accuracyAtThreshold(sb, y, tNorm), accuracyAtThreshold(sa, y, tNorm));
});

test('drawCohort: seeded rows without replacement, in ascending order; every row when there are fewer', () => {
  const x = Float32Array.from({ length: 20 }, (_, i) => i); // 10 rows of 2
  const c = drawCohort(x, 2, 4, 7);
  assert.deepEqual(c, drawCohort(x, 2, 4, 7));
  const rows = Array.from({ length: 4 }, (_, k) => c[2 * k] / 2);
  assert.deepEqual(rows, [...new Set(rows)].sort((p, q) => p - q));
  for (let k = 0; k < 4; k++) assert.equal(c[2 * k + 1], c[2 * k] + 1);
  assert.deepEqual(drawCohort(x, 2, 50, 7), x);
  assert.throws(() => drawCohort(x, 2, 1, 7), isError(/size must be an integer >= 2/));
});

test('cohortStatistics rejects bad rows and a cohort of one', () => {
  assert.throws(() => cohortStatistics(Float32Array.from([1, 2, 3]), Float32Array.from([0, 0, 1, 1]), 2), isError(/not a whole number of 2-d rows/));
  assert.throws(() => cohortStatistics(Float32Array.from([1, 2]), Float32Array.from([0, 0]), 2), isError(/at least 2 rows/));
  assert.throws(() => cohortStatistics(Float32Array.from([NaN, 2]), Float32Array.from([0, 0, 1, 1]), 2), isError(/non-finite/));
});
