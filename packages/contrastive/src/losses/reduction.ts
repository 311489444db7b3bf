/** How per-pair (or per-triplet) losses become the number an optimizer minimises, and how pairs are weighted. */
import * as tf from '@tensorflow/tfjs';
import { check, ContrastiveError } from '../errors.js';

/**
 * - `'mean'`: sum(w_i L_i) / N, the average over pairs (0 when there are none, so an empty mined batch is a no-op);
 * - `'sum'`: sum(w_i L_i);
 * - `'mean-nonzero'`: sum(w_i L_i) / #{i : w_i L_i > 0}, the mean over the pairs that still cost
 *   something (pytorch-metric-learning's default for its contrastive loss; 0 when none does);
 * - `'none'`: the [N] per-pair losses w_i L_i.
 *
 * w_i are the per-pair weights (1 when none are given).
 * @group Losses
 */
export type Reduction = 'mean' | 'sum' | 'mean-nonzero' | 'none';

/** Every {@link Reduction}. @group Losses */
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'mean-nonzero', 'none'];

/**
 * Per-pair weights, with Keras / TensorFlow Addons `sample_weight` semantics:
 * one number per pair (an array or a [N] / [N, 1] tensor), or one number that scales every pair.
 * The mean still divides by N (not by the sum of the weights).
 * @group Losses
 */
export type PairWeights = number | tf.Tensor | ArrayLike<number>;

/** Throws a ContrastiveError naming `fn` when `reduction` is not a {@link Reduction}. */
export function checkReduction(reduction: unknown, fn: string): asserts reduction is Reduction {
  check(
    typeof reduction === 'string' && (REDUCTIONS as readonly string[]).includes(reduction),
    fn,
    `unknown reduction '${String(reduction)}' (expected one of ${REDUCTIONS.join(', ')})`,
  );
}

/** The weight of each pair's loss under 'mean' or 'sum' for `n` pairs (1/n for the mean, 1 otherwise). */
export function reductionWeight(reduction: 'mean' | 'sum' | 'none', n: number): number {
  return reduction === 'mean' ? 1 / Math.max(n, 1) : 1;
}

/**
 * Checks `weights` against `n` pairs and returns them as a number (one weight
 * for all) or as N float32 values. Each weight must be finite and >= 0.
 * @group Losses
 */
export function readWeights(weights: PairWeights, n: number, fn: string): number | Float32Array {
  if (typeof weights === 'number') {
    check(Number.isFinite(weights) && weights >= 0, fn, `weights must be finite and >= 0, got ${weights}`);
    return weights;
  }
  let values: ArrayLike<number>;
  if (weights instanceof tf.Tensor) {
    if (weights.size === 1 && weights.rank <= 1) return readWeights(weights.dataSync()[0], n, fn);
    check(
      weights.rank === 1 || (weights.rank === 2 && weights.shape[1] === 1),
      fn,
      `weights must be a number or N = ${n} values ([N] or [N, 1]), got shape [${weights.shape.join(', ')}]`,
    );
    values = weights.dataSync();
  } else {
    check(weights != null && typeof (weights as ArrayLike<number>).length === 'number', fn, 'weights must be a number, an array of numbers or a tf.Tensor');
    values = weights;
  }
  check(values.length === n, fn, `weights has ${values.length} values but there are N = ${n} pairs`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = values[i];
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new ContrastiveError('NUMERIC', `${fn}: weights[${i}] is ${String(w)}, not a finite number`);
    check(w >= 0, fn, `weights[${i}] = ${w} is negative`);
    out[i] = w;
  }
  return out;
}

/**
 * Reduces [N] per-item losses: a scalar for 'mean', 'sum' and 'mean-nonzero', the
 * (weighted) [N] losses for 'none'. `weights` as read by {@link readWeights}.
 * @group Losses
 */
export function reduceLoss(perItem: tf.Tensor1D, reduction: Reduction, weights?: number | Float32Array): tf.Tensor {
  return tf.tidy(() => {
    const weighted: tf.Tensor1D =
      weights === undefined || weights === 1 ? perItem : (tf.mul(perItem, typeof weights === 'number' ? weights : tf.tensor1d(weights)) as tf.Tensor1D);
    if (reduction === 'none') return weighted;
    const total = tf.sum(weighted);
    if (reduction === 'sum') return total;
    if (reduction === 'mean') return tf.mul(total, reductionWeight(reduction, perItem.shape[0]));
    // The count is a constant of the step (read from the values, off the tape): only the losses carry gradients.
    const values = weighted.dataSync();
    let nonzero = 0;
    for (let i = 0; i < values.length; i++) if (values[i] > 0) nonzero++;
    return tf.mul(total, 1 / Math.max(nonzero, 1));
  });
}
