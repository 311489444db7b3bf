/**
 * Row-wise distances between two embedding batches, used by
 * {@link SiameseNetwork.distance}. Stand-in until src/distances provides
 * `pairDistances`; computed as sum((a-b)^2), never |a|^2+|b|^2-2ab (cancellation).
 */
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from './l2-normalize.js';

/** Distance names a network can use. */
export const DISTANCE_NAMES = ['euclidean', 'squaredEuclidean', 'cosine'] as const;
/** 'euclidean' |a-b|, 'squaredEuclidean' |a-b|^2, 'cosine' 1 - cos(a, b). */
export type DistanceName = (typeof DISTANCE_NAMES)[number];

/**
 * Euclidean distance of rows with a NaN-free gradient: (a-b)/D where D > 0,
 * and the zero subgradient at D = 0 (identical rows), where sqrt has none.
 */
const euclidean = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const diff = tf.sub(a, b);
  const d = tf.sqrt(tf.sum(tf.square(diff), 1));
  save([diff, d]);
  return {
    value: d,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sdiff, sd] = saved;
      const positive = tf.greater(sd, 0);
      const coef = tf.where(positive, tf.div(dy, tf.where(positive, sd, tf.onesLike(sd))), tf.zerosLike(sd));
      const ga = tf.mul(sdiff, tf.expandDims(coef, 1));
      return [ga, tf.neg(ga)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D;

/** Distance between row i of `a` and row i of `b`, both [N, d]: returns [N]. */
export function rowDistance(a: tf.Tensor2D, b: tf.Tensor2D, distance: DistanceName): tf.Tensor1D {
  return tf.tidy(() => {
    switch (distance) {
      case 'euclidean':
        return euclidean(a, b);
      case 'squaredEuclidean':
        return tf.sum(tf.square(tf.sub(a, b)), 1) as tf.Tensor1D;
      case 'cosine':
        return tf.sub(1, tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), 1)) as tf.Tensor1D;
    }
  });
}
