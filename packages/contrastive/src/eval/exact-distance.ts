/** The exact distance of two embedding rows in float64: what `knn` reports for the neighbours it keeps. */
import * as tf from '@tensorflow/tfjs';
import type { DistanceName } from '../distances/names.js';
import { callDistance, type Distance } from '../distances/distance.js';
import { COSINE_EPS } from '../distances/pair-distances.js';
import { squaredDifference } from '../distances/squared-difference.js';

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
  const s = squaredDifference(q, a, r, b, dim);
  return distance === 'euclidean' ? Math.sqrt(s) : s;
}


/** A user's {@link Distance} between row qi of `q` and rows `ri` of `r` (float32, by its own `pairs`). */
export function objectDistances(q: Float32Array, qi: number, r: Float32Array, ri: ArrayLike<number>, dim: number, distance: Distance, fn: string): Float32Array {
  return tf.tidy(() => {
    const k = ri.length;
    const a = tf.tile(tf.tensor2d(q.subarray(qi * dim, (qi + 1) * dim), [1, dim]), [k, 1]) as tf.Tensor2D;
    const rows = new Float32Array(k * dim);
    for (let t = 0; t < k; t++) rows.set(r.subarray(ri[t] * dim, (ri[t] + 1) * dim), t * dim);
    return callDistance(distance, 'pairs', a, tf.tensor2d(rows, [k, dim]), fn).dataSync() as Float32Array;
  });
}
