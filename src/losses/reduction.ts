/** How per-pair (or per-triplet) losses become the number an optimizer minimises. */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';

/**
 * - `'mean'`: the average over pairs (0 when there are none, so an empty mined batch is a no-op);
 * - `'sum'`: the sum over pairs;
 * - `'none'`: the [N] per-pair losses.
 */
export type Reduction = 'mean' | 'sum' | 'none';

/** Every {@link Reduction}. */
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Throws a ContrastiveError naming `fn` when `reduction` is not a {@link Reduction}. */
export function checkReduction(reduction: unknown, fn: string): asserts reduction is Reduction {
  check(
    typeof reduction === 'string' && (REDUCTIONS as readonly string[]).includes(reduction),
    fn,
    `unknown reduction '${String(reduction)}' (expected one of ${REDUCTIONS.join(', ')})`,
  );
}

/** The weight of each pair's loss under `reduction` for `n` pairs (1/n for the mean, 1 otherwise). */
export function reductionWeight(reduction: Reduction, n: number): number {
  return reduction === 'mean' ? 1 / Math.max(n, 1) : 1;
}

/** Reduces [N] per-item losses: a scalar for 'mean' and 'sum', the input itself for 'none'. */
export function reduceLoss(perItem: tf.Tensor1D, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perItem;
  const total = tf.sum(perItem);
  return reduction === 'sum' ? total : tf.mul(total, reductionWeight(reduction, perItem.shape[0]));
}
