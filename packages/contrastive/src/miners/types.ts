/**
 * What in-batch miners take and return. A miner reads the batch's pairwise
 * distance matrix (computed once by the trainer) and the class label of each
 * batch row, and returns index tuples into the batch, as pytorch-metric-learning
 * does: pair miners `{ a1, p, a2, n }`, triplet miners `{ anchor, positive, negative }`.
 */
import type { IndexPairs } from '../samplers/index-pairs.js';

/**
 * Mined pairs: positive pairs `(a1[k], p[k])` (same class) and negative pairs
 * `(a2[k], n[k])` (different classes), as row indices into the batch.
 * @group Miners
 */
export interface PairIndices {
  a1: Int32Array;
  p: Int32Array;
  a2: Int32Array;
  n: Int32Array;
}

/** Mined triplets `(anchor[k], positive[k], negative[k])`, row indices into the batch. @group Miners */
export interface TripletIndices {
  anchor: Int32Array;
  positive: Int32Array;
  negative: Int32Array;
}

/**
 * A pair miner: `distances` is the batch's N x N distance matrix, row-major
 * (`distances[i * N + j]` = D(i, j)), `labels` the N class labels of the rows.
 * @group Miners
 */
export type PairMiner = (distances: Float32Array, labels: ArrayLike<number>) => PairIndices;

/** A triplet miner, same inputs as {@link PairMiner}. @group Miners */
export type TripletMiner = (distances: Float32Array, labels: ArrayLike<number>) => TripletIndices;

/**
 * Flattens mined pairs into {@link IndexPairs} for a pair loss: the positive pairs
 * first with label 0 (similar), then the negative pairs with label 1 (dissimilar).
 * @group Miners
 */
export function minedPairsToIndexPairs(pairs: PairIndices): IndexPairs {
  const np = pairs.a1.length;
  const nn = pairs.a2.length;
  const i = new Int32Array(np + nn);
  const j = new Int32Array(np + nn);
  const labels = new Uint8Array(np + nn);
  i.set(pairs.a1, 0);
  j.set(pairs.p, 0);
  i.set(pairs.a2, np);
  j.set(pairs.n, np);
  labels.fill(1, np);
  return { i, j, labels };
}
