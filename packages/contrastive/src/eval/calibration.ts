/**
 * Calibration: choosing the decision threshold on a validation split by a
 * named target, and turning a distance into a probability of "same" (Platt
 * scaling). Label convention: 0 = similar ("same"), 1 = dissimilar.
 */
import { check } from '../errors.js';
import { plattSame } from '../util/platt.js';
import { readPairs, type NumericInput } from './inputs.js';
import { rocCounts, rocBestAccuracy, rocEer, rocAtFar, operatingThreshold } from './verification.js';

/** What to calibrate the threshold for. @group Evaluation */
export type CalibrationTarget = { kind: 'accuracy' } | { kind: 'eer' } | { kind: 'far'; far: number };

/** A calibrated threshold and its rates measured on the calibration split. @group Evaluation */
export interface CalibratedThreshold {
  /** Accept as "same" when distance <= threshold (see {@link operatingThreshold} for how it is placed). */
  threshold: number;
  target: CalibrationTarget;
  /** Accuracy at the threshold on the calibration split. */
  accuracy: number;
  /** False accept rate (dissimilar pairs accepted). */
  far: number;
  /** False reject rate (similar pairs rejected) = 1 - tar. */
  frr: number;
  /** True accept rate (similar pairs accepted). */
  tar: number;
}

/**
 * Chooses a decision threshold on a validation split:
 * - `{ kind: 'accuracy' }`: the best accuracy;
 * - `{ kind: 'eer' }`: the ROC point where FAR and FRR are closest;
 * - `{ kind: 'far', far }`: the largest TAR with FAR <= `far` (e.g. 1e-3).
 *
 * @throws ContrastiveError on bad input (see {@link verificationMetrics}) or an unknown target.
 * @example
 * ```ts
 * import { calibrateThreshold } from 'contrastive';
 *
 * const distances = [0.1, 0.2, 0.35, 0.3, 0.8, 0.9];
 * const labels = [0, 0, 0, 1, 1, 1];
 * console.log(calibrateThreshold(distances, labels).threshold);                       // best accuracy
 * console.log(calibrateThreshold(distances, labels, { kind: 'far', far: 0 }).threshold); // no false accepts
 * ```
 * @group Evaluation
 */
export function calibrateThreshold(distances: NumericInput, labels: NumericInput, target: CalibrationTarget = { kind: 'accuracy' }): CalibratedThreshold {
  const fn = 'calibrateThreshold';
  check(target != null && typeof target === 'object', fn, `target must be { kind: 'accuracy' | 'eer' | 'far' }`);
  let far = NaN;
  if (target.kind === 'far') {
    far = target.far;
    check(typeof far === 'number' && far >= 0 && far <= 1, fn, `target.far must be a rate in [0, 1], got ${String(far)}`);
  } else {
    check(target.kind === 'accuracy' || target.kind === 'eer', fn, `unknown target kind '${String((target as { kind: unknown }).kind)}' (expected accuracy, eer or far)`);
  }
  const { d, y, positives, negatives } = readPairs(distances, labels, fn);
  const roc = rocCounts(d, y, positives, negatives);
  const index = target.kind === 'accuracy' ? rocBestAccuracy(roc).index : target.kind === 'eer' ? rocEer(roc).index : rocAtFar(roc, far);
  const tp = roc.tp[index];
  const fp = roc.fp[index];
  return {
    threshold: operatingThreshold(roc, index),
    target: { ...target },
    accuracy: (tp + negatives - fp) / (positives + negatives),
    far: fp / negatives,
    frr: 1 - tp / positives,
    tar: tp / positives,
  };
}

/** Parameters of p(same | d) = 1 / (1 + exp(a * d + b)). @group Evaluation */
export interface PlattParameters {
  a: number;
  b: number;
}

/** Options of {@link fitPlatt}. */
export interface PlattOptions {
  /** Pin p(same | threshold) = 0.5: the decision threshold the probability must agree with. */
  threshold?: number;
}

/** The slope a >= 0 of p = 1 / (1 + exp(a (d - threshold))) by Newton's method with backtracking (one parameter of the Platt objective). */
function fitPinnedSlope(d: Float64Array, t: Float64Array, threshold: number, objective: (a: number, b: number) => number): PlattParameters {
  let a = 0;
  let fval = objective(0, 0);
  for (let iter = 0; iter < 100; iter++) {
    let g = 0;
    let h = 1e-12;
    for (let i = 0; i < d.length; i++) {
      const x = d[i] - threshold;
      const p = plattSame(a * x);
      g += (t[i] - p) * x;
      h += p * (1 - p) * x * x;
    }
    if (Math.abs(g) < 1e-5 * d.length) break;
    const da = -g / h;
    let step = 1;
    let accepted = false;
    while (step >= 1e-10) {
      const na = a + step * da;
      const nf = objective(na, -na * threshold);
      if (nf < fval + 1e-4 * step * g * da) {
        a = na;
        fval = nf;
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) break;
  }
  // a < 0 would say "same" grows with the distance: no information, p = 0.5 everywhere rather than a verdict's opposite
  a = Math.max(0, a);
  return { a, b: -a * threshold };
}

/**
 * Fits p(same | d) = 1 / (1 + exp(a * d + b)) to distances and pair labels by
 * Platt scaling (Platt 1999): maximum likelihood on smoothed targets
 * (N+ + 1) / (N+ + 2) for similar and 1 / (N- + 2) for dissimilar pairs, which
 * keeps the fit finite on separable data. Solved by Newton's method with a
 * backtracking line search and a tiny ridge on the Hessian, as Lin, Lin and
 * Weng (2007) made Platt's algorithm robust. A good embedding gives a > 0
 * (the probability falls as the distance grows).
 *
 * With `options.threshold` the curve is pinned to p = 0.5 at that threshold
 * (b = -a * threshold) and only the slope a is fitted, clamped at 0: then
 * p(same) >= 0.5 exactly when distance <= threshold, so a verdict at the
 * threshold and the probability never disagree (a free fit and a
 * best-accuracy threshold, fitted apart on a few pairs, can: "same" at p 0.45).
 *
 * @throws ContrastiveError on bad input (see {@link verificationMetrics}) or a non-finite threshold.
 * @group Evaluation
 */
export function fitPlatt(distances: NumericInput, labels: NumericInput, options: PlattOptions = {}): PlattParameters {
  const { d, y, positives, negatives } = readPairs(distances, labels, 'fitPlatt');
  const n = d.length;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = y[i] === 0 ? hi : lo;
  // negative log-likelihood, written to avoid overflow of exp
  const objective = (a: number, b: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = a * d[i] + b;
      f += z >= 0 ? t[i] * z + Math.log1p(Math.exp(-z)) : (t[i] - 1) * z + Math.log1p(Math.exp(z));
    }
    return f;
  };
  if (options.threshold !== undefined) {
    check(Number.isFinite(options.threshold), 'fitPlatt', `threshold must be a finite number, got ${options.threshold}`);
    return fitPinnedSlope(d, t, options.threshold, objective);
  }
  const ridge = 1e-12;
  let a = 0;
  let b = Math.log((negatives + 1) / (positives + 1));
  let fval = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = ridge;
    let h22 = ridge;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      // p = p(same) = 1 / (1 + e^z), q = 1 - p
      const p = plattSame(a * d[i] + b);
      const q = 1 - p;
      const w = p * q;
      h11 += d[i] * d[i] * w;
      h22 += w;
      h21 += d[i] * w;
      const r = t[i] - p;
      g1 += d[i] * r;
      g2 += r;
    }
    if (Math.abs(g1) < 1e-5 * n && Math.abs(g2) < 1e-5 * n) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    let accepted = false;
    while (step >= 1e-10) {
      const na = a + step * dA;
      const nb = b + step * dB;
      const nf = objective(na, nb);
      if (nf < fval + 1e-4 * step * gd) {
        a = na;
        b = nb;
        fval = nf;
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) break; // no further descent possible in float64
  }
  return { a, b };
}

/** p(same | d) = 1 / (1 + exp(a * d + b)) for one distance. @group Evaluation */
export function probabilitySame(distance: number, params: PlattParameters): number;
/** p(same | d) for each distance. @group Evaluation */
export function probabilitySame(distance: ArrayLike<number>, params: PlattParameters): Float64Array;
export function probabilitySame(distance: number | ArrayLike<number>, params: PlattParameters): number | Float64Array {
  const fn = 'probabilitySame';
  check(params != null && Number.isFinite(params.a) && Number.isFinite(params.b), fn, `params must have finite a and b, got ${JSON.stringify(params)}`);
  const one = (x: number): number => {
    check(!Number.isNaN(x), fn, 'distance is NaN');
    return plattSame(params.a * x + params.b);
  };
  if (typeof distance === 'number') return one(distance);
  const out = new Float64Array(distance.length);
  for (let i = 0; i < distance.length; i++) out[i] = one(distance[i]);
  return out;
}
