/**
 * Class folds: the seen classes dealt into K disjoint groups, each validated on
 * in turn by a model trained on the others (class-disjoint cross-validation).
 */
import { check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { VALIDATION_CLASS_SALT } from './split.js';

/**
 * Splits `classes` into `k` disjoint class folds, deterministic from `seed`, for
 * class-disjoint cross-validation: fold i is validated on by a model trained on
 * the classes of the other folds.
 *
 * Exactly: the classes (sorted) are shuffled with the generator that
 * {@link splitDataset} uses to pick `validationClasses` given as a fraction (same
 * seed, same order), then cut into `k` consecutive folds whose sizes differ by at
 * most one, the smaller folds first. So fold 0 is the class set a single
 * class-disjoint validation of that many classes takes with the same seed (with
 * 5 classes and seed 42, `validationClasses: 0.4` and fold 0 of 2 are both
 * classes 0 and 2). Each fold is returned sorted ascending.
 *
 * Every fold needs at least 2 classes (its validation needs a dissimilar pair)
 * and must leave at least 2 classes to train on, so `k` is at most
 * floor(classes / 2).
 *
 * @throws ContrastiveError for a `k` that is not an integer >= 2, one above
 *   floor(classes / 2), repeated or non-integer classes, or a non-integer seed.
 * @example
 * ```ts
 * import { classFolds } from 'contrastive';
 *
 * // Fashion-MNIST's seen classes when 5-9 are held out, in 2 folds.
 * console.log(classFolds([0, 1, 2, 3, 4], 2, 42)); // [[0, 2], [1, 3, 4]]
 * ```
 * @group Data
 */
export function classFolds(classes: readonly number[], k: number, seed: number): number[][] {
  const fn = 'classFolds';
  check(Array.isArray(classes) || ArrayBuffer.isView(classes), fn, 'classes must be an array of class indices');
  check(Number.isInteger(seed), fn, `seed must be an integer, got ${seed}`);
  const seen = new Set<number>();
  for (const c of classes) {
    check(Number.isInteger(c) && c >= 0, fn, `classes: ${c} is not a class index (a non-negative integer)`);
    check(!seen.has(c), fn, `classes: class ${c} is listed twice`);
    seen.add(c);
  }
  check(Number.isInteger(k) && k >= 2, fn, `k must be an integer >= 2 (one fold is a single validation split), got ${k}`);
  const n = seen.size;
  const most = Math.floor(n / 2);
  check(
    k <= most,
    fn,
    `${n} classes cannot make ${k} folds: each fold's validation needs 2 classes or more (a dissimilar pair needs two), so ${n} classes make ${most < 2 ? 'no folds (4 classes or more are needed)' : `at most ${most}`}`,
  );
  const order = new Rng((seed ^ VALIDATION_CLASS_SALT) >>> 0).shuffle([...seen].sort((p, q) => p - q));
  const small = Math.floor(n / k);
  const large = n % k; // folds with one class more, dealt last
  const folds: number[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const size = small + (i >= k - large ? 1 : 0);
    folds.push(order.slice(at, at + size).sort((p, q) => p - q));
    at += size;
  }
  return folds;
}
