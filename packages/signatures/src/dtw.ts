/**
 * Dynamic time warping: the classical baseline of online-signature
 * verification (the standard of the SVC competitions), on the same
 * preprocessed features the network sees.
 */
import { check } from 'contrastive/internal/errors.js';

/** Options of {@link dtwDistance}. @group Distances */
export interface DtwOptions {
  /**
   * Sakoe-Chiba band: point i of `a` (n points) is matched with point j of `b` (m points)
   * only when |j - i (m-1)/(n-1)| <= max(window, |m - n| / 2 + 1). Default: no band (every alignment).
   */
  window?: number;
}

/**
 * The DTW distance of two sequences of `features` values per point
 * (row-major): the smallest sum of Euclidean point distances along a
 * monotone alignment from (0, 0) to (n-1, m-1) with steps (1,0), (0,1), (1,1),
 * divided by n + m so that sequences of different lengths compare.
 * O(n m) time, O(m) memory.
 *
 * @throws ContrastiveError when a sequence is empty or not a whole number of points.
 * @example
 * ```ts
 * import { dtwDistance } from '@contrastive/signatures';
 *
 * // Two 1-feature sequences, the second a slowed-down copy of the first: DTW aligns them.
 * console.log(dtwDistance([0, 1, 2, 3], [0, 0, 1, 1, 2, 2, 3, 3], 1)); // 0
 * ```
 * @group Distances
 */
export function dtwDistance(a: ArrayLike<number>, b: ArrayLike<number>, features: number, options: DtwOptions = {}): number {
  const fn = 'dtwDistance';
  check(Number.isInteger(features) && features >= 1, fn, `features must be a positive integer, got ${features}`);
  check(a.length > 0 && a.length % features === 0, fn, `a has ${a.length} values, not a positive multiple of ${features} features`);
  check(b.length > 0 && b.length % features === 0, fn, `b has ${b.length} values, not a positive multiple of ${features} features`);
  const window = options.window;
  check(window === undefined || (Number.isFinite(window) && window >= 0), fn, `window must be a non-negative number, got ${window}`);
  const n = a.length / features;
  const m = b.length / features;
  let prev = new Float64Array(m).fill(Infinity);
  let cur = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    cur.fill(Infinity);
    // The band around the diagonal of an n x m grid (always wide enough to reach the corner).
    let lo = 0;
    let hi = m - 1;
    if (window !== undefined) {
      const centre = n > 1 ? (i * (m - 1)) / (n - 1) : 0;
      const w = Math.max(window, Math.abs(m - n) / 2 + 1);
      lo = Math.max(0, Math.ceil(centre - w));
      hi = Math.min(m - 1, Math.floor(centre + w));
    }
    const ai = i * features;
    for (let j = lo; j <= hi; j++) {
      let ss = 0;
      const bj = j * features;
      for (let f = 0; f < features; f++) {
        const d = a[ai + f] - b[bj + f];
        ss += d * d;
      }
      const cost = Math.sqrt(ss);
      let best: number;
      if (i === 0 && j === 0) best = 0;
      else {
        best = Infinity;
        if (i > 0) best = Math.min(best, prev[j]);
        if (j > 0) best = Math.min(best, cur[j - 1]);
        if (i > 0 && j > 0) best = Math.min(best, prev[j - 1]);
      }
      cur[j] = cost + best;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m - 1] / (n + m);
}
