/**
 * LFW-style k-fold verification: the threshold is chosen for best accuracy on
 * k-1 folds and the accuracy is measured on the held-out fold, so the reported
 * accuracy is never measured on the pairs that chose its threshold.
 */
import { check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { readPairs, type NumericInput } from './inputs.js';
import { rocCounts, rocBestAccuracy, operatingThreshold } from './verification.js';

/** Options of {@link kFoldVerification}. @group Evaluation */
export interface KFoldOptions {
  /** Number of folds (default 10, as the LFW protocol). */
  folds?: number;
  /** Seed of the shuffle that assigns pairs to folds (default 0). */
  seed?: number;
}

/** What {@link kFoldVerification} returns. @group Evaluation */
export interface KFoldResult {
  /** Mean held-out accuracy over the folds. */
  mean: number;
  /** Standard deviation of the held-out accuracies (population, as numpy's np.std used in LFW evaluations). */
  std: number;
  /** Per fold: the threshold chosen on the other folds and the accuracy on this one. */
  folds: { threshold: number; accuracy: number }[];
}

/**
 * k-fold verification accuracy. Pairs are shuffled with `seed` and split into
 * `folds` folds whose sizes differ by at most one. Labels: 0 = similar, 1 = dissimilar.
 *
 * @throws ContrastiveError on bad input (see {@link verificationMetrics}), a fold
 *   count below 2 or above the number of pairs, or training folds missing a kind of pair.
 * @example
 * ```ts
 * import { kFoldVerification } from 'contrastive';
 *
 * const distances = [0.1, 0.2, 0.3, 0.25, 0.7, 0.8, 0.9, 0.6, 0.15, 0.85];
 * const labels = [0, 0, 0, 0, 1, 1, 1, 1, 0, 1];
 * const r = kFoldVerification(distances, labels, { folds: 5, seed: 1 });
 * console.log(r.mean, r.std, r.folds.length); // 1 0 5
 * ```
 * @group Evaluation
 */
export function kFoldVerification(distances: NumericInput, labels: NumericInput, options: KFoldOptions = {}): KFoldResult {
  const fn = 'kFoldVerification';
  const { folds = 10, seed = 0 } = options;
  const { d, y } = readPairs(distances, labels, fn);
  const n = d.length;
  check(Number.isInteger(folds) && folds >= 2, fn, `folds must be an integer >= 2, got ${folds}`);
  check(folds <= n, fn, `folds (${folds}) exceeds the number of pairs (${n})`);
  check(Number.isFinite(seed), fn, `seed must be a number, got ${seed}`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  const results: { threshold: number; accuracy: number }[] = [];
  for (let f = 0; f < folds; f++) {
    const start = Math.floor((f * n) / folds);
    const end = Math.floor(((f + 1) * n) / folds);
    const trainD = new Float64Array(n - (end - start));
    const trainY = new Uint8Array(n - (end - start));
    let k = 0;
    let pos = 0;
    for (let r = 0; r < n; r++) {
      if (r >= start && r < end) continue;
      trainD[k] = d[order[r]];
      trainY[k] = y[order[r]];
      if (trainY[k] === 0) pos++;
      k++;
    }
    const neg = k - pos;
    check(pos > 0 && neg > 0, fn, `training folds for fold ${f} have no ${pos === 0 ? 'similar (label 0)' : 'dissimilar (label 1)'} pairs; use fewer folds or more pairs`);
    const roc = rocCounts(trainD, trainY, pos, neg);
    const threshold = operatingThreshold(roc, rocBestAccuracy(roc).index);
    let correct = 0;
    for (let r = start; r < end; r++) {
      const i = order[r];
      if ((d[i] <= threshold) === (y[i] === 0)) correct++;
    }
    results.push({ threshold, accuracy: correct / (end - start) });
  }
  const mean = results.reduce((s, r) => s + r.accuracy, 0) / folds;
  const variance = results.reduce((s, r) => s + (r.accuracy - mean) ** 2, 0) / folds;
  return { mean, std: Math.sqrt(variance), folds: results };
}
