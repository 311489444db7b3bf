/**
 * Histogram counts of similar and dissimilar pair distances: what the trainer
 * keeps of each epoch's validation pairs so that a report can draw how the two
 * distributions separate, without storing every distance.
 *
 * Label convention: 0 = similar pair, 1 = dissimilar pair.
 */
import { check } from '../errors.js';

/** Counts of pair distances over equal bins [k * binWidth, (k + 1) * binWidth), starting at 0. @group Evaluation */
export interface DistanceHistogram {
  /** Width of every bin; bin k covers [k * binWidth, (k + 1) * binWidth), the last one is closed. */
  binWidth: number;
  /** Similar pairs (label 0) per bin. */
  positive: number[];
  /** Dissimilar pairs (label 1) per bin. */
  negative: number[];
}

/** Options of {@link distanceHistogram}. @group Evaluation */
export interface DistanceHistogramOptions {
  /** Number of bins. Default 40. */
  bins?: number;
  /** Upper end of the last bin. Default: the largest finite distance (1 when all are 0). */
  max?: number;
}

/**
 * Counts similar and dissimilar pair distances in `bins` equal bins from 0 to
 * `max`. Non-finite distances are left out (the diagnostics count them);
 * distances above `max` fall in the last bin.
 *
 * @throws ContrastiveError on different lengths, a label other than 0/1, or bad options.
 * @group Evaluation
 */
export function distanceHistogram(distances: ArrayLike<number>, labels: ArrayLike<number>, options: DistanceHistogramOptions = {}): DistanceHistogram {
  const fn = 'distanceHistogram';
  check(distances != null && labels != null, fn, 'distances and labels are required');
  check(distances.length === labels.length, fn, `distances has ${distances.length} entries but labels has ${labels.length}`);
  const bins = options.bins ?? 40;
  check(Number.isInteger(bins) && bins >= 1, fn, `bins must be a positive integer, got ${bins}`);
  let max = options.max;
  if (max === undefined) {
    max = 0;
    for (let k = 0; k < distances.length; k++) if (Number.isFinite(distances[k]) && distances[k] > max) max = distances[k];
    if (max === 0) max = 1;
  }
  check(Number.isFinite(max) && max > 0, fn, `max must be a positive number, got ${max}`);
  const binWidth = max / bins;
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let k = 0; k < labels.length; k++) {
    const y = labels[k];
    check(y === 0 || y === 1, fn, `labels[${k}] is ${y}, expected 0 (similar) or 1 (dissimilar)`);
    const d = distances[k];
    if (!Number.isFinite(d)) continue;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(d / binWidth)));
    (y === 0 ? positive : negative)[bin]++;
  }
  return { binWidth, positive, negative };
}
