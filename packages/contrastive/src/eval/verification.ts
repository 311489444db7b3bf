/**
 * Verification metrics for pairs scored by a distance: ROC, AUC, EER, best
 * accuracy and TAR at fixed FAR. Label convention: 0 = similar ("same"),
 * 1 = dissimilar; a pair is accepted as "same" when distance <= threshold. The
 * positive class of the ROC is "similar": TPR = TAR = accepted similar pairs /
 * similar pairs, FPR = FAR = accepted dissimilar pairs / dissimilar pairs,
 * FRR = 1 - TAR.
 */
import { check } from '../errors.js';
import { readPairs, readDistances, readPairLabels, type NumericInput } from './inputs.js';

/** The ROC curve over every distinct distance threshold. @group Evaluation */
export interface RocCurve {
  /** False accept rate at each point, non-decreasing from 0 to 1. */
  fpr: Float64Array;
  /** True accept rate at each point, non-decreasing from 0 to 1. */
  tpr: Float64Array;
  /**
   * Distance threshold of each point (accept when distance <= threshold). The
   * first point is `-Infinity` (accept nothing: FPR = TPR = 0), as scikit-learn's
   * roc_curve prepends a point; then every distinct distance in increasing order.
   */
  thresholds: Float64Array;
}

/** What {@link verificationMetrics} returns. @group Evaluation */
export interface VerificationMetrics {
  /** Area under the ROC curve (trapezoid over all distinct thresholds; ties count 1/2, as scikit-learn's roc_auc_score). */
  auc: number;
  /** Equal error rate: where FAR = FRR, interpolated linearly between the two ROC points that bracket it. */
  eer: number;
  /** Operating threshold (see {@link operatingThreshold}) of the ROC point where |FAR - FRR| is smallest. */
  eerThreshold: number;
  /** Best accuracy over all thresholds, (accepted similar + rejected dissimilar) / pairs. */
  bestAccuracy: number;
  /** Operating threshold giving {@link VerificationMetrics.bestAccuracy} (the smallest one on ties). */
  bestThreshold: number;
  /** TAR at FAR: the largest TPR among ROC points with FPR <= the target. */
  tarAtFar: { '1e-1': number; '1e-2': number; '1e-3': number };
  roc: RocCurve;
  /** Number of similar pairs (label 0). */
  positives: number;
  /** Number of dissimilar pairs (label 1). */
  negatives: number;
}

/** ROC with raw counts, the base of every verification metric and of calibration. */
export interface RocCounts extends RocCurve {
  /** Accepted similar pairs at each point. */
  tp: Float64Array;
  /** Accepted dissimilar pairs at each point. */
  fp: Float64Array;
  positives: number;
  negatives: number;
}

/** Builds the ROC over all distinct thresholds from checked distances and labels. */
export function rocCounts(d: Float64Array, y: Uint8Array, positives: number, negatives: number): RocCounts {
  const n = d.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => d[a] - d[b] || a - b);
  const thresholds: number[] = [-Infinity];
  const tp: number[] = [0];
  const fp: number[] = [0];
  let t = 0;
  let f = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (y[i] === 0) t++;
    else f++;
    // one point per distinct distance: only after the last pair at this distance
    if (k === n - 1 || d[order[k + 1]] !== d[i]) {
      thresholds.push(d[i]);
      tp.push(t);
      fp.push(f);
    }
  }
  const m = thresholds.length;
  const tpr = new Float64Array(m);
  const fpr = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    tpr[i] = tp[i] / positives;
    fpr[i] = fp[i] / negatives;
  }
  return { fpr, tpr, thresholds: Float64Array.from(thresholds), tp: Float64Array.from(tp), fp: Float64Array.from(fp), positives, negatives };
}

/**
 * The threshold to use for ROC point `i`: halfway between its distance and the
 * next distinct distance, so that it gives the same decisions on this set and
 * does not sit exactly on a training distance; the largest distance for the
 * last point and `-Infinity` (accept nothing) for the first.
 * @group Evaluation
 */
export function operatingThreshold(roc: RocCurve, i: number): number {
  const t = roc.thresholds;
  if (i <= 0) return -Infinity;
  if (i >= t.length - 1) return t[t.length - 1];
  return t[i] + (t[i + 1] - t[i]) / 2;
}

/** Area under the ROC curve by the trapezoid rule. */
export function rocAuc(roc: RocCurve): number {
  let area = 0;
  for (let i = 1; i < roc.fpr.length; i++) area += ((roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1])) / 2;
  return area;
}

/** Equal error rate (interpolated) and the ROC point closest to it. */
export function rocEer(roc: RocCurve): { eer: number; index: number } {
  const { fpr, tpr } = roc;
  // g = FAR - FRR = fpr + tpr - 1 rises from -1 at the first point to +1 at the last
  let eer = 1;
  for (let i = 0; i < fpr.length; i++) {
    const g = fpr[i] + tpr[i] - 1;
    if (g >= 0) {
      if (g === 0 || i === 0) eer = fpr[i];
      else {
        const g0 = fpr[i - 1] + tpr[i - 1] - 1;
        const alpha = -g0 / (g - g0);
        eer = fpr[i - 1] + alpha * (fpr[i] - fpr[i - 1]);
      }
      break;
    }
  }
  let index = 0;
  let best = Infinity;
  for (let i = 0; i < fpr.length; i++) {
    const gap = Math.abs(fpr[i] + tpr[i] - 1);
    if (gap < best) {
      best = gap;
      index = i;
    }
  }
  return { eer, index };
}

/** Index of the ROC point with the best accuracy (the first on ties). */
export function rocBestAccuracy(roc: RocCounts): { accuracy: number; index: number } {
  const total = roc.positives + roc.negatives;
  let index = 0;
  let best = -1;
  for (let i = 0; i < roc.tp.length; i++) {
    const correct = roc.tp[i] + (roc.negatives - roc.fp[i]);
    if (correct > best) {
      best = correct;
      index = i;
    }
  }
  return { accuracy: best / total, index };
}

/** Index of the ROC point with the largest TPR among those with FPR <= `far` (the last such point). */
export function rocAtFar(roc: RocCounts, far: number): number {
  const limit = far * roc.negatives * (1 + 1e-12);
  let index = 0;
  for (let i = 0; i < roc.fp.length; i++) {
    if (roc.fp[i] <= limit) index = i;
    else break;
  }
  return index;
}

/**
 * Verification metrics of pairs scored by a distance.
 *
 * @param distances one distance per pair (finite).
 * @param labels one label per pair: 0 = similar, 1 = dissimilar. Both kinds must be present.
 * @throws ContrastiveError on empty input, mismatched lengths, labels other than 0/1,
 *   non-finite distances, or when one kind of pair is missing.
 * @example
 * ```ts
 * import { verificationMetrics } from 'contrastive';
 *
 * // Distances of four pairs; labels 0 = similar, 1 = dissimilar.
 * const m = verificationMetrics([0.1, 0.4, 0.3, 0.9], [0, 0, 1, 1]);
 * console.log(m.auc, m.eer, m.bestAccuracy, m.bestThreshold); // 0.75 0.5 0.75 ...
 * ```
 * @group Evaluation
 */
export function verificationMetrics(distances: NumericInput, labels: NumericInput): VerificationMetrics {
  const fn = 'verificationMetrics';
  const { d, y, positives, negatives } = readPairs(distances, labels, fn);
  const roc = rocCounts(d, y, positives, negatives);
  const { eer, index: eerIndex } = rocEer(roc);
  const best = rocBestAccuracy(roc);
  const tarAt = (far: number): number => roc.tpr[rocAtFar(roc, far)];
  return {
    auc: rocAuc(roc),
    eer,
    eerThreshold: operatingThreshold(roc, eerIndex),
    bestAccuracy: best.accuracy,
    bestThreshold: operatingThreshold(roc, best.index),
    tarAtFar: { '1e-1': tarAt(1e-1), '1e-2': tarAt(1e-2), '1e-3': tarAt(1e-3) },
    roc: { fpr: roc.fpr, tpr: roc.tpr, thresholds: roc.thresholds },
    positives,
    negatives,
  };
}

/**
 * Fraction of pairs decided correctly at `threshold`: a pair is called "same"
 * when distance <= threshold, which is correct for label 0 and wrong for label 1.
 * @group Evaluation
 */
export function accuracyAtThreshold(distances: NumericInput, labels: NumericInput, threshold: number): number {
  const fn = 'accuracyAtThreshold';
  check(typeof threshold === 'number' && !Number.isNaN(threshold), fn, `threshold must be a number, got ${String(threshold)}`);
  const d = readDistances(distances, fn);
  const y = readPairLabels(labels, fn, d.length);
  let correct = 0;
  for (let i = 0; i < d.length; i++) if ((d[i] <= threshold) === (y[i] === 0)) correct++;
  return correct / d.length;
}
