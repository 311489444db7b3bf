/**
 * Cohort score normalisation (S-norm), as speaker and face verification use it:
 * a pair's distance is measured in units of how far each of its two examples
 * lies from a cohort of other examples of the same domain (unlabelled, assumed
 * to be of other classes), so one threshold means the same on domains whose
 * distances sit on different scales.
 *
 *   s(a, b) = ½ [(d(a, b) - μ_a) / σ_a + (d(a, b) - μ_b) / σ_b]
 *
 * where μ_x and σ_x are the mean and standard deviation of x's distances to the
 * cohort (Kenny 2010; Matějka et al. 2017 for the symmetric form). Smaller is
 * more similar, as with a distance; a threshold on s is a number of standard
 * deviations below the cohort's typical distance.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { checkDistanceName, type DistanceName } from '../distances/index.js';
import { COSINE_EPS } from '../distances/pair-distances.js';
import { Rng } from '../util/rng.js';
import { cohortMeanStd, sNorm } from '../util/s-norm.js';

/** Each row's mean and standard deviation of its distances to a cohort. @group Evaluation */
export interface CohortStatistics {
  mean: Float64Array;
  std: Float64Array;
}

/** Rows of a chunk of the distance matrix: bounds memory at CHUNK x cohort floats. */
const CHUNK = 1024;

function checkRows(x: Float32Array, dim: number, what: string, fn: string): number {
  check(x instanceof Float32Array, fn, `${what} must be a Float32Array of rows`);
  check(Number.isInteger(dim) && dim > 0, fn, `dim must be a positive integer, got ${dim}`);
  check(x.length % dim === 0, fn, `${what} has ${x.length} values, not a whole number of ${dim}-d rows`);
  for (let i = 0; i < x.length; i++) check(Number.isFinite(x[i]), fn, `${what} holds a non-finite value at row ${Math.floor(i / dim)}`);
  return x.length / dim;
}

/**
 * The mean and standard deviation of each row of `embeddings` over its
 * distances to the rows of `cohort` (an exact copy of the row in the cohort is
 * left out). `distance` is the network's distance ('euclidean' by default).
 *
 * @throws ContrastiveError for rows that are not whole `dim`-d rows, non-finite
 *   values, or a cohort of fewer than 2 rows.
 * @group Evaluation
 */
export function cohortStatistics(embeddings: Float32Array, cohort: Float32Array, dim: number, distance: DistanceName = 'euclidean'): CohortStatistics {
  const fn = 'cohortStatistics';
  checkDistanceName(distance, fn);
  const n = checkRows(embeddings, dim, 'embeddings', fn);
  const c = checkRows(cohort, dim, 'cohort', fn);
  check(c >= 2, fn, `the cohort needs at least 2 rows, got ${c}`);
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  // Euclidean distances do not change under a shift: centring on the cohort's mean keeps
  // |a|^2 + |c|^2 - 2ac from cancelling for embeddings far from the origin.
  const centre = new Float32Array(dim);
  if (distance !== 'cosine') {
    for (let r = 0; r < c; r++) for (let k = 0; k < dim; k++) centre[k] += cohort[r * dim + k] / c;
  }
  const C = tf.tidy(() => prepare(tf.tensor2d(cohort, [c, dim]), centre, distance));
  try {
    for (let s = 0; s < n; s += CHUNK) {
      const e = Math.min(n, s + CHUNK);
      const D = tf.tidy(() => {
        const A = prepare(tf.tensor2d(embeddings.subarray(s * dim, e * dim), [e - s, dim]), centre, distance);
        return matrix(A, C, distance).dataSync() as Float32Array;
      });
      for (let r = 0; r < e - s; r++) {
        const st = cohortMeanStd(D, r * c, (r + 1) * c);
        mean[s + r] = st.mean;
        std[s + r] = st.std;
      }
    }
  } finally {
    C.dispose();
  }
  return { mean, std };
}

/** Rows ready for {@link matrix}: centred (Euclidean) or unit-length (cosine). */
function prepare(x: tf.Tensor2D, centre: Float32Array, distance: DistanceName): tf.Tensor2D {
  if (distance === 'cosine') return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), COSINE_EPS));
  return tf.sub(x, tf.tensor1d(centre));
}

/** The [n, c] distance matrix of prepared rows. */
function matrix(a: tf.Tensor2D, c: tf.Tensor2D, distance: DistanceName): tf.Tensor2D {
  const dot = tf.matMul(a, c, false, true);
  if (distance === 'cosine') return tf.sub(1, dot);
  const sq = tf.relu(tf.sub(tf.add(tf.sum(tf.square(a), 1, true), tf.reshape(tf.sum(tf.square(c), 1), [1, -1])), tf.mul(2, dot))) as tf.Tensor2D;
  return distance === 'euclidean' ? tf.sqrt(sq) : sq;
}


/**
 * S-normalised scores of pairs: for pair k, rows `ia[k]` and `ib[k]` with
 * distance `distances[k]`, ½[(d - μ_a)/σ_a + (d - μ_b)/σ_b], with (μ, σ) from
 * {@link cohortStatistics} of the rows (`a` for the first rows, `b` for the
 * second, often the same statistics).
 *
 * @throws ContrastiveError when lengths disagree or an index is out of range.
 * @example
 * ```ts
 * import { cohortStatistics, sNormScores } from 'contrastive';
 *
 * // Two 2-d rows and a cohort of four: the pair's distance in cohort units.
 * const rows = Float32Array.from([0, 0, 0.2, 0]);
 * const cohort = Float32Array.from([1, 0, -1, 0, 0, 2, 0, -2]);
 * const stats = cohortStatistics(rows, cohort, 2);
 * console.log(sNormScores([0.2], [0], [1], stats, stats)[0]); // about -2.5: 2.5 standard deviations closer than the cohort
 * ```
 * @group Evaluation
 */
export function sNormScores(
  distances: ArrayLike<number>,
  ia: ArrayLike<number>,
  ib: ArrayLike<number>,
  a: CohortStatistics,
  b: CohortStatistics = a,
): Float64Array {
  const fn = 'sNormScores';
  const n = distances.length;
  check(ia.length === n && ib.length === n, fn, `distances, ia and ib must have one entry per pair (got ${n}, ${ia.length}, ${ib.length})`);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = ia[k];
    const j = ib[k];
    check(Number.isInteger(i) && i >= 0 && i < a.mean.length, fn, `ia[${k}] = ${i} is not a row of the first statistics (${a.mean.length} rows)`);
    check(Number.isInteger(j) && j >= 0 && j < b.mean.length, fn, `ib[${k}] = ${j} is not a row of the second statistics (${b.mean.length} rows)`);
    const d = distances[k];
    out[k] = sNorm(d, a.mean[i], a.std[i], b.mean[j], b.std[j]);
  }
  return out;
}

/**
 * `size` rows of `embeddings` (`dim` values each) drawn without replacement
 * with `seed`, in ascending order: a cohort for {@link cohortStatistics}. All
 * rows when there are no more than `size`.
 * @group Evaluation
 */
export function drawCohort(embeddings: Float32Array, dim: number, size: number, seed: number): Float32Array {
  const fn = 'drawCohort';
  const n = checkRows(embeddings, dim, 'embeddings', fn);
  check(Number.isInteger(size) && size >= 2, fn, `size must be an integer >= 2, got ${size}`);
  check(Number.isFinite(seed), fn, `seed must be a number, got ${seed}`);
  if (n <= size) return embeddings.slice();
  const order = new Rng(seed >>> 0).shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, size).sort((x, y) => x - y);
  const out = new Float32Array(size * dim);
  order.forEach((r, k) => out.set(embeddings.subarray(r * dim, (r + 1) * dim), k * dim));
  return out;
}

/**
 * S-normalised scores of pairs of rows of `embeddings` (pair k: rows `ia[k]`
 * and `ib[k]`, distance `distances[k]`) against `cohort`: the statistics of
 * only the rows the pairs use are computed.
 *
 * @throws ContrastiveError as {@link cohortStatistics} and {@link sNormScores}.
 * @group Evaluation
 */
export function sNormPairs(
  embeddings: Float32Array,
  dim: number,
  ia: ArrayLike<number>,
  ib: ArrayLike<number>,
  distances: ArrayLike<number>,
  cohort: Float32Array,
  distance: DistanceName = 'euclidean',
): Float64Array {
  const fn = 'sNormPairs';
  const n = checkRows(embeddings, dim, 'embeddings', fn);
  check(ia.length === ib.length, fn, `ia and ib must have one entry per pair (got ${ia.length} and ${ib.length})`);
  const at = new Map<number, number>();
  for (const list of [ia, ib]) {
    for (let k = 0; k < list.length; k++) {
      const r = list[k];
      check(Number.isInteger(r) && r >= 0 && r < n, fn, `row ${r} of a pair is not a row of embeddings (${n} rows)`);
      if (!at.has(r)) at.set(r, at.size);
    }
  }
  const used = new Float32Array(at.size * dim);
  for (const [r, k] of at) used.set(embeddings.subarray(r * dim, (r + 1) * dim), k * dim);
  const stats = cohortStatistics(used, cohort, dim, distance);
  return sNormScores(distances, Int32Array.from(ia, (r) => at.get(r)!), Int32Array.from(ib, (r) => at.get(r)!), stats);
}
