/**
 * Exact k nearest neighbours with a blocked distance kernel. The ranking
 * scores of a block of queries against all references come from one GEMM per
 * reference tile on the active TensorFlow.js backend (the norm trick:
 * |q - r|^2 = |q|^2 + |r|^2 - 2 q.r, after centring both sets near the
 * reference mean so the trick does not cancel catastrophically), so memory
 * stays bounded by the block. The top k of each row is kept by a partial
 * selection (never a sort of the whole row) and ties are broken by the smaller
 * reference index. `knn` then recomputes the kept neighbours' distances
 * exactly in float64 as sum((q - r)^2) and orders them by those.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { checkDistanceName, type DistanceName } from '../distances/names.js';
import { readEmbeddings, type EmbeddingMatrix, type EmbeddingsInput } from './inputs.js';

/** Norms below this count as this (as the cosine distance of src/distances). */
const COSINE_EPS = 1e-8;
/** Bytes the distance block of one query block may take. */
const BLOCK_BYTES = 64 * 1024 * 1024;
/** Elements of one GEMM output tile (about 16 MB of float32: fast on XNNPACK). */
const TILE_ELEMENTS = 4 * 1024 * 1024;
/** Up to this k the top k is kept by insertion into a sorted buffer; above it by a radix sort of candidates. */
const SMALL_K = 64;

/** Options of {@link knn}. */
export interface KnnOptions {
  /**
   * Queries and references are the same set (row i of both is the same
   * example): each query's own row is never its neighbour.
   */
  excludeSelf?: boolean;
  /** Embedding size when queries/references are flat arrays. */
  dim?: number;
  /** Queries per block (default: as many as fit in 64 MB of distances, at most 1024). */
  blockRows?: number;
}

/** The k nearest references of each query, nearest first. */
export interface KnnResult {
  /** Row-major [queries, k]: reference index of the j-th neighbour of query q at q * k + j. */
  indices: Int32Array;
  /** Row-major [queries, k]: the exact distances, in the metric asked for. */
  distances: Float64Array;
  k: number;
  queries: number;
}

/**
 * Matrices prepared so that one GEMM gives the ranking score directly:
 * score(q, r) = qa . ra with qa = [q, 1] and ra = [-r, |r|^2 / 2] after
 * centring (= (|q - r|^2 - |q|^2) / 2, and |q|^2 is constant along a row), or
 * qa = q / |q|, ra = -r / |r| for cosine (= -cos).
 */
interface Prepared {
  /** Queries [nq, width], row-major. */
  q: Float32Array;
  /** References [nr, width], row-major. */
  r: Float32Array;
  width: number;
  nq: number;
  nr: number;
}

function prepare(queries: EmbeddingMatrix, refs: EmbeddingMatrix, distance: DistanceName): Prepared {
  const { dim } = refs;
  const nq = queries.rows;
  const nr = refs.rows;
  const cosine = distance === 'cosine';
  const width = cosine ? dim : dim + 1;
  const offset = cosine ? new Float64Array(dim) : centringOffset(refs);
  const build = (m: EmbeddingMatrix, isRef: boolean): Float32Array => {
    const out = new Float32Array(m.rows * width);
    for (let i = 0; i < m.rows; i++) {
      const o = i * width;
      let ss = 0;
      for (let c = 0; c < dim; c++) {
        const v = Math.fround(m.data[i * dim + c] - offset[c]);
        out[o + c] = v;
        ss += v * v;
      }
      if (cosine) {
        const scale = (isRef ? -1 : 1) / Math.max(Math.sqrt(ss), COSINE_EPS);
        for (let c = 0; c < dim; c++) out[o + c] *= scale;
      } else if (isRef) {
        for (let c = 0; c < dim; c++) out[o + c] = -out[o + c];
        out[o + dim] = ss / 2;
      } else {
        out[o + dim] = 1;
      }
    }
    return out;
  };
  return { q: build(queries, false), r: build(refs, true), width, nq, nr };
}

/**
 * The offset both sets are centred on: the reference mean, which keeps
 * |q|^2 + |r|^2 - 2 q.r from cancelling for clouds far from the origin, rounded
 * to a power-of-two grid no finer than the spread of the data (so the residual
 * offset is below the spread) and so that data on a coarse grid (integers)
 * stays exact after centring and exact ties stay ties.
 */
function centringOffset(refs: EmbeddingMatrix): Float64Array {
  const { dim, rows, data } = refs;
  const mean = new Float64Array(dim);
  for (let i = 0; i < rows; i++) for (let c = 0; c < dim; c++) mean[c] += data[i * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= rows;
  let ss = 0;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < dim; c++) {
      const v = data[i * dim + c] - mean[c];
      ss += v * v;
    }
  }
  const rms = Math.sqrt(ss / (rows * dim));
  const step = rms > 0 ? 2 ** Math.floor(Math.log2(rms)) : 1;
  for (let c = 0; c < dim; c++) mean[c] = Math.round(mean[c] / step) * step;
  return mean;
}

/**
 * Calls `visit(row, indices, k)` for every query with its k = min(kForRow(row), maxK) nearest
 * references by ranking score (nearest first, ties by smaller index). The
 * `indices` buffer is reused between calls. Used by {@link knn} and the
 * retrieval metrics.
 */
export function forEachNeighbourList(
  queries: EmbeddingMatrix,
  refs: EmbeddingMatrix,
  distance: DistanceName,
  excludeSelf: boolean,
  maxK: number,
  kForRow: (row: number) => number,
  visit: (row: number, indices: Int32Array, k: number) => void,
  blockRows?: number,
): void {
  const p = prepare(queries, refs, distance);
  const { width, nq, nr } = p;
  const bq = blockRows ?? Math.max(1, Math.min(1024, Math.floor(BLOCK_BYTES / 4 / nr)));
  const tileCols = Math.max(256, Math.min(nr, Math.floor(TILE_ELEMENTS / bq)));
  // references transposed once into column tiles [width, cols]
  const tiles: { start: number; cols: number; t: tf.Tensor2D }[] = [];
  const scores = new Float32Array(bq * nr);
  const scoreBits = new Uint32Array(scores.buffer);
  const cap = Math.max(1, Math.min(nr, maxK));
  const idx = new Int32Array(cap);
  const vals = new Float32Array(cap);
  let buffers: SortBuffers | undefined;
  try {
    for (let c0 = 0; c0 < nr; c0 += tileCols) {
      const cols = Math.min(tileCols, nr - c0);
      const buf = new Float32Array(width * cols);
      for (let j = 0; j < cols; j++) for (let c = 0; c < width; c++) buf[c * cols + j] = p.r[(c0 + j) * width + c];
      tiles.push({ start: c0, cols, t: tf.tensor2d(buf, [width, cols]) });
    }
    for (let q0 = 0; q0 < nq; q0 += bq) {
      const rows = Math.min(bq, nq - q0);
      const qt = tf.tensor2d(p.q.subarray(q0 * width, (q0 + rows) * width), [rows, width]);
      try {
        for (const tile of tiles) {
          const prod = tf.matMul(qt, tile.t);
          const dots = prod.dataSync() as Float32Array;
          prod.dispose();
          if (tiles.length === 1) scores.set(dots);
          else for (let i = 0; i < rows; i++) scores.set(dots.subarray(i * tile.cols, (i + 1) * tile.cols), i * nr + tile.start);
        }
      } finally {
        qt.dispose();
      }
      for (let i = 0; i < rows; i++) {
        const row = q0 + i;
        const skip = excludeSelf ? row : -1;
        const available = excludeSelf && row < nr ? nr - 1 : nr;
        const k = Math.min(kForRow(row), available, cap);
        if (k <= 0) {
          visit(row, idx, 0);
          continue;
        }
        if (k <= SMALL_K) {
          selectByInsertion(scores, i * nr, nr, k, skip, idx, vals);
        } else {
          buffers ??= sortBuffers(nr);
          selectBySort(scores, scoreBits, i * nr, nr, k, skip, idx, buffers);
        }
        visit(row, idx, k);
      }
    }
  } finally {
    for (const tile of tiles) tile.t.dispose();
  }
}

/** Top k of one row by insertion into a sorted buffer; equal scores keep index order. */
function selectByInsertion(s: Float32Array, off: number, n: number, k: number, skip: number, idx: Int32Array, vals: Float32Array): void {
  let count = 0;
  let worst = Infinity;
  for (let j = 0; j < n; j++) {
    const v = s[off + j];
    if (v < worst || count < k) {
      if (j === skip) continue;
      let pos = count < k ? count++ : k - 1;
      while (pos > 0 && vals[pos - 1] > v) {
        vals[pos] = vals[pos - 1];
        idx[pos] = idx[pos - 1];
        pos--;
      }
      vals[pos] = v;
      idx[pos] = j;
      if (count === k) worst = vals[k - 1];
    }
  }
}

/** Rows longer than this are pre-filtered by a sampled threshold before the sort. */
const SAMPLE = 1024;
/** Radix digit: 11 bits, three passes cover a 32-bit key. */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

/** Work buffers of {@link selectBySort}, sized for one row. */
interface SortBuffers {
  keys: Uint32Array;
  index: Int32Array;
  keys2: Uint32Array;
  index2: Int32Array;
  counts: Uint32Array;
  sample: Float32Array;
}

function sortBuffers(n: number): SortBuffers {
  return {
    keys: new Uint32Array(n),
    index: new Int32Array(n),
    keys2: new Uint32Array(n),
    index2: new Int32Array(n),
    counts: new Uint32Array(RADIX),
    sample: new Float32Array(SAMPLE),
  };
}

/**
 * Top k of one row for large k: candidates (every entry at or below a
 * threshold estimated from a strided sample, 3 standard deviations above the
 * k/n quantile; the whole row when that keeps fewer than k) are collected in
 * index order and sorted by a stable LSD radix sort on the order-preserving
 * bits of their float32 score, so equal scores stay in index order.
 */
function selectBySort(s: Float32Array, bits: Uint32Array, off: number, n: number, k: number, skip: number, idx: Int32Array, b: SortBuffers): void {
  let limit = Infinity;
  if (n > 4 * SAMPLE) {
    for (let t = 0; t < SAMPLE; t++) b.sample[t] = s[off + Math.floor((t * n) / SAMPLE)];
    b.sample.sort();
    const p = k / n;
    const pos = Math.ceil(p * SAMPLE + 3 * Math.sqrt(p * (1 - p) * SAMPLE) + 2);
    if (pos < SAMPLE) limit = b.sample[pos];
  }
  let m = 0;
  for (let pass = 0; pass < 2 && m < k; pass++) {
    m = 0;
    for (let j = 0; j < n; j++) {
      if (s[off + j] <= limit && j !== skip) {
        const u = bits[off + j];
        b.keys[m] = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
        b.index[m++] = j;
      }
    }
    limit = Infinity;
  }
  let keys = b.keys;
  let index = b.index;
  let keys2 = b.keys2;
  let index2 = b.index2;
  const counts = b.counts;
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i] >>> shift) & (RADIX - 1)]++;
    if (counts[(keys[0] >>> shift) & (RADIX - 1)] === m) continue; // one digit value: nothing to do
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const pos = counts[(keys[i] >>> shift) & (RADIX - 1)]++;
      keys2[pos] = keys[i];
      index2[pos] = index[i];
    }
    [keys, keys2] = [keys2, keys];
    [index, index2] = [index2, index];
  }
  for (let t = 0; t < k; t++) idx[t] = index[t];
}

/** Exact distance between row qi of `q` and row ri of `r` in float64. */
export function exactDistance(q: Float32Array, qi: number, r: Float32Array, ri: number, dim: number, distance: DistanceName): number {
  const a = qi * dim;
  const b = ri * dim;
  if (distance === 'cosine') {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < dim; c++) {
      dot += q[a + c] * r[b + c];
      na += q[a + c] * q[a + c];
      nb += r[b + c] * r[b + c];
    }
    return 1 - dot / (Math.max(Math.sqrt(na), COSINE_EPS) * Math.max(Math.sqrt(nb), COSINE_EPS));
  }
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const diff = q[a + c] - r[b + c];
    s += diff * diff;
  }
  return distance === 'euclidean' ? Math.sqrt(s) : s;
}

/**
 * Exact k nearest neighbours of each query among the references, nearest
 * first; equal distances are ordered by the smaller reference index. Runs the
 * distance GEMM on the active TensorFlow.js backend (initialise 'wasm' for
 * speed) in blocks of queries, so memory stays bounded.
 *
 * @param queries embeddings [nq, dim] (tensor, rows, or flat with `options.dim`).
 * @param references embeddings [nr, dim]; with `excludeSelf` the same set as `queries`.
 * @param k neighbours per query (1 <= k <= references, minus one with `excludeSelf`).
 * @param distance 'euclidean' (default), 'squaredEuclidean' or 'cosine'.
 * @throws ContrastiveError on shapes that do not match, non-finite values or a bad k.
 */
export function knn(queries: EmbeddingsInput, references: EmbeddingsInput, k: number, distance: DistanceName = 'euclidean', options: KnnOptions = {}): KnnResult {
  const fn = 'knn';
  checkDistanceName(distance, fn);
  const excludeSelf = options.excludeSelf ?? false;
  const refs = readEmbeddings(references, fn, 'references', options.dim);
  const qs = queries === references ? refs : readEmbeddings(queries, fn, 'queries', options.dim);
  check(qs.dim === refs.dim, fn, `queries have dim ${qs.dim} but references have dim ${refs.dim}`);
  if (excludeSelf) check(qs.rows === refs.rows, fn, `excludeSelf needs queries and references to be the same set, got ${qs.rows} and ${refs.rows} rows`);
  const available = excludeSelf ? refs.rows - 1 : refs.rows;
  check(Number.isInteger(k) && k >= 1, fn, `k must be a positive integer, got ${k}`);
  check(k <= available, fn, `k (${k}) exceeds the ${available} references available${excludeSelf ? ' (own row excluded)' : ''}`);
  if (options.blockRows !== undefined) check(Number.isInteger(options.blockRows) && options.blockRows >= 1, fn, `blockRows must be a positive integer, got ${options.blockRows}`);
  const indices = new Int32Array(qs.rows * k);
  const distances = new Float64Array(qs.rows * k);
  const order = new Int32Array(k);
  const exact = new Float64Array(k);
  forEachNeighbourList(
    qs,
    refs,
    distance,
    excludeSelf,
    k,
    () => k,
    (row, idx) => {
      for (let t = 0; t < k; t++) {
        order[t] = idx[t];
        exact[t] = exactDistance(qs.data, row, refs.data, idx[t], refs.dim, distance);
      }
      // re-sort the kept neighbours by exact distance, then index (insertion: nearly sorted already)
      for (let t = 1; t < k; t++) {
        const e = exact[t];
        const o = order[t];
        let u = t;
        while (u > 0 && (exact[u - 1] > e || (exact[u - 1] === e && order[u - 1] > o))) {
          exact[u] = exact[u - 1];
          order[u] = order[u - 1];
          u--;
        }
        exact[u] = e;
        order[u] = o;
      }
      indices.set(order, row * k);
      distances.set(exact, row * k);
    },
    options.blockRows,
  );
  return { indices, distances, k, queries: qs.rows };
}
