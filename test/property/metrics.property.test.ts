// Property-based tests (fast-check) of the metrics: invariants that must hold for any input,
// beside the hand-computed vectors of test/eval/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verificationMetrics, accuracyAtThreshold } from '../../packages/contrastive/src/eval/verification.js';
import { retrievalMetrics } from '../../packages/contrastive/src/eval/retrieval.js';
import { knn } from '../../packages/contrastive/src/eval/knn.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

// Fixed seed: a failure is reproducible, and CI runs the same cases every time.
const RUNS = { seed: 20261130, numRuns: 60 };

/** Scored pairs with both labels present; distances from a small grid so that ties occur. */
const scoredPairs = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.constantFrom(0, 1)), { minLength: 2, maxLength: 60 })
  .filter((rows) => rows.some(([, y]) => y === 0) && rows.some(([, y]) => y === 1))
  .map((rows) => ({ d: Float64Array.from(rows, ([v]) => v / 4), y: Uint8Array.from(rows, ([, y]) => y) }));

function permute(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

test('verification: AUC of negated distances is 1 - AUC (ties count 1/2)', () => {
  fc.assert(
    fc.property(scoredPairs, ({ d, y }) => {
      const m = verificationMetrics(d, y);
      const inv = verificationMetrics(d.map((v) => -v), y);
      assert.ok(Math.abs(inv.auc - (1 - m.auc)) < 1e-12, `auc ${m.auc}, inverted ${inv.auc}`);
    }),
    RUNS,
  );
});

test('verification: every rate lies in [0, 1], and best accuracy is reached at its threshold', () => {
  fc.assert(
    fc.property(scoredPairs, ({ d, y }) => {
      const m = verificationMetrics(d, y);
      for (const v of [m.auc, m.eer, m.bestAccuracy, m.tarAtFar['1e-1'], m.tarAtFar['1e-2'], m.tarAtFar['1e-3']]) {
        assert.ok(v >= 0 && v <= 1, `metric ${v} outside [0, 1]`);
      }
      assert.ok(Math.abs(accuracyAtThreshold(d, y, m.bestThreshold) - m.bestAccuracy) < 1e-12);
      assert.equal(m.positives + m.negatives, d.length);
    }),
    RUNS,
  );
});

test('verification: metrics do not depend on the order of the pairs', () => {
  fc.assert(
    fc.property(scoredPairs, fc.integer({ min: 1, max: 1e9 }), ({ d, y }, seed) => {
      const p = permute(d.length, seed);
      const a = verificationMetrics(d, y);
      const b = verificationMetrics(Float64Array.from(p, (i) => d[i]), Uint8Array.from(p, (i) => y[i]));
      assert.equal(b.auc, a.auc);
      assert.equal(b.eer, a.eer);
      assert.equal(b.bestAccuracy, a.bestAccuracy);
      assert.equal(b.bestThreshold, a.bestThreshold);
      assert.deepEqual(b.tarAtFar, a.tarAtFar);
    }),
    RUNS,
  );
});

/** Gaussian embeddings of a few classes (continuous values: no distance ties). */
const labelledEmbeddings = fc
  .record({ seed: fc.integer({ min: 1, max: 1e9 }), n: fc.integer({ min: 4, max: 40 }), dim: fc.integer({ min: 1, max: 6 }), classes: fc.integer({ min: 2, max: 4 }) })
  .map(({ seed, n, dim, classes: wanted }) => {
    const classes = Math.min(wanted, Math.floor(n / 2));
    const rng = new Rng(seed);
    const x = Float32Array.from({ length: n * dim }, () => rng.normal());
    // every class gets at least two members, so every query has R >= 1
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 2 * classes ? i % classes : rng.int(classes)));
    return { x, labels, dim, n, seed };
  });

test('retrieval: MAP@R, R-precision, P@1 and Recall@K lie in [0, 1] and do not depend on row order', () => {
  fc.assert(
    fc.property(labelledEmbeddings, ({ x, labels, dim, n, seed }) => {
      const m = retrievalMetrics(x, labels, { dim, engine: 'tfjs' });
      for (const v of [m.mapAtR, m.rPrecision, m.precisionAt1, m.recallAtK[1], m.recallAtK[5], m.recallAtK[10]]) {
        assert.ok(v >= 0 && v <= 1, `metric ${v} outside [0, 1]`);
      }
      // each P@i <= 1, so MAP@R = (1/R) sum P@i rel(i) <= (1/R) sum rel(i) = R-precision
      assert.ok(m.mapAtR <= m.rPrecision + 1e-12, `MAP@R ${m.mapAtR} > R-precision ${m.rPrecision}`);
      const p = permute(n, seed ^ 0x55);
      const px = new Float32Array(x.length);
      p.forEach((src, dst) => px.set(x.subarray(src * dim, (src + 1) * dim), dst * dim));
      const pm = retrievalMetrics(px, Int32Array.from(p, (i) => labels[i]), { dim, engine: 'tfjs' });
      for (const key of ['mapAtR', 'rPrecision', 'precisionAt1'] as const) {
        assert.ok(Math.abs(pm[key] - m[key]) < 1e-9, `${key}: ${m[key]} vs ${pm[key]} after permuting rows`);
      }
    }),
    { ...RUNS, numRuns: 30 },
  );
});

test('knn equals a brute-force float64 ranking, with and without the self row', () => {
  fc.assert(
    fc.property(labelledEmbeddings, fc.integer({ min: 1, max: 5 }), fc.boolean(), ({ x, dim, n }, kWanted, self) => {
      const k = Math.min(kWanted, self ? n - 1 : n);
      const r = knn(x, x, k, 'euclidean', { dim, excludeSelf: self, engine: 'tfjs' });
      for (let q = 0; q < n; q++) {
        const order = Array.from({ length: n }, (_, i) => i)
          .filter((i) => !self || i !== q)
          .map((i) => {
            let s = 0;
            for (let c = 0; c < dim; c++) s += (x[q * dim + c] - x[i * dim + c]) ** 2;
            return { i, d: Math.sqrt(s) };
          })
          .sort((a, b) => a.d - b.d || a.i - b.i);
        for (let j = 0; j < k; j++) {
          assert.equal(r.indices[q * k + j], order[j].i, `query ${q}, neighbour ${j}`);
          assert.ok(Math.abs(r.distances[q * k + j] - order[j].d) < 1e-5);
        }
      }
    }),
    { ...RUNS, numRuns: 30 },
  );
});
