/**
 * All-pairs distance matrices for in-batch mining and retrieval. Not
 * differentiable: the trainer computes one on a batch's embeddings and hands
 * it to the miners as a row-major Float32Array.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import type { DistanceName } from './names.js';
import { callDistance, checkDistance, isDistanceObject, type DistanceLike } from './distance.js';
import { COSINE_EPS } from './pair-distances.js';
import { squaredDifference } from './squared-difference.js';

/** Embedding rows: an [N, d] tensor, or a row-major Float32Array (with its row length given apart). @group Distances */
export type Rows = tf.Tensor2D | Float32Array;

function readRows(x: Rows, dim: number | undefined, fn: string, name: string): { data: Float32Array; n: number; d: number } {
  if (x instanceof tf.Tensor) {
    check(x.rank === 2, fn, `${name} must be a 2-D [N, d] tensor, got shape [${x.shape.join(', ')}]`);
    return { data: x.dataSync() as Float32Array, n: x.shape[0], d: x.shape[1] };
  }
  check(x instanceof Float32Array, fn, `${name} must be a tf.Tensor2D or a Float32Array`);
  check(dim !== undefined && Number.isInteger(dim) && dim > 0, fn, `dim (a positive integer) is required when ${name} is a Float32Array`);
  check(x.length % dim === 0, fn, `${name} has ${x.length} values, not a multiple of dim ${dim}`);
  return { data: x, n: x.length / dim, d: dim };
}

function rowNorms(data: Float32Array, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * d, end = k + d; k < end; k++) s += data[k] * data[k];
    norms[i] = Math.max(Math.sqrt(s), COSINE_EPS);
  }
  return norms;
}

/**
 * The matrix of distances between every row of `x` and every row of `y`
 * (or of `x` itself when `y` is omitted): an [N, M] matrix as a row-major
 * Float32Array, `out[i * M + j] = distance(x[i], y[j])`.
 *
 * Euclidean distances are accumulated in float64 from the differences
 * (x_i - y_j), never from |x|^2 + |y|^2 - 2xy, so they stay accurate for
 * large-norm embeddings; the self-matrix has an exact zero diagonal.
 *
 * @param x - [N, d] rows, a tensor or a row-major Float32Array (then give `dim`).
 * @param y - optional [M, d] rows; omitted or null means `x` against itself.
 * @param distance - default `'euclidean'` (see {@link DistanceName}); or a {@link Distance}
 *   object, whose `matrix` then computes the values (in float32).
 * @param dim - the row length d, required when `x` or `y` is a Float32Array.
 * @example
 * ```ts
 * import { pairwiseDistanceMatrix } from 'contrastive';
 *
 * // Three 2-d rows as a flat array: the 3 x 3 matrix, row-major, exact zeros on the diagonal.
 * const m = pairwiseDistanceMatrix(new Float32Array([0, 0, 3, 4, 6, 8]), null, 'euclidean', 2);
 * console.log(Array.from(m)); // [0, 5, 10, 5, 0, 5, 10, 5, 0]
 * ```
 * @group Distances
 */
export function pairwiseDistanceMatrix(x: Rows, y?: Rows | null, distance: DistanceLike = 'euclidean', dim?: number): Float32Array {
  const fn = 'pairwiseDistanceMatrix';
  checkDistance(distance, fn);
  const X = readRows(x, dim, fn, 'x');
  const self = y === undefined || y === null;
  const Y = self ? X : readRows(y, dim ?? X.d, fn, 'y');
  check(X.d === Y.d, fn, `x and y must have the same dimension d, got ${X.d} and ${Y.d}`);
  if (isDistanceObject(distance)) {
    return tf.tidy(() => {
      const xt = tf.tensor2d(X.data, [X.n, X.d]);
      const yt = self ? xt : tf.tensor2d(Y.data, [Y.n, Y.d]);
      return callDistance(distance, 'matrix', xt, yt, fn).dataSync() as Float32Array;
    });
  }
  const { n, d } = X;
  const m = Y.n;
  const a = X.data;
  const b = Y.data;
  const out = new Float32Array(n * m);
  if (distance === 'cosine') {
    const na = rowNorms(a, n, d);
    const nb = self ? na : rowNorms(b, m, d);
    for (let i = 0; i < n; i++) {
      const oi = i * d;
      for (let j = self ? i : 0; j < m; j++) {
        const oj = j * d;
        let s = 0;
        for (let k = 0; k < d; k++) s += a[oi + k] * b[oj + k];
        const v = 1 - s / (na[i] * nb[j]);
        out[i * m + j] = v;
        if (self) out[j * m + i] = v;
      }
      if (self) out[i * m + i] = 0;
    }
    return out;
  }
  const squared = distance === 'squaredEuclidean';
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let j = self ? i + 1 : 0; j < m; j++) {
      const sq = squaredDifference(a, oi, b, j * d, d);
      const v = squared ? sq : Math.sqrt(sq);
      out[i * m + j] = v;
      if (self) out[j * m + i] = v;
    }
  }
  return out;
}
