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

/**
 * A copy of `x` (rows of `dim` values, row-major) with each row scaled to unit
 * Euclidean norm; a zero row stays zero. The plain-array twin of
 * {@link l2Normalize}, for inputs used as embeddings (the raw-pixel baseline).
 */
export function l2NormalizeRows(x: Float32Array, dim: number): Float32Array {
  const out = x.slice();
  for (let r = 0; r * dim < out.length; r++) {
    let n = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) n += out[j] ** 2;
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) out[j] *= s;
  }
  return out;
}
