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
import { ContrastiveError, check } from '../errors.js';
import { checkDistanceName, type DistanceName } from '../distances/names.js';
import { readEmbeddings, type EmbeddingMatrix, type EmbeddingsInput } from './inputs.js';
import { nativeOrt, nativeOrtError, OnnxScorer } from './onnx-scores.js';

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
  /**
   * Engine of the distance GEMM (default 'auto': onnxruntime-node where it
   * loads, else TF.js). Both give the same neighbours.
   */
  engine?: KnnEngine;
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
 * Which engine computes the ranking scores: 'onnxruntime' (onnxruntime-node's
 * CPU provider, all cores, AVX2/AVX-512), 'tfjs' (matMul on the active
 * TensorFlow.js backend), or 'auto': onnxruntime where it loads (Node.js with
 * onnxruntime-node installed), TF.js elsewhere (browsers).
 */
export type KnnEngine = 'auto' | 'onnxruntime' | 'tfjs';

const ENGINES: readonly KnnEngine[] = ['auto', 'onnxruntime', 'tfjs'];

/** Throws a ContrastiveError naming `fn` when `engine` is not a {@link KnnEngine}. */
export function checkKnnEngine(engine: unknown, fn: string): asserts engine is KnnEngine {
  check(typeof engine === 'string' && (ENGINES as readonly string[]).includes(engine), fn, `unknown engine '${String(engine)}' (expected one of ${ENGINES.join(', ')})`);
}

/** Up to this many neighbours per row (self included) onnxruntime's TopK selects them; above it JS does. */
const ORT_TOPK_MAX = 256;
/** Bytes of one score block returned by onnxruntime (about 128 rows of 60,000). */
const ORT_SCORES_BYTES = 30 * 1024 * 1024;
/** Column indices come back from the TopK graph as float32: exact below this. */
const FLOAT_EXACT_INDEX = 2 ** 24;

/** How {@link forEachNeighbourList} searches (all optional). */
export interface NeighbourSearch {
  /** Queries per block (default: as many as fit in 64 MB of scores, at most 1024). */
  blockRows?: number;
  /** Score engine (default 'auto'). */
  engine?: KnnEngine;
  /** Function named in errors (default 'knn'). */
  fn?: string;
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
  search: NeighbourSearch = {},
): void {
  const fn = search.fn ?? 'knn';
  const engine = search.engine ?? 'auto';
  checkKnnEngine(engine, fn);
  const ort = engine === 'tfjs' ? null : nativeOrt();
  if (engine === 'onnxruntime' && !ort) throw new ContrastiveError('UNSUPPORTED', `${fn}: engine 'onnxruntime' is not available here: ${nativeOrtError()}; use engine 'tfjs'`);
  const p = prepare(queries, refs, distance);
  const { width, nq, nr } = p;
  const bq = search.blockRows ?? Math.max(1, Math.min(1024, Math.floor(BLOCK_BYTES / 4 / nr)));
  const cap = Math.max(1, Math.min(nr, maxK));
  const idx = new Int32Array(cap);
  const kOf = (row: number): number => Math.min(kForRow(row), excludeSelf && row < nr ? nr - 1 : nr, cap);
  // one more than needed when the own row may be among the nearest
  const topK = Math.min(nr, cap + (excludeSelf ? 1 : 0));
  if (ort && topK <= ORT_TOPK_MAX && nr < FLOAT_EXACT_INDEX) {
    const scorer = new OnnxScorer(ort, transposed(p), width, nr, { kind: 'topK', k: topK });
    try {
      for (let q0 = 0; q0 < nq; q0 += bq) {
        const rows = Math.min(bq, nq - q0);
        const nearest = scorer.run(p.q.subarray(q0 * width, (q0 + rows) * width), rows).index;
        for (let i = 0; i < rows; i++) {
          const row = q0 + i;
          const k = kOf(row);
          let m = 0;
          for (let t = i * topK; m < k; t++) {
            const j = nearest[t];
            if (!(excludeSelf && j === row)) idx[m++] = j;
          }
          visit(row, idx, Math.max(k, 0));
        }
      }
    } finally {
      scorer.dispose();
    }
    return;
  }
  // onnxruntime returns each block in a fresh buffer: below glibc's mmap threshold it reuses freed memory instead of faulting in new pages
  const sb = ort ? (search.blockRows ?? Math.max(1, Math.min(1024, Math.floor(ORT_SCORES_BYTES / 4 / nr)))) : bq;
  const blocks = ort ? onnxScoreBlocks(ort, p) : tfjsScoreBlocks(p, bq);
  const vals = new Float32Array(cap);
  let buffers: SortBuffers | undefined;
  try {
    for (let q0 = 0; q0 < nq; q0 += sb) {
      const rows = Math.min(sb, nq - q0);
      const scores = blocks.scores(q0, rows);
      const scoreBits = new Uint32Array(scores.buffer, scores.byteOffset, scores.length);
      for (let i = 0; i < rows; i++) {
        const row = q0 + i;
        const skip = excludeSelf ? row : -1;
        const k = kOf(row);
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
    blocks.dispose();
  }
}

/** References as a row-major [width, nr] matrix (the GEMM's right operand). */
function transposed(p: Prepared): Float32Array {
  const { width, nr } = p;
  const rt = new Float32Array(width * nr);
  for (let j = 0; j < nr; j++) for (let c = 0; c < width; c++) rt[c * nr + j] = p.r[j * width + c];
  return rt;
}

/** A source of score blocks: row-major [rows, nr] scores of queries q0 .. q0 + rows - 1. */
interface ScoreBlocks {
  scores(q0: number, rows: number): Float32Array;
  dispose(): void;
}

function onnxScoreBlocks(ort: NonNullable<ReturnType<typeof nativeOrt>>, p: Prepared): ScoreBlocks {
  const scorer = new OnnxScorer(ort, transposed(p), p.width, p.nr, { kind: 'scores' });
  return {
    scores: (q0, rows) => scorer.run(p.q.subarray(q0 * p.width, (q0 + rows) * p.width), rows).scores,
    dispose: () => scorer.dispose(),
  };
}

/** Scores by tf.matMul on the active backend, references in column tiles of about 16 MB. */
function tfjsScoreBlocks(p: Prepared, bq: number): ScoreBlocks {
  const { width, nr } = p;
  const tileCols = Math.max(256, Math.min(nr, Math.floor(TILE_ELEMENTS / bq)));
  // references transposed once into column tiles [width, cols]
  const tiles: { start: number; cols: number; t: tf.Tensor2D }[] = [];
  const dispose = (): void => {
    for (const tile of tiles) tile.t.dispose();
  };
  try {
    for (let c0 = 0; c0 < nr; c0 += tileCols) {
      const cols = Math.min(tileCols, nr - c0);
      const buf = new Float32Array(width * cols);
      for (let j = 0; j < cols; j++) for (let c = 0; c < width; c++) buf[c * cols + j] = p.r[(c0 + j) * width + c];
      tiles.push({ start: c0, cols, t: tf.tensor2d(buf, [width, cols]) });
    }
  } catch (err) {
    dispose();
    throw err;
  }
  const scores = new Float32Array(bq * nr);
  return {
    scores: (q0, rows) => {
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
      return scores;
    },
    dispose,
  };
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
    const pos = sampleRank(k, n, SAMPLE);
    if (pos < SAMPLE) limit = nthSmallest(b.sample, pos);
  }
  const { keys, index } = b;
  let m = 0;
  for (let pass = 0; pass < 2 && m < k; pass++) {
    m = 0;
    // branch-free compaction: always write, advance only for a kept entry (the comparison is unpredictable)
    for (let j = 0; j < n; j++) {
      keys[m] = bits[off + j];
      index[m] = j;
      m += s[off + j] <= limit ? 1 : 0;
    }
    if (skip >= 0 && skip < n && s[off + skip] <= limit) {
      // drop the own row, keeping index order (ties are broken by it)
      let t = 0;
      while (index[t] !== skip) t++;
      keys.copyWithin(t, t + 1, m);
      index.copyWithin(t, t + 1, m);
      m--;
    }
    limit = Infinity;
  }
  for (let i = 0; i < m; i++) keys[i] = orderedKey(keys[i]);
  radixSelect(m, k, idx, b);
}

/** The value of rank `pos` (0-based) of `a`, by quickselect; reorders `a`. */
function nthSmallest(a: Float32Array, pos: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (pos <= j) hi = j;
    else if (pos >= i) lo = i;
    else break;
  }
  return a[pos];
}

/**
 * Position in a sorted sample of `samples` of a row of n scores at which the
 * k-th smallest of the row lies with near certainty: 3 standard deviations
 * above the k/n quantile, plus 2.
 */
function sampleRank(k: number, n: number, samples: number): number {
  const p = k / n;
  return Math.ceil(p * samples + 3 * Math.sqrt(p * (1 - p) * samples) + 2);
}

/** Unsigned key with the order of the float32 whose bits are `u` (negatives flipped, positives above them). */
function orderedKey(u: number): number {
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

/**
 * Puts the first k of the m candidates in `b.keys` / `b.index` (index order)
 * into `idx`, by key, by a stable LSD radix sort (equal keys stay in index
 * order). Keys are taken relative to the smallest, so candidates spanning a
 * narrow range of scores need two passes instead of three.
 */
function radixSelect(m: number, k: number, idx: Int32Array, b: SortBuffers): void {
  let keys = b.keys;
  let index = b.index;
  let keys2 = b.keys2;
  let index2 = b.index2;
  const counts = b.counts;
  let lo = 0xffffffff;
  let hi = 0;
  for (let i = 0; i < m; i++) {
    const u = keys[i];
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  for (let i = 0; i < m; i++) keys[i] = (keys[i] - lo) >>> 0;
  const range = (hi - lo) >>> 0;
  for (let shift = 0; shift < 32 && range >>> shift !== 0; shift += RADIX_BITS) {
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
    { blockRows: options.blockRows, engine: options.engine ?? 'auto', fn },
  );
  return { indices, distances, k, queries: qs.rows };
}
