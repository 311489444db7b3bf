/**
 * Retrieval metrics of labelled embeddings, with the definitions of
 * pytorch-metric-learning's AccuracyCalculator (Musgrave, Belongie, Lim 2020,
 * "A Metric Learning Reality Check"), in its self-retrieval setting: every
 * embedding is a query against all the others (its own row excluded).
 */
import { ContrastiveError, check } from '../errors.js';
import { checkDistance, type DistanceLike } from '../distances/distance.js';
import { readClassLabels, readEmbeddings, type EmbeddingsInput, type NumericInput } from './inputs.js';
import { checkKnnEngine, forEachNeighbourList, type KnnEngine } from './neighbour-lists.js';
import { progressReporter, type ProgressListener } from '../util/progress.js';

/** Options of {@link retrievalMetrics}. @group Evaluation */
export interface RetrievalOptions {
  /**
   * Neighbours retrieved per query for MAP@R and R-precision. Default: enough
   * for every query's R (no truncation). When k < R, R is replaced by k for
   * that query (as pytorch-metric-learning does).
   */
  k?: number;
  /** Distance that ranks the neighbours (default 'euclidean'). */
  distance?: DistanceLike;
  /** Embedding size when `embeddings` is a flat array. */
  dim?: number;
  /**
   * Engine of the distance GEMM (default 'auto': onnxruntime-node where it
   * loads, else TF.js on the active backend). Both give the same metrics.
   */
  engine?: KnnEngine;
  /**
   * Told how many queries have been ranked (task 'retrieval metrics'), about
   * every half percent: a large set takes tens of seconds.
   */
  onProgress?: ProgressListener;
}

/** What {@link retrievalMetrics} returns; every value is a mean over the evaluated queries. @group Evaluation */
export interface RetrievalMetrics {
  /** Fraction of queries whose nearest neighbour has their label. */
  precisionAt1: number;
  /** Mean over queries of (same-label items among the first R) / R. */
  rPrecision: number;
  /** Mean over queries of (1/R) * sum over i <= R of P@i * rel(i). */
  mapAtR: number;
  /**
   * Recall@K as in the deep metric learning literature (Song et al. 2016):
   * the fraction of queries with at least one same-label item among the K
   * nearest (a hit rate, not the fraction of relevant items found).
   */
  recallAtK: { 1: number; 5: number; 10: number };
  /** Queries evaluated: those whose label has at least one other member. */
  queries: number;
}

/**
 * Retrieval metrics of embeddings with class labels. Each row is a query
 * against all other rows; R = number of other rows with the query's label;
 * queries whose label has no other member are left out. Neighbours are exact
 * (blocked GEMM, ranked by float32 scores after centring; equal scores
 * ordered by the smaller index). Unlike pytorch-metric-learning (faiss caps k
 * at 1023), R is never truncated unless `options.k` asks for it. The GEMM runs
 * on onnxruntime-node where it loads, else on the active TensorFlow.js backend
 * (see {@link knn}); the ranking of each query's R nearest is shared with
 * worker threads, because with R in the thousands ranking costs as much as
 * the GEMM (`npm run bench:retrieval` times both engines).
 *
 * @param embeddings [count, dim] (tensor, rows, or flat with `options.dim`).
 * @param labels one integer class label per row.
 * @throws ContrastiveError on mismatched lengths, non-finite embeddings, a flat
 *   array not divisible by dim, or when no label has two members.
 * @example
 * ```ts
 * import { retrievalMetrics } from 'contrastive';
 *
 * // Four 2-d embeddings of two classes, as a flat array.
 * const embeddings = new Float32Array([0, 0, 0, 0.1, 1, 1, 1, 0.9]);
 * const r = retrievalMetrics(embeddings, [0, 0, 1, 1], { dim: 2 });
 * console.log(r.precisionAt1, r.mapAtR); // 1 1
 * ```
 * @group Evaluation
 */
export function retrievalMetrics(embeddings: EmbeddingsInput, labels: NumericInput, options: RetrievalOptions = {}): RetrievalMetrics {
  const fn = 'retrievalMetrics';
  const distance = options.distance ?? 'euclidean';
  checkDistance(distance, fn);
  const m = readEmbeddings(embeddings, fn, 'embeddings', options.dim);
  const y = readClassLabels(labels, fn, m.rows);
  const engine = options.engine ?? 'auto';
  checkKnnEngine(engine, fn);
  if (options.k !== undefined) check(Number.isInteger(options.k) && options.k >= 1, fn, `k must be a positive integer, got ${options.k}`);
  const counts = new Map<number, number>();
  for (let i = 0; i < y.length; i++) counts.set(y[i], (counts.get(y[i]) ?? 0) + 1);
  let maxR = 0;
  let evaluated = 0;
  for (const c of counts.values()) {
    maxR = Math.max(maxR, c - 1);
    if (c > 1) evaluated += c;
  }
  if (evaluated === 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: no label has two or more members among ${m.rows} embeddings, so no query has a relevant item`);
  }
  const kCap = options.k ?? maxR;
  const rOf = (row: number): number => Math.min((counts.get(y[row]) as number) - 1, kCap);
  // enough neighbours for R and for Recall@10
  const kForRow = (row: number): number => (rOf(row) > 0 ? Math.max(rOf(row), 10) : 0);
  let p1 = 0;
  let rp = 0;
  let map = 0;
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  const report = progressReporter(options.onProgress, 'retrieval metrics', m.rows);
  forEachNeighbourList(m, m, distance, true, Math.max(kCap, 10), kForRow, (row, idx, k) => {
    report(row + 1);
    const R = rOf(row);
    if (R <= 0) return;
    const label = y[row];
    let hits = 0;
    let ap = 0;
    let firstHit = -1;
    for (let t = 0; t < k; t++) {
      if (y[idx[t]] !== label) continue;
      if (firstHit < 0) firstHit = t;
      if (t < R) {
        hits++;
        ap += hits / (t + 1);
      } else break; // past R the first hit is already known
    }
    if (firstHit === 0) p1++;
    rp += hits / R;
    map += ap / R;
    if (firstHit >= 0 && firstHit < 1) r1++;
    if (firstHit >= 0 && firstHit < 5) r5++;
    if (firstHit >= 0 && firstHit < 10) r10++;
  }, { engine, fn });
  const n = evaluated;
  return {
    precisionAt1: p1 / n,
    rPrecision: rp / n,
    mapAtR: map / n,
    recallAtK: { 1: r1 / n, 5: r5 / n, 10: r10 / n },
    queries: n,
  };
}
