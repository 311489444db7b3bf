/**
 * The arithmetic of cohort S-norm, shared by eval/score-norm.ts (many rows, on
 * TF.js) and the page's bundle loader (one pair, plain loops), so both score
 * a pair the same way.
 */

/** A cohort member this close to the row is the row itself (an example of its own cohort): left out of its statistics. */
export const SNORM_SELF = 1e-6;
/** The smallest standard deviation a score is divided by: a row at the same distance from every cohort member says nothing about scale. */
export const SNORM_MIN_STD = 1e-6;

/** Mean and (population) standard deviation of a row's distances to the cohort, leaving out distances <= SNORM_SELF. */
export function cohortMeanStd(distances: ArrayLike<number>, from = 0, to = distances.length): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  let m = 0;
  for (let t = from; t < to; t++) {
    const v = distances[t];
    if (v <= SNORM_SELF) continue;
    sum += v;
    sq += v * v;
    m++;
  }
  const mean = m > 0 ? sum / m : 0;
  return { mean, std: m > 0 ? Math.sqrt(Math.max(0, sq / m - mean * mean)) : 0 };
}

/** ½[(d - μa)/σa + (d - μb)/σb]. */
export function sNorm(d: number, meanA: number, stdA: number, meanB: number, stdB: number): number {
  return 0.5 * ((d - meanA) / Math.max(stdA, SNORM_MIN_STD) + (d - meanB) / Math.max(stdB, SNORM_MIN_STD));
}
