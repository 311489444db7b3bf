/**
 * Exact k nearest neighbours with a blocked distance kernel. The ranking
 * scores of a block of queries against all references come from one GEMM (the
 * norm trick: |q - r|^2 = |q|^2 + |r|^2 - 2 q.r, after centring both sets near
 * the reference mean so the trick does not cancel catastrophically), so memory
 * stays bounded by the block. The GEMM runs on onnxruntime-node's CPU provider
 * where it loads (onnx-scores.ts: all cores, AVX2/AVX-512; for small k the
 * graph also selects the top k), else on the active TensorFlow.js backend.
 * The top k of each row is kept by a partial selection (row-select.ts, never a
 * sort of the whole row; large searches share it with worker threads,
 * parallel-select.ts) and ties are broken by the smaller reference index.
 * `knn` then recomputes the kept neighbours' distances exactly in float64 as
 * sum((q - r)^2) and orders them by those.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';
import { checkDistanceName, type DistanceName } from '../distances/names.js';
import { readEmbeddings, type EmbeddingMatrix, type EmbeddingsInput } from './inputs.js';
import { nativeOrt, nativeOrtError, OnnxScorer } from './onnx-scores.js';
import { selectRow, sortBuffers, type SortBuffers } from './row-select.js';
import { availableHelpers, ParallelRowSelector } from './parallel-select.js';

/** Norms below this count as this (as the cosine distance of src/distances). */
const COSINE_EPS = 1e-8;
/** Bytes the distance block of one query block may take. */
const BLOCK_BYTES = 64 * 1024 * 1024;
/** Elements of one GEMM output tile (about 16 MB of float32: fast on XNNPACK). */
const TILE_ELEMENTS = 4 * 1024 * 1024;

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
  const offset = distance === 'cosine' ? new Float64Array(refs.dim) : centringOffset(refs);
  const r = prepareRows(refs, distance, offset, true);
  return { q: prepareRows(queries, distance, offset, false), r, width: widthOf(refs.dim, distance), nq: queries.rows, nr: refs.rows };
}

function widthOf(dim: number, distance: DistanceName): number {
  return distance === 'cosine' ? dim : dim + 1;
}

/** Rows of `m` as queries (isRef false) or references of the ranking GEMM, centred on `offset`. */
function prepareRows(m: EmbeddingMatrix, distance: DistanceName, offset: Float64Array, isRef: boolean): Float32Array {
  const { dim } = m;
  const cosine = distance === 'cosine';
  const width = widthOf(dim, distance);
  const build = (): Float32Array => {
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
  return build();
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
/** Searches with at least this many scores (queries x references) select on every core. */
const PARALLEL_MIN_SCORES = 2 ** 24;
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
  /** Worker threads that share the selection of large searches (default: one per further core from 2^24 scores up; 0: none). */
  selectHelpers?: number;
}

/** Receives one query's nearest references: the first `k` entries of `indices` (a reused buffer). */
export type NeighbourVisit = (row: number, indices: Int32Array, k: number) => void;

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
  visit: NeighbourVisit,
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
  try {
    const helpers = search.selectHelpers ?? (nq * nr >= PARALLEL_MIN_SCORES ? availableHelpers() : 0);
    const selection: Selection = { blocks, nq, nr, sb, cap, excludeSelf, kOf, visit };
    if (helpers > 0) selectInParallel(selection, helpers);
    else selectOnMainThread(selection);
  } finally {
    blocks.dispose();
  }
}

/** The selection stage's inputs: score blocks of `sb` queries, `cap` neighbours kept at most, k per row from `kOf`. */
interface Selection {
  blocks: ScoreBlocks;
  nq: number;
  nr: number;
  sb: number;
  cap: number;
  excludeSelf: boolean;
  kOf: (row: number) => number;
  visit: NeighbourVisit;
}

function selectOnMainThread({ blocks, nq, nr, sb, cap, excludeSelf, kOf, visit }: Selection): void {
  const idx = new Int32Array(cap);
  const vals = new Float32Array(cap);
  let buffers: SortBuffers | undefined;
  for (let q0 = 0; q0 < nq; q0 += sb) {
    const rows = Math.min(sb, nq - q0);
    const scores = blocks.scores(q0, rows);
    const scoreBits = new Uint32Array(scores.buffer, scores.byteOffset, scores.length);
    for (let i = 0; i < rows; i++) {
      const row = q0 + i;
      const k = kOf(row);
      if (k <= 0) {
        visit(row, idx, 0);
        continue;
      }
      buffers ??= sortBuffers(nr);
      selectRow(scores, scoreBits, i * nr, nr, k, excludeSelf ? row : -1, idx, vals, buffers);
      visit(row, idx, k);
    }
  }
}

/** As {@link selectOnMainThread}, with each block's rows shared between this thread and `helpers` worker threads. */
function selectInParallel({ blocks, nq, nr, sb, cap, excludeSelf, kOf, visit }: Selection, helpers: number): void {
  const sel = new ParallelRowSelector(Math.min(sb, nq), nr, cap, helpers);
  try {
    for (let q0 = 0; q0 < nq; q0 += sb) {
      const rows = Math.min(sb, nq - q0);
      sel.scores.set(blocks.scores(q0, rows).subarray(0, rows * nr));
      for (let i = 0; i < rows; i++) {
        sel.ks[i] = Math.max(0, kOf(q0 + i));
        sel.skips[i] = excludeSelf ? q0 + i : -1;
      }
      sel.select(rows);
      for (let i = 0; i < rows; i++) visit(q0 + i, sel.out.subarray(i * cap, (i + 1) * cap), sel.ks[i]);
    }
  } finally {
    sel.dispose();
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
 * distance GEMM in blocks of queries, so memory stays bounded, on
 * onnxruntime-node when it can be loaded (Node.js), else on the active
 * TensorFlow.js backend (initialise 'wasm' for speed); `options.engine`
 * forces either. 60,000 x 128 against itself with k = 10 took 6-9 s on a
 * shared 2-core machine with onnxruntime (41-99 s on TF.js wasm).
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
  const rerank = exactReranker(qs, refs, distance, k, indices, distances);
  forEachNeighbourList(qs, refs, distance, excludeSelf, k, () => k, rerank, { blockRows: options.blockRows, engine: options.engine ?? 'auto', fn });
  return { indices, distances, k, queries: qs.rows };
}

/**
 * A visitor that recomputes each query's kept neighbours' distances exactly
 * (float64) and writes them, ordered by distance then index, into row `row`
 * of `indices` / `distances` ([queries, k]).
 */
function exactReranker(qs: EmbeddingMatrix, refs: EmbeddingMatrix, distance: DistanceName, k: number, indices: Int32Array, distances: Float64Array): NeighbourVisit {
  const order = new Int32Array(k);
  const exact = new Float64Array(k);
  return (row, idx) => {
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
  };
}

/**
 * A fixed set of references prepared once for many {@link knn} searches (an
 * embedding index's gallery): the centring, the transposed GEMM operand and
 * the onnxruntime session are built on the first search and reused, so one
 * query costs one pass over the references instead of a copy of them. Gives
 * the same neighbours and distances as `knn(queries, references, k, distance)`.
 */
export class KnnGallery {
  /** Number of references. */
  readonly rows: number;
  /** Embedding size. */
  readonly dim: number;
  private readonly refs: EmbeddingMatrix;
  private offset: Float64Array | null = null;
  private rt: Float32Array | null = null;
  private scorer: { topK: number; scorer: OnnxScorer } | null = null;

  /**
   * @param references embeddings [nr, dim] (tensor, rows, or flat with `dim`); copied when not a Float32Array.
   * @param distance 'euclidean' (default), 'squaredEuclidean' or 'cosine'.
   * @param engine score engine (default 'auto').
   */
  constructor(
    references: EmbeddingsInput,
    readonly distance: DistanceName = 'euclidean',
    options: { dim?: number; engine?: KnnEngine } = {},
  ) {
    const fn = 'KnnGallery';
    checkDistanceName(distance, fn);
    this.engine = options.engine ?? 'auto';
    checkKnnEngine(this.engine, fn);
    this.refs = readEmbeddings(references, fn, 'references', options.dim);
    this.rows = this.refs.rows;
    this.dim = this.refs.dim;
  }

  private readonly engine: KnnEngine;

  /**
   * The k nearest references of each query, nearest first (ties by the smaller
   * reference index), with exact distances.
   *
   * @throws ContrastiveError for queries of another dim, non-finite values or a bad k.
   */
  search(queries: EmbeddingsInput, k: number, options: { dim?: number } = {}): KnnResult {
    const fn = 'KnnGallery.search';
    const qs = readEmbeddings(queries, fn, 'queries', options.dim ?? this.dim);
    check(qs.dim === this.dim, fn, `queries have dim ${qs.dim} but the references have dim ${this.dim}`);
    check(Number.isInteger(k) && k >= 1, fn, `k must be a positive integer, got ${k}`);
    check(k <= this.rows, fn, `k (${k}) exceeds the ${this.rows} references`);
    const ort = this.engine === 'tfjs' ? null : nativeOrt();
    if (!ort || k > ORT_TOPK_MAX || this.rows >= FLOAT_EXACT_INDEX) return knn(qs.data, this.refs.data, k, this.distance, { dim: this.dim, engine: this.engine });
    const width = widthOf(this.dim, this.distance);
    if (this.offset === null || this.rt === null) {
      this.offset = this.distance === 'cosine' ? new Float64Array(this.dim) : centringOffset(this.refs);
      const r = prepareRows(this.refs, this.distance, this.offset, true);
      this.rt = transposed({ q: new Float32Array(0), r, width, nq: 0, nr: this.rows });
    }
    if (this.scorer?.topK !== k) {
      this.scorer?.scorer.dispose();
      this.scorer = null;
      this.scorer = { topK: k, scorer: new OnnxScorer(ort, this.rt, width, this.rows, { kind: 'topK', k }) };
    }
    const q = prepareRows(qs, this.distance, this.offset, false);
    const indices = new Int32Array(qs.rows * k);
    const distances = new Float64Array(qs.rows * k);
    const rerank = exactReranker(qs, this.refs, this.distance, k, indices, distances);
    const bq = Math.max(1, Math.min(1024, Math.floor(BLOCK_BYTES / 4 / this.rows)));
    const idx = new Int32Array(k);
    for (let q0 = 0; q0 < qs.rows; q0 += bq) {
      const rows = Math.min(bq, qs.rows - q0);
      const nearest = this.scorer.scorer.run(q.subarray(q0 * width, (q0 + rows) * width), rows).index;
      for (let i = 0; i < rows; i++) {
        for (let t = 0; t < k; t++) idx[t] = nearest[i * k + t];
        rerank(q0 + i, idx, k);
      }
    }
    return { indices, distances, k, queries: qs.rows };
  }

  /** Frees the onnxruntime session (the gallery can still search: it rebuilds it). */
  dispose(): void {
    this.scorer?.scorer.dispose();
    this.scorer = null;
  }
}
