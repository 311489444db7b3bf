import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { knn, type KnnEngine } from '../../packages/contrastive/src/eval/index.js';
import { nativeOrt } from '../../packages/kernels/src/onnx/runtime.js';
import { ParallelRowSelector } from '../../packages/contrastive/src/eval/parallel-select.js';
import { selectRow, sortBuffers } from '../../packages/contrastive/src/eval/row-select.js';
import type { DistanceName } from '../../packages/contrastive/src/distances/names.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { withBackend } from '../support/helpers.js';

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

function dist(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, dim: number, kind: DistanceName): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let c = 0; c < dim; c++) {
    const x = a[ai * dim + c];
    const y = b[bi * dim + c];
    s += (x - y) ** 2;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (kind === 'cosine') return 1 - dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
  return kind === 'euclidean' ? Math.sqrt(s) : s;
}

/** Brute force: full sort of every row by (distance, index). */
function bruteKnn(q: Float32Array, r: Float32Array, dim: number, k: number, kind: DistanceName, excludeSelf: boolean) {
  const nq = q.length / dim;
  const nr = r.length / dim;
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < nq; i++) {
    const cand = [];
    for (let j = 0; j < nr; j++) if (!(excludeSelf && j === i)) cand.push({ j, d: dist(q, i, r, j, dim, kind) });
    cand.sort((x, y) => x.d - y.d || x.j - y.j);
    indices.push(cand.slice(0, k).map((c) => c.j));
    distances.push(cand.slice(0, k).map((c) => c.d));
  }
  return { indices, distances };
}

/** Both score engines: onnxruntime-node's GEMM (+ TopK for small k) and TF.js matMul. */
const ENGINES: KnnEngine[] = ['onnxruntime', 'tfjs'];

function randomMatrix(rows: number, dim: number, rng: Rng, grid = 0): Float32Array {
  const m = new Float32Array(rows * dim);
  for (let i = 0; i < m.length; i++) m[i] = grid > 0 ? rng.int(grid) : rng.normal() + 3; // offset cloud
  return m;
}

function compare(got: ReturnType<typeof knn>, want: ReturnType<typeof bruteKnn>, exactOrder: boolean, what: string): void {
  const k = got.k;
  for (let i = 0; i < want.indices.length; i++) {
    const gi = Array.from(got.indices.subarray(i * k, (i + 1) * k));
    const gd = Array.from(got.distances.subarray(i * k, (i + 1) * k));
    for (let t = 0; t < k; t++) assert.ok(Math.abs(gd[t] - want.distances[i][t]) <= 1e-9 * (1 + want.distances[i][t]), `${what}: row ${i} distance ${t}: ${gd[t]} vs ${want.distances[i][t]}`);
    if (exactOrder) assert.deepEqual(gi, want.indices[i], `${what}: row ${i}`);
  }
}

test('knn equals brute force on integer grid data full of ties (tie order by index), both selection paths', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(1);
    const dim = 4;
    const r = randomMatrix(300, dim, rng, 3); // 81 possible points: many duplicates and equal distances
    const q = randomMatrix(40, dim, rng, 3);
    for (const engine of ENGINES) {
      for (const kind of ['euclidean', 'squaredEuclidean'] as const) {
        for (const k of [1, 7, 100]) {
          compare(knn(Array.from({ length: 40 }, (_, i) => q.subarray(i * dim, (i + 1) * dim)), r, k, kind, { dim, engine }), bruteKnn(q, r, dim, k, kind, false), true, `${engine} ${kind} k=${k}`);
          compare(knn(r, r, k, kind, { dim, excludeSelf: true, blockRows: 64, engine }), bruteKnn(r, r, dim, k, kind, true), true, `${engine} ${kind} self k=${k}`);
        }
      }
    }
  });
});

test('knn equals brute force on random float data, cosine too, with several blocks and tiles', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(2);
    const dim = 8;
    const r = randomMatrix(5000, dim, rng);
    const q = r.subarray(0, 30 * dim);
    for (const engine of ENGINES) {
      for (const kind of ['euclidean', 'cosine'] as const) {
        const got = knn(tf.tensor2d(r, [5000, dim]), tf.tensor2d(r, [5000, dim]), 5, kind, { excludeSelf: true, blockRows: engine === 'tfjs' ? 7 : 700, engine });
        const sub = { indices: got.indices.subarray(0, 30 * 5), distances: got.distances.subarray(0, 30 * 5), k: 5, queries: 30 };
        compare(sub, bruteKnn(q, r, dim, 5, kind, true), true, `${engine} ${kind}`);
        const big = knn(q, r, 90, kind, { dim, engine });
        compare(big, bruteKnn(q, r, dim, 90, kind, false), true, `${engine} ${kind} k=90`);
      }
    }
  });
});

test('knn runs on the cpu backend too and a query never finds itself with excludeSelf', async () => {
  await withBackend('cpu', () => {
    const rng = new Rng(3);
    const r = randomMatrix(50, 3, rng);
    const got = knn(r, r, 49, 'euclidean', { dim: 3, excludeSelf: true });
    for (let i = 0; i < 50; i++) {
      const row = Array.from(got.indices.subarray(i * 49, (i + 1) * 49));
      assert.ok(!row.includes(i));
      assert.equal(new Set(row).size, 49);
    }
    compare(got, bruteKnn(r, r, 3, 49, 'euclidean', true), true, 'cpu');
  });
});

test('knn: large offset clouds still rank correctly (centring, exact distances)', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(4);
    const dim = 16;
    const r = new Float32Array(400 * dim);
    for (let i = 0; i < r.length; i++) r[i] = 1000 + 0.01 * rng.normal();
    const want = bruteKnn(r, r, dim, 3, 'euclidean', true);
    for (const engine of ENGINES) compare(knn(r, r, 3, 'euclidean', { dim, excludeSelf: true, engine }), want, true, `${engine} offset`);
  });
});

test('knn: the sampled pre-filter falls back to the whole row when the sample misleads', async () => {
  await withBackend('wasm', () => {
    const n = 5000;
    const sampled = new Set(Array.from({ length: 1024 }, (_, t) => Math.floor((t * n) / 1024)));
    // the strided sample sees only near points, so its quantile keeps too few candidates
    const r = Float32Array.from({ length: n }, (_, j) => (sampled.has(j) ? 1 + j * 1e-3 : 100 + (j % 50)));
    const q = new Float32Array([0]);
    const want = bruteKnn(q, r, 1, 900, 'euclidean', false);
    for (const engine of ENGINES) compare(knn(q, r, 900, 'euclidean', { dim: 1, engine }), want, true, `${engine} fallback`);
  });
});

test('knn: large k on long rows (sampled threshold, radix sort) equals brute force with many ties, own row dropped', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(5);
    const dim = 2;
    const n = 6000; // above the sampled pre-filter's minimum row length
    const r = randomMatrix(n, dim, rng, 12); // 144 grid points: every distance is tied many times
    const q = r.subarray(0, 25 * dim);
    const want = bruteKnn(q, r, dim, 700, 'squaredEuclidean', true);
    for (const engine of ENGINES) {
      const got = knn(r, r, 700, 'squaredEuclidean', { dim, excludeSelf: true, engine, blockRows: 25 });
      const sub = { indices: got.indices.subarray(0, 25 * 700), distances: got.distances.subarray(0, 25 * 700), k: 700, queries: 25 };
      compare(sub, want, true, `${engine} k=700`);
    }
  });
});

test('knn engines: onnxruntime-node loads here (the fast path is what the tests above check) and can be forced either way', () => {
  assert.ok(nativeOrt() !== null, 'onnxruntime-node should load in Node');
  const r = [[0, 0], [1, 0], [0, 2], [5, 5]];
  const a = knn(r, r, 2, 'euclidean', { excludeSelf: true, engine: 'onnxruntime' });
  const b = knn(r, r, 2, 'euclidean', { excludeSelf: true, engine: 'tfjs' });
  const c = knn(r, r, 2, 'euclidean', { excludeSelf: true });
  assert.deepEqual(Array.from(a.indices), [1, 2, 0, 2, 0, 1, 2, 1]);
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.throws(() => knn(r, r, 1, 'euclidean', { engine: 'gpu' as never }), isError(/knn: unknown engine 'gpu' \(expected one of auto, onnxruntime, tfjs\)/));
});

test('row selection shared with worker threads gives what the main thread alone gives (small and large k, ties, skipped column)', () => {
  const rng = new Rng(6);
  const nr = 5000;
  const rows = 9;
  const cap = 800;
  const sel = new ParallelRowSelector(rows, nr, cap, 2);
  try {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < rows * nr; i++) sel.scores[i] = rng.int(300) - 150; // many ties
      for (let i = 0; i < rows; i++) {
        sel.ks[i] = [0, 1, 10, 64, 65, 300, 799, 800, 5][i];
        sel.skips[i] = i % 2 === 0 ? i * 7 : -1;
      }
      sel.select(rows);
      const bits = new Uint32Array(sel.scores.buffer);
      const idx = new Int32Array(cap);
      for (let i = 0; i < rows; i++) {
        const k = sel.ks[i];
        if (k === 0) continue;
        selectRow(sel.scores, bits, i * nr, nr, k, sel.skips[i], idx, new Float32Array(cap), sortBuffers(nr));
        assert.deepEqual(Array.from(sel.out.subarray(i * cap, i * cap + k)), Array.from(idx.subarray(0, k)), `round ${round} row ${i}`);
        // and that is the brute-force order: by score, then index, own column excluded
        const want = Array.from({ length: nr }, (_, j) => j).filter((j) => j !== sel.skips[i]).sort((a, b) => sel.scores[i * nr + a] - sel.scores[i * nr + b] || a - b);
        assert.deepEqual(Array.from(idx.subarray(0, k)), want.slice(0, k), `round ${round} row ${i} brute force`);
      }
    }
    assert.equal(sel.liveHelpers, 2, 'both helpers answered');
  } finally {
    sel.dispose();
  }
});

test('knn rejects bad shapes and arguments', () => {
  const r = new Float32Array(12);
  assert.throws(() => knn(r, r, 1, 'euclidean', { dim: 5 }), isError(/knn: references has 12 values, not divisible by dim 5/));
  assert.throws(() => knn(r, r, 1), isError(/flat array: pass the embedding size as dim/));
  assert.throws(() => knn(r, r, 4, 'euclidean', { dim: 3, excludeSelf: true }), isError(/k \(4\) exceeds the 3 references available \(own row excluded\)/));
  assert.throws(() => knn([[1, 2]], [[1, 2, 3]], 1), isError(/queries have dim 2 but references have dim 3/));
  assert.throws(() => knn([[1, NaN]], [[1, 2]], 1), isError(/queries row 0 column 1 is NaN/));
  assert.throws(() => knn([[1, 2]], [[1, 2]], 1, 'manhattan' as never), isError(/unknown distance 'manhattan'/));
  assert.throws(() => knn([[1, 2]], [[1, 2], [3, 4]], 1, 'euclidean', { excludeSelf: true }), isError(/excludeSelf needs queries and references to be the same set/));
  assert.throws(() => knn([[1, 2], [1]], [[1, 2]], 1), isError(/queries\[1\] has length 1/));
});
