/** Many searches against one fixed set of references (an embedding index's gallery). */
import { check } from '../errors.js';
import { checkDistanceName, type DistanceName } from '../distances/names.js';
import { nativeOrt } from '@contrastive/kernels/internal/onnx/runtime.js';
import { readEmbeddings, type EmbeddingMatrix, type EmbeddingsInput } from './inputs.js';
import { knn, exactReranker, type KnnResult } from './knn.js';
import { centringOffset, prepareRows, transposed, widthOf } from './knn-scores.js';
import { BLOCK_BYTES, FLOAT_EXACT_INDEX, ORT_TOPK_MAX, checkKnnEngine, type KnnEngine } from './neighbour-lists.js';
import { OnnxScorer } from './onnx-scores.js';

/**
 * A fixed set of references prepared once for many {@link knn} searches (an
 * embedding index's gallery): the centring, the transposed GEMM operand and
 * the onnxruntime session are built on the first search and reused, so one
 * query costs one pass over the references instead of a copy of them. Gives
 * the same neighbours and distances as `knn(queries, references, k, distance)`.
 * @group Evaluation
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
   * @param options `dim` when `references` is flat; `engine`, the score engine (default 'auto').
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
