/** The triplet loss (Schroff, Kalenichenko, Philbin 2015, FaceNet) on a chosen distance. */
import * as tf from '@tensorflow/tfjs';
import { checkDistance, checkSameMatrixShape, pairDistances, type DistanceLike } from '../distances/index.js';
import { ContrastiveError } from '../errors.js';
import { asFloat, checkOptionKeys } from './inputs.js';
import { checkMargin } from './margin.js';
import { checkReduction, reduceLoss, type Reduction } from './reduction.js';

/** Options of {@link tripletLoss}. @group Losses */
export interface TripletLossOptions {
  /** Margin m by which a negative must be farther than the positive; >= 0, default 1. */
  margin?: number;
  /** A name (default 'euclidean') or a {@link Distance} object. */
  distance?: DistanceLike;
  /** Default 'mean'; 'none' returns the [N] per-triplet losses. */
  reduction?: Reduction;
}

export interface ResolvedTripletOptions {
  margin: number;
  distance: DistanceLike;
  reduction: Reduction;
}

/** Validates triplet-loss options; `fn` names the caller in messages. */
export function resolveTripletOptions(options: TripletLossOptions | undefined, fn: string): ResolvedTripletOptions {
  checkOptionKeys(options, ['margin', 'distance', 'reduction'], fn);
  const { margin = 1, distance = 'euclidean', reduction = 'mean' } = options ?? {};
  checkMargin(margin, fn);
  checkDistance(distance, fn);
  checkReduction(reduction, fn);
  return { margin, distance, reduction };
}

/** Per-triplet losses, inputs already checked. */
export function tripletFromRows(anchor: tf.Tensor2D, positive: tf.Tensor2D, negative: tf.Tensor2D, o: ResolvedTripletOptions, fn: string): tf.Tensor {
  return tf.tidy(() => {
    const a = asFloat(anchor);
    const dap = pairDistances(a, asFloat(positive), o.distance);
    const dan = pairDistances(a, asFloat(negative), o.distance);
    const both = tf.concat([dap, dan]).dataSync();
    for (let i = 0; i < both.length; i++) {
      if (!Number.isFinite(both[i])) {
        const n = dap.shape[0];
        const which = i < n ? 'd(anchor, positive)' : 'd(anchor, negative)';
        throw new ContrastiveError('NUMERIC', `${fn}: ${which} of triplet ${i % n} is not finite (a non-finite value in the embeddings, or float32 overflow)`);
      }
    }
    const perTriplet = tf.relu(tf.add(tf.sub(dap, dan), o.margin)) as tf.Tensor1D;
    return reduceLoss(perTriplet, o.reduction);
  });
}

/**
 * Triplet loss max(0, d(a, p) - d(a, n) + m) for rows of anchors, positives and
 * negatives, NaN-safe: gradients are finite also when an anchor equals its
 * positive or negative (a collapsed anchor-negative pair is pushed apart, see
 * `pairDistances`).
 *
 * @param anchor - [N, d]; @param positive - [N, d], same class as the anchor;
 * @param negative - [N, d], another class.
 * @returns a scalar ('mean', 'sum') or the [N] per-triplet losses ('none').
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { tripletLoss } from 'contrastive';
 *
 * // D(a, p) = 1, D(a, n) = 1.5, margin 1: max(0, 1 - 1.5 + 1) = 0.5.
 * tripletLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1.5]]), { margin: 1 }).print(); // 0.5
 * ```
 * @group Losses
 */
export function tripletLoss(anchor: tf.Tensor2D, positive: tf.Tensor2D, negative: tf.Tensor2D, options?: TripletLossOptions): tf.Tensor {
  const fn = 'tripletLoss';
  const o = resolveTripletOptions(options, fn);
  checkSameMatrixShape(anchor, positive, fn, ['anchor', 'positive']);
  checkSameMatrixShape(anchor, negative, fn, ['anchor', 'negative']);
  return tripletFromRows(anchor, positive, negative, o, fn);
}
