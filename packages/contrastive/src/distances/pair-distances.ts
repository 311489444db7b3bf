/**
 * Row-wise distances between two embedding matrices, differentiable and
 * NaN-safe: the distance that feeds a loss.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import type { DistanceName } from './names.js';
import { callDistance, checkDistance, isDistanceObject, type DistanceLike } from './distance.js';

/** Norm floor for the cosine distance: a zero vector gets finite gradients. Same value as PyTorch's cosine_similarity. @group Distances */
export const COSINE_EPS = 1e-8;

/** Checks that `a` and `b` are [N, d] matrices of the same shape; `fn` names the caller in the message. @group Distances */
export function checkSameMatrixShape(a: tf.Tensor, b: tf.Tensor, fn: string, names: [string, string] = ['a', 'b']): void {
  check(a instanceof tf.Tensor, fn, `${names[0]} must be a tf.Tensor2D`);
  check(b instanceof tf.Tensor, fn, `${names[1]} must be a tf.Tensor2D`);
  check(a.rank === 2, fn, `${names[0]} must be a 2-D [N, d] tensor, got shape [${a.shape.join(', ')}]`);
  check(b.rank === 2, fn, `${names[1]} must be a 2-D [N, d] tensor, got shape [${b.shape.join(', ')}]`);
  check(
    a.shape[0] === b.shape[0],
    fn,
    `${names[0]} and ${names[1]} must have the same number of rows N, got ${a.shape[0]} and ${b.shape[0]}`,
  );
  check(
    a.shape[1] === b.shape[1],
    fn,
    `${names[0]} and ${names[1]} must have the same dimension d, got ${a.shape[1]} and ${b.shape[1]}`,
  );
}

/**
 * Euclidean distance sqrt(sum((a-b)^2)) with a gradient that is finite everywhere.
 *
 * Away from D = 0 the gradient is the usual (a - b) / D. At D = 0 the distance
 * is not differentiable and `tf.norm` gives NaN; we use the steepest-descent
 * subgradient: with g = dL/dD the upstream gradient,
 * - g >= 0 (the loss wants D to shrink, already minimal): gradient 0;
 * - g < 0 (the loss wants D to grow, e.g. a collapsed dissimilar pair): the
 *   gradient g * u for `a` and -g * u for `b`, with the fixed unit direction
 *   u = (1, ..., 1) / sqrt(d), so a gradient step moves the rows apart.
 */
const euclideanWithSubgradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const diff = tf.sub(a, b);
  const dist = tf.sqrt(tf.sum(tf.square(diff), 1));
  save([diff, dist]);
  return {
    value: dist,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = dy;
      const [sDiff, sDist] = saved;
      const d = sDiff.shape[1] as number;
      const zero = tf.equal(sDist, 0);
      const safeDist = tf.where(zero, tf.onesLike(sDist), sDist);
      const along = tf.mul(sDiff, tf.expandDims(tf.div(g, safeDist), 1));
      // Collapsed rows that the loss wants apart: push along u.
      const push = tf.where(tf.logicalAnd(zero, tf.less(g, 0)), g, tf.zerosLike(g));
      const da = tf.add(along, tf.mul(tf.expandDims(push, 1), 1 / Math.sqrt(d)));
      return [da, tf.neg(da)];
    },
  };
});

/**
 * Row-wise distances D[i] = distance(a[i], b[i]) between two [N, d] matrices.
 *
 * Differentiable with finite gradients everywhere, also at identical rows:
 * - `'euclidean'` (default) is computed from sum((a - b)^2), never from
 *   |a|^2 + |b|^2 - 2ab (which cancels for large-norm embeddings). At D = 0 it
 *   uses the steepest-descent subgradient: zero when the loss wants D smaller,
 *   and along the fixed unit direction u = (1, ..., 1) / sqrt(d) (for `a`;
 *   -u for `b`) when the loss wants D larger, so a collapsed dissimilar pair is
 *   still pushed apart.
 * - `'squaredEuclidean'`: sum((a - b)^2), smooth.
 * - `'cosine'`: 1 - a.b / (max(|a|, eps) max(|b|, eps)) with eps = 1e-8, so a
 *   zero vector gives distance 1 and finite gradients.
 *
 * Shapes are checked; values are not scanned (this runs inside models).
 *
 * @param a - [N, d] embeddings.
 * @param b - [N, d] embeddings.
 * @param distance - which distance, default `'euclidean'`; or a {@link Distance} object (its `pairs`).
 * @returns the [N] distances.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { pairDistances } from 'contrastive';
 *
 * const a = tf.tensor2d([[0, 0], [1, 1]]);
 * const b = tf.tensor2d([[3, 4], [1, 1]]);
 * pairDistances(a, b).print();           // [5, 0]
 * pairDistances(a, b, 'cosine').print(); // [1, 0]: a zero row has cosine distance 1
 * ```
 * @group Distances
 */
export function pairDistances(a: tf.Tensor2D, b: tf.Tensor2D, distance: DistanceLike = 'euclidean'): tf.Tensor1D {
  const fn = 'pairDistances';
  checkDistance(distance, fn);
  checkSameMatrixShape(a, b, fn);
  if (isDistanceObject(distance)) return callDistance(distance, 'pairs', a, b, fn) as tf.Tensor1D;
  return tf.tidy(() => {
    switch (distance as DistanceName) {
      case 'euclidean':
        return euclideanWithSubgradient(a, b) as tf.Tensor1D;
      case 'squaredEuclidean':
        return tf.sum(tf.square(tf.sub(a, b)), 1) as tf.Tensor1D;
      case 'cosine': {
        const eps2 = COSINE_EPS * COSINE_EPS;
        const na = tf.sqrt(tf.maximum(tf.sum(tf.square(a), 1), eps2));
        const nb = tf.sqrt(tf.maximum(tf.sum(tf.square(b), 1), eps2));
        const cos = tf.div(tf.sum(tf.mul(a, b), 1), tf.mul(na, nb));
        return tf.sub(1, cos) as tf.Tensor1D;
      }
    }
  });
}
