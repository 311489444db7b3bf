/**
 * In-batch triplet miners for the triplet loss. Each takes the batch's N x N
 * distance matrix and the rows' class labels and returns
 * `{ anchor, positive, negative }`: anchor and positive share a class (and are
 * different rows), the negative has another class.
 */
import type { TripletIndices } from './types.js';
import { checkMinerInputs } from './batch-check.js';
import { checkMargin } from '../losses/margin.js';

/** Options of the triplet miners that use a margin. @group Miners */
export interface TripletMinerOptions {
  /** Triplet margin (distance units), used by `semi-hard`. Default 1. */
  margin?: number;
}

function toTriplets(a: number[], p: number[], x: number[]): TripletIndices {
  return { anchor: Int32Array.from(a), positive: Int32Array.from(p), negative: Int32Array.from(x) };
}

/** Calls `visit(a, p, x)` for every valid triplet in lexicographic (anchor, positive, negative) order. */
function forEachTriplet(n: number, labels: ArrayLike<number>, visit: (a: number, p: number, x: number) => void): void {
  for (let a = 0; a < n; a++) {
    for (let p = 0; p < n; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      for (let x = 0; x < n; x++) if (labels[x] !== labels[a]) visit(a, p, x);
    }
  }
}

/**
 * Every valid triplet of the batch, in lexicographic (anchor, positive, negative)
 * order, as pytorch-metric-learning's `get_all_triplets_indices`. Their number
 * grows as N^3: with m examples per class it is N (m - 1) (N - m).
 * @group Miners
 */
export function allTripletsMiner(distances: Float32Array, labels: ArrayLike<number>): TripletIndices {
  const n = checkMinerInputs('allTripletsMiner', distances, labels);
  const a: number[] = [];
  const p: number[] = [];
  const x: number[] = [];
  forEachTriplet(n, labels, (ai, pi, xi) => {
    a.push(ai);
    p.push(pi);
    x.push(xi);
  });
  return toTriplets(a, p, x);
}

/**
 * Batch-hard mining (Hermans et al. 2017): for each anchor, in row order, its
 * farthest positive and its closest negative. Ties go to the smaller row index.
 * Anchors without a positive or without a negative in the batch are skipped.
 * @group Miners
 */
export function batchHardTripletMiner(distances: Float32Array, labels: ArrayLike<number>): TripletIndices {
  const n = checkMinerInputs('batchHardTripletMiner', distances, labels);
  const a: number[] = [];
  const p: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < n; i++) {
    let hardP = -1;
    let hardX = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = distances[i * n + j];
      if (labels[j] === labels[i]) {
        if (hardP < 0 || d > distances[i * n + hardP]) hardP = j;
      } else if (hardX < 0 || d < distances[i * n + hardX]) {
        hardX = j;
      }
    }
    if (hardP >= 0 && hardX >= 0) {
      a.push(i);
      p.push(hardP);
      x.push(hardX);
    }
  }
  return toTriplets(a, p, x);
}

/**
 * Semi-hard triplets (FaceNet, Schroff et al. 2015): the negative is farther than
 * the positive but still inside the margin, D(a, p) < D(a, x) < D(a, p) + margin
 * - the same rule as pytorch-metric-learning's TripletMarginMiner("semihard").
 * Lexicographic (anchor, positive, negative) order.
 * @group Miners
 */
export function semiHardTripletMiner(
  distances: Float32Array,
  labels: ArrayLike<number>,
  options: TripletMinerOptions = {},
): TripletIndices {
  const fn = 'semiHardTripletMiner';
  const margin = options.margin ?? 1;
  checkMargin(margin, fn);
  const n = checkMinerInputs(fn, distances, labels);
  const a: number[] = [];
  const p: number[] = [];
  const x: number[] = [];
  forEachTriplet(n, labels, (ai, pi, xi) => {
    const dp = distances[ai * n + pi];
    const dx = distances[ai * n + xi];
    if (dp < dx && dx < dp + margin) {
      a.push(ai);
      p.push(pi);
      x.push(xi);
    }
  });
  return toTriplets(a, p, x);
}
