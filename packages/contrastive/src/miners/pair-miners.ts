/**
 * In-batch pair miners for pair losses (contrastive). Each takes the batch's
 * N x N distance matrix and the rows' class labels and returns `{ a1, p, a2, n }`.
 *
 * Pair convention (as pytorch-metric-learning's `get_all_pairs_indices`): pairs are
 * ORDERED - both (i, j) and (j, i) appear, never (i, i) - and are listed in
 * row-major order of the matrix unless a miner says otherwise. With a symmetric
 * distance both orientations carry the same loss, so every unordered pair is
 * simply counted twice, positives and negatives alike.
 */
import type { PairIndices } from './types.js';
import { checkFinite, checkMinerInputs } from './batch-check.js';
import { checkMargin } from '../losses/margin.js';

/** Options of the pair miners that use a margin. @group Miners */
export interface PairMinerOptions {
  /** Contrastive margin m (distance units), used by `semi-hard` and as `pair-margin`'s default negMargin. Default 1. */
  margin?: number;
  /** `pair-margin`: keep positive pairs with D > posMargin. Default 0. */
  posMargin?: number;
  /** `pair-margin`: keep negative pairs with D < negMargin. Default `margin`. */
  negMargin?: number;
}

/** Every ordered (row, column) pair of the batch split by label: flat indices i * N + j. */
function splitPairs(n: number, labels: ArrayLike<number>): { pos: Int32Array; neg: Int32Array } {
  let np = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && labels[i] === labels[j]) np++;
  const pos = new Int32Array(np);
  const neg = new Int32Array(n * n - n - np);
  let kp = 0;
  let kn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (labels[i] === labels[j]) pos[kp++] = i * n + j;
      else neg[kn++] = i * n + j;
    }
  }
  return { pos, neg };
}

/** Turns flat indices i * N + j into row and column arrays. */
function unflatten(flat: ArrayLike<number>, n: number): [Int32Array, Int32Array] {
  const rows = new Int32Array(flat.length);
  const cols = new Int32Array(flat.length);
  for (let k = 0; k < flat.length; k++) {
    rows[k] = Math.floor(flat[k] / n);
    cols[k] = flat[k] % n;
  }
  return [rows, cols];
}

function result(pos: ArrayLike<number>, neg: ArrayLike<number>, n: number): PairIndices {
  const [a1, p] = unflatten(pos, n);
  const [a2, nn] = unflatten(neg, n);
  return { a1, p, a2, n: nn };
}

/**
 * Every positive and every negative pair of the batch (ordered pairs, row-major;
 * see the module comment).
 * @group Miners
 */
export function allPairsMiner(distances: Float32Array, labels: ArrayLike<number>): PairIndices {
  const n = checkMinerInputs('allPairsMiner', distances, labels);
  const { pos, neg } = splitPairs(n, labels);
  return result(pos, neg, n);
}

/**
 * All positive pairs, and the hardest negative pairs - the smallest distances -
 * as many as there are positive pairs (all negatives when there are fewer).
 * Negatives come hardest first; ties are broken by row, then column index.
 * A batch with no positive pair yields no negatives either.
 * @group Miners
 */
export function hardNegativePairMiner(distances: Float32Array, labels: ArrayLike<number>): PairIndices {
  const n = checkMinerInputs('hardNegativePairMiner', distances, labels);
  const { pos, neg } = splitPairs(n, labels);
  const keep = Math.min(pos.length, neg.length);
  // neg is already in flat-index order, so a stable sort on distance breaks ties by (row, column).
  const order = Array.from(neg).sort((x, y) => distances[x] - distances[y] || x - y);
  return result(pos, order.slice(0, keep), n);
}

/**
 * All positive pairs, and the semi-hard negative pairs: a negative pair (a, x) is
 * kept when it is semi-hard for at least one positive (a, p) of the same anchor a,
 * in FaceNet's sense: D(a, p) < D(a, x) < D(a, p) + margin. That is exactly the set
 * of negatives that occur in some semi-hard triplet (see {@link semiHardTripletMiner});
 * anchors without a positive contribute no negatives. Row-major order.
 * @group Miners
 */
export function semiHardPairMiner(
  distances: Float32Array,
  labels: ArrayLike<number>,
  options: PairMinerOptions = {},
): PairIndices {
  const fn = 'semiHardPairMiner';
  const margin = options.margin ?? 1;
  checkMargin(margin, fn);
  const n = checkMinerInputs(fn, distances, labels);
  const { pos, neg } = splitPairs(n, labels);
  // Sorted positive distances per anchor: the largest D(a, p) below D(a, x) decides.
  const posDist: number[][] = Array.from({ length: n }, () => []);
  for (const f of pos) posDist[Math.floor(f / n)].push(distances[f]);
  for (const list of posDist) list.sort((x, y) => x - y);
  const kept: number[] = [];
  for (const f of neg) {
    const list = posDist[Math.floor(f / n)];
    const d = distances[f];
    // binary search: count of positive distances strictly below d
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < d) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && d < list[lo - 1] + margin) kept.push(f);
  }
  return result(pos, kept, n);
}

/**
 * pytorch-metric-learning's PairMarginMiner for distances: positive pairs farther
 * than `posMargin` (D > posMargin) and negative pairs closer than `negMargin`
 * (D < negMargin) - the pairs that violate the margins. Row-major order.
 * Defaults: posMargin 0, negMargin = margin (default 1).
 * @group Miners
 */
export function pairMarginMiner(
  distances: Float32Array,
  labels: ArrayLike<number>,
  options: PairMinerOptions = {},
): PairIndices {
  const fn = 'pairMarginMiner';
  const margin = options.margin ?? 1;
  const posMargin = options.posMargin ?? 0;
  const negMargin = options.negMargin ?? margin;
  checkMargin(margin, fn);
  checkFinite(fn, 'posMargin', posMargin);
  checkFinite(fn, 'negMargin', negMargin);
  const n = checkMinerInputs(fn, distances, labels);
  const { pos, neg } = splitPairs(n, labels);
  return result(
    pos.filter((f) => distances[f] > posMargin),
    neg.filter((f) => distances[f] < negMargin),
    n,
  );
}
