/** L2 normalisation of embedding rows, NaN-safe at the zero vector. */
import * as tf from '@tensorflow/tfjs';

/** Floor under the squared norm (as in tf.math.l2_normalize): a zero row maps to zero, never NaN. @group Encoders */
export const L2_NORMALIZE_EPSILON = 1e-12;

/**
 * Scales each row of `x` [N, d] to unit Euclidean norm:
 * `x / sqrt(max(sum(x^2), 1e-12))`. A zero row stays zero with finite
 * gradients (`tf.norm` would give NaN there).
 * @group Encoders
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(sq, L2_NORMALIZE_EPSILON))) as tf.Tensor2D;
  });
}
