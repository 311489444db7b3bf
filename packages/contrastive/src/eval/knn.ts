/**
 * Exact k nearest neighbours (the search itself is neighbour-lists.ts, its
 * scores knn-scores.ts, the exact distances exact-distance.ts). The ranking
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
import { check } from '../errors.js';
import { checkDistance, isDistanceObject, type DistanceLike } from '../distances/distance.js';
import type { DistanceName } from '../distances/names.js';
import { readEmbeddings, type EmbeddingMatrix, type EmbeddingsInput } from './inputs.js';
import { exactDistance, objectDistances } from './exact-distance.js';
import { forEachNeighbourList, type KnnEngine, type NeighbourVisit } from './neighbour-lists.js';


/** Options of {@link knn}. @group Evaluation */
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

/** The k nearest references of each query, nearest first. @group Evaluation */
export interface KnnResult {
  /** Row-major [queries, k]: reference index of the j-th neighbour of query q at q * k + j. */
  indices: Int32Array;
  /** Row-major [queries, k]: the exact distances, in the metric asked for. */
  distances: Float64Array;
  k: number;
  queries: number;
}

/**
 * Exact k nearest neighbours of each query among the references, nearest
 * first; equal distances are ordered by the smaller reference index. Runs the
 * distance GEMM in blocks of queries, so memory stays bounded, on
 * onnxruntime-node when it can be loaded (Node.js), else on the active
 * TensorFlow.js backend (initialise 'wasm' for speed); `options.engine`
 * forces either: onnxruntime's native GEMM is the faster engine, TF.js the one
 * that runs everywhere (`npm run bench:retrieval` times both).
 *
 * @param queries embeddings [nq, dim] (tensor, rows, or flat with `options.dim`).
 * @param references embeddings [nr, dim]; with `excludeSelf` the same set as `queries`.
 * @param k neighbours per query (1 <= k <= references, minus one with `excludeSelf`).
 * @param distance 'euclidean' (default), 'squaredEuclidean' or 'cosine'; or a {@link Distance}
 *   object, whose `matrix` ranks the references (on TF.js) and whose `pairs` gives the reported distances.
 * @throws ContrastiveError on shapes that do not match, non-finite values or a bad k.
 * @example
 * ```ts
 * import { knn } from 'contrastive';
 *
 * const references = new Float32Array([0, 0, 1, 0, 0, 1]); // three 2-d rows
 * const r = knn(new Float32Array([0.9, 0.1]), references, 2, 'euclidean', { dim: 2 });
 * console.log(Array.from(r.indices), Array.from(r.distances)); // [1, 0] [0.141..., 0.905...]
 * ```
 * @group Evaluation
 */
export function knn(queries: EmbeddingsInput, references: EmbeddingsInput, k: number, distance: DistanceLike = 'euclidean', options: KnnOptions = {}): KnnResult {
  const fn = 'knn';
  checkDistance(distance, fn);
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
  const rerank = exactReranker(qs, refs, distance, k, indices, distances, fn);
  forEachNeighbourList(qs, refs, distance, excludeSelf, k, () => k, rerank, { blockRows: options.blockRows, engine: options.engine ?? 'auto', fn });
  return { indices, distances, k, queries: qs.rows };
}

/**
 * A visitor that recomputes each query's kept neighbours' distances exactly
 * (float64; a distance object's own `pairs`) and writes them, ordered by
 * distance then index, into row `row` of `indices` / `distances` ([queries, k]).
 */
export function exactReranker(
  qs: EmbeddingMatrix,
  refs: EmbeddingMatrix,
  distance: DistanceLike,
  k: number,
  indices: Int32Array,
  distances: Float64Array,
  fn = 'knn',
): NeighbourVisit {
  const order = new Int32Array(k);
  const exact = new Float64Array(k);
  return (row, idx) => {
    const own = isDistanceObject(distance) ? objectDistances(qs.data, row, refs.data, idx.subarray(0, k), refs.dim, distance, fn) : null;
    for (let t = 0; t < k; t++) {
      order[t] = idx[t];
      exact[t] = own ? own[t] : exactDistance(qs.data, row, refs.data, idx[t], refs.dim, distance as DistanceName);
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
