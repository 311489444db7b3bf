/**
 * The squared Euclidean distance between two rows, shared by the all-pairs matrix and
 * the index-pair distances so both give the same bits for the same pair.
 */

/**
 * sum_k (a[ia + k] - b[ib + k])^2 over k < d, in float64 from the differences (never
 * |a|^2 + |b|^2 - 2ab). Two accumulators (even and odd k) let the adds overlap.
 */
export function squaredDifference(a: Float32Array, ia: number, b: Float32Array, ib: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 1 < d; k += 2) {
    const t0 = a[ia + k] - b[ib + k];
    const t1 = a[ia + k + 1] - b[ib + k + 1];
    s0 += t0 * t0;
    s1 += t1 * t1;
  }
  if (k < d) {
    const t = a[ia + k] - b[ib + k];
    s0 += t * t;
  }
  return s0 + s1;
}
