import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { retrievalMetrics } from '../../packages/contrastive/src/eval/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose, withBackend } from '../support/helpers.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

// Points on a line (exact integers, so ties are exact). Worked by hand, each query against the others,
// ties broken by the smaller index:
//   q0 (0,A):  1A 2B 3A ...       rel 1 0 1  R=2: P@1 1, RP 1/2, AP@R 1/2
//   q1 (10,A): 0A 2B (tie, 0 first) 3A   rel 1 0 1: 1, 1/2, 1/2
//   q2 (20,B): 3A 1A 0A 4B 6B     rel 0 0 0 1 1: 0, 0, 0 (first hit at rank 4)
//   q3 (26,A): 2B 1A 4B 0A        rel 0 1 0 1: 0, 1/2, (1/2)(1/2) = 1/4 (first hit at rank 2)
//   q4 (50,B): 6B 3A 2B ...        rel 1 0 1: 1, 1/2, 1/2
//   q5 (100,C): the only C: left out
//   q6 (60,B): 4B 3A 2B 5C (tie 40, 2 first)  rel 1 0 1: 1, 1/2, 1/2
const X = [0, 10, 20, 26, 50, 100, 60];
const L = [0, 0, 1, 0, 1, 2, 1];

test('retrievalMetrics on a worked PML-style example (ties, a lone label left out)', async () => {
  await withBackend('wasm', () => {
    const m = retrievalMetrics(X.map((x) => [x, 0]), L);
    assert.equal(m.queries, 6);
    assertClose([m.precisionAt1, m.rPrecision, m.mapAtR], [4 / 6, 2.5 / 6, 2.25 / 6], 1e-12);
    assertClose([m.recallAtK[1], m.recallAtK[5], m.recallAtK[10]], [4 / 6, 1, 1], 1e-12);
    assert.deepEqual(retrievalMetrics(X.map((x) => [x, 0]), L, { engine: 'tfjs' }), m);
    assert.deepEqual(retrievalMetrics(X.map((x) => [x, 0]), L, { engine: 'onnxruntime' }), m);
    // k = 1 truncates R to 1, as pytorch-metric-learning does: R-precision and MAP@R become P@1
    const k1 = retrievalMetrics(new Float32Array(X), new Int32Array(L), { k: 1, dim: 1 });
    assertClose([k1.rPrecision, k1.mapAtR], [4 / 6, 4 / 6], 1e-12);
  });
});

test('perfect clusters give 1 everywhere; squared euclidean and cosine rank the same here', async () => {
  await withBackend('wasm', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let c = 0; c < 4; c++) for (let i = 0; i < 5; i++) {
      rows.push([Math.cos(c * 1.5) * (1 + 0.01 * i), Math.sin(c * 1.5) * (1 + 0.01 * i)]);
      labels.push(c);
    }
    for (const distance of ['euclidean', 'squaredEuclidean', 'cosine'] as const) {
      const m = retrievalMetrics(tf.tensor2d(rows), labels, { distance });
      assert.deepEqual(m, { precisionAt1: 1, rPrecision: 1, mapAtR: 1, recallAtK: { 1: 1, 5: 1, 10: 1 }, queries: 20 });
    }
  });
});

/** The definitions, by brute force: full sort of every row by (squared distance, index). */
function bruteRetrieval(x: Float32Array, dim: number, y: Int32Array, k?: number) {
  const n = y.length;
  let p1 = 0, rp = 0, map = 0, r1 = 0, r5 = 0, r10 = 0, queries = 0;
  for (let i = 0; i < n; i++) {
    const others = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < dim; c++) s += (x[i * dim + c] - x[j * dim + c]) ** 2;
      others.push({ j, s });
    }
    others.sort((a, b) => a.s - b.s || a.j - b.j);
    const rel = others.map((o) => (y[o.j] === y[i] ? 1 : 0));
    let R = rel.reduce((a: number, b) => a + b, 0);
    if (R === 0) continue;
    if (k !== undefined) R = Math.min(R, k);
    queries++;
    p1 += rel[0];
    let hits = 0, ap = 0;
    for (let t = 0; t < R; t++) if (rel[t]) ap += ++hits / (t + 1);
    rp += hits / R;
    map += ap / R;
    const first = rel.indexOf(1);
    r1 += first < 1 ? 1 : 0;
    r5 += first < 5 ? 1 : 0;
    r10 += first < 10 ? 1 : 0;
  }
  return { precisionAt1: p1 / queries, rPrecision: rp / queries, mapAtR: map / queries, recallAtK: { 1: r1 / queries, 5: r5 / queries, 10: r10 / queries }, queries };
}

test('retrievalMetrics equals the brute-force definitions on noisy grid data (R above and below 64)', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(9);
    const dim = 3;
    const n = 600;
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // 5 big classes (R ~ 100, quickselect path), 20 small ones (R < 64), one singleton
      y[i] = i === n - 1 ? 999 : i < 500 ? i % 5 : 5 + (i % 20);
      for (let c = 0; c < dim; c++) x[i * dim + c] = (y[i] % 4) * (c + 1) + rng.int(5); // overlapping, many ties
    }
    for (const k of [undefined, 3, 20]) {
      const want = bruteRetrieval(x, dim, y, k);
      for (const engine of ['onnxruntime', 'tfjs'] as const) {
        const got = retrievalMetrics(x, y, { dim, k, engine });
        assert.equal(got.queries, n - 1);
        assertClose(
          [got.precisionAt1, got.rPrecision, got.mapAtR, got.recallAtK[1], got.recallAtK[5], got.recallAtK[10]],
          [want.precisionAt1, want.rPrecision, want.mapAtR, want.recallAtK[1], want.recallAtK[5], want.recallAtK[10]],
          1e-12,
          `${engine} k=${k}`,
        );
      }
    }
  });
});

test('retrievalMetrics on long rows (sampled pre-filter, R ~ 400 and ~ 40) equals the definitions, ties included', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(10);
    const dim = 2;
    const n = 4500; // rows longer than the sampled pre-filter's minimum (4096)
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i < 4000 ? i % 10 : 10 + (i % 12); // ten classes of 400, twelve of about 40
      for (let c = 0; c < dim; c++) x[i * dim + c] = (y[i] % 3) * 2 + rng.int(9); // overlapping grid clouds
    }
    const want = bruteRetrievalGrid(x, dim, y);
    for (const engine of ['onnxruntime', 'tfjs'] as const) {
      const got = retrievalMetrics(x, y, { dim, engine });
      assert.equal(got.queries, n);
      assertClose(
        [got.precisionAt1, got.rPrecision, got.mapAtR, got.recallAtK[1], got.recallAtK[5], got.recallAtK[10]],
        [want.precisionAt1, want.rPrecision, want.mapAtR, want.recallAtK[1], want.recallAtK[5], want.recallAtK[10]],
        1e-12,
        engine,
      );
    }
  });
});

/** The definitions for small non-negative integer data: each row ranked by a counting sort on the integer squared distance, then index. */
function bruteRetrievalGrid(x: Float32Array, dim: number, y: Int32Array) {
  const n = y.length;
  let maxD = 0;
  for (let i = 0; i < x.length; i++) maxD = Math.max(maxD, x[i]);
  const buckets = dim * maxD * maxD + 1;
  const d2 = new Int32Array(n);
  const start = new Int32Array(buckets + 1);
  const order = new Int32Array(n);
  const classSize = new Map<number, number>();
  for (const v of y) classSize.set(v, (classSize.get(v) ?? 0) + 1);
  let p1 = 0, rp = 0, map = 0, r1 = 0, r5 = 0, r10 = 0, queries = 0;
  for (let i = 0; i < n; i++) {
    const R = (classSize.get(y[i]) as number) - 1;
    if (R === 0) continue;
    start.fill(0);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += (x[i * dim + c] - x[j * dim + c]) ** 2;
      d2[j] = s;
      if (j !== i) start[s + 1]++;
    }
    for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
    for (let j = 0; j < n; j++) if (j !== i) order[start[d2[j]]++] = j; // index order inside a bucket
    queries++;
    let hits = 0, ap = 0, first = -1;
    for (let t = 0; t < n - 1; t++) {
      if (y[order[t]] !== y[i]) continue;
      if (first < 0) first = t;
      if (t >= R) break;
      ap += ++hits / (t + 1);
    }
    p1 += first === 0 ? 1 : 0;
    rp += hits / R;
    map += ap / R;
    r1 += first >= 0 && first < 1 ? 1 : 0;
    r5 += first >= 0 && first < 5 ? 1 : 0;
    r10 += first >= 0 && first < 10 ? 1 : 0;
  }
  return { precisionAt1: p1 / queries, rPrecision: rp / queries, mapAtR: map / queries, recallAtK: { 1: r1 / queries, 5: r5 / queries, 10: r10 / queries }, queries };
}

test('retrievalMetrics rejects degenerate input', () => {
  assert.throws(() => retrievalMetrics([[1], [2], [3]], [0, 1, 2]), isError(/retrievalMetrics: no label has two or more members among 3 embeddings/));
  assert.throws(() => retrievalMetrics([[1], [2]], [0, 0, 1]), isError(/labels has length 3 but there are 2 embeddings/));
  assert.throws(() => retrievalMetrics(new Float32Array(10), new Int32Array(3), { dim: 3 }), isError(/embeddings has 10 values, not divisible by dim 3/));
  assert.throws(() => retrievalMetrics([[1], [Infinity]], [0, 0]), isError(/embeddings row 1 column 0 is Infinity/));
  assert.throws(() => retrievalMetrics([[1], [2]], [0, 0.5]), isError(/labels\[1\] is 0.5 \(class labels must be integers\)/));
  assert.throws(() => retrievalMetrics([], []), isError(/embeddings is empty/));
  assert.throws(() => retrievalMetrics([[1], [2]], [0, 0], { k: 0 }), isError(/k must be a positive integer/));
  assert.throws(() => retrievalMetrics([[1], [2]], [0, 0], { engine: 'gpu' as never }), isError(/retrievalMetrics: unknown engine 'gpu'/));
});
