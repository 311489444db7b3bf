/**
 * The Platt logistic p(same | d) = 1 / (1 + exp(a * d + b)), in one place: the
 * calibration fits and applies it (eval/calibration.ts), and the browser loader
 * (models/browser-bundle.ts) answers with it. No imports, so that a page's
 * bundle of the loader carries it for a few bytes.
 */

/**
 * p(same) for the Platt logit `z = a * d + b`: 1 / (1 + e^z), computed as
 * e^-|z| / (1 + e^-|z|) or 1 / (1 + e^-|z|) so that no exponent overflows.
 */
export function plattSame(z: number): number {
  const e = Math.exp(-Math.abs(z));
  return z >= 0 ? e / (1 + e) : 1 / (1 + e);
}
