/**
 * The contrastive loss of one pair, written once. Every implementation (the TF.js-ops path,
 * the mined-pairs path, the fused TypeScript and wasm passes, the training diagnostics) is
 * this formula; the ops forms below are it on tensors, and the fused passes are tested
 * against it (test/losses/reference-formula.test.ts).
 *
 * With D the distance, m the margin, m+ the positive margin and s the convention's scale
 * (1/2 for 'hadsell', the default):
 *
 *     similar pair:     s * max(0, D - m+)^2      (s * D^2 when m+ = 0)
 *     dissimilar pair:  s * max(0, m - D)^2
 */
import * as tf from '@tensorflow/tfjs';

/** What the per-pair formula depends on besides the distance. @group Losses */
export interface PairLossTerms {
  /** The margin m of dissimilar pairs. */
  margin: number;
  /** The positive margin m+ of similar pairs; default 0. */
  posMargin?: number;
  /** The convention's factor in front of both terms; default 1/2 ('hadsell'). */
  scale?: number;
}

/**
 * The loss of one pair at distance `distance` (similar: pulled together; else pushed past the margin).
 * @group Losses
 */
export function contrastivePairLoss(distance: number, similar: boolean, terms: PairLossTerms): number {
  const scale = terms.scale ?? 0.5;
  if (similar) {
    const over = distance - (terms.posMargin ?? 0);
    return over > 0 ? scale * over * over : 0;
  }
  const h = terms.margin - distance;
  return h > 0 ? scale * h * h : 0;
}

/** The pull term of similar pairs on tensors, without the scale: D^2, or max(0, D - m+)^2. */
export function pullTerm(dist: tf.Tensor1D, posMargin: number): tf.Tensor1D {
  return posMargin > 0 ? (tf.square(tf.relu(tf.sub(dist, posMargin))) as tf.Tensor1D) : tf.square(dist);
}

/** The push term of dissimilar pairs on tensors, without the scale: max(0, m - D)^2. */
export function pushTerm(dist: tf.Tensor1D, margin: number): tf.Tensor1D {
  return tf.square(tf.relu(tf.sub(margin, dist))) as tf.Tensor1D;
}

/** {@link contrastivePairLoss} of every pair on tensors; `similar` is 1 for a pulled pair, 0 for a pushed one. */
export function contrastivePerPair(dist: tf.Tensor1D, similar: Uint8Array, terms: PairLossTerms): tf.Tensor1D {
  return tf.tidy(() => {
    const s = tf.tensor1d(similar, 'float32');
    const mixed = tf.add(tf.mul(s, pullTerm(dist, terms.posMargin ?? 0)), tf.mul(tf.sub(1, s), pushTerm(dist, terms.margin)));
    return tf.mul(mixed, terms.scale ?? 0.5) as tf.Tensor1D;
  });
}
