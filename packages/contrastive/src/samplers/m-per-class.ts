/**
 * Class-balanced batches: m examples of each of batchSize / m classes per batch,
 * as pytorch-metric-learning's MPerClassSampler (with its batch_size argument).
 * In-batch miners need this: a uniformly drawn batch of a 1,000-class dataset
 * holds almost no similar pairs.
 */
import { check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { checkSeed, groupByClass } from './classes.js';

/** Options of {@link mPerClassSampler}. @group Samplers */
export interface MPerClassSamplerOptions {
  /** Examples per class in each batch, >= 1. */
  m: number;
  /** Batch size: a multiple of m, at least 2 * m, at most m * (number of classes). */
  batchSize: number;
  /** Seed of every random choice. */
  seed: number;
  /**
   * Number of indices in one epoch (PML's `length_before_new_iter`), rounded down
   * to a multiple of batchSize. Default: the number of examples (at least one batch).
   */
  lengthBeforeNewIter?: number;
}

/** m distinct positions in [0, k) (Floyd's algorithm), in random order. */
function sampleDistinct(k: number, m: number, rng: Rng): number[] {
  const chosen = new Set<number>();
  for (let j = k - m; j < k; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return rng.shuffle([...chosen]);
}

/**
 * One epoch of class-balanced batches. Each batch draws batchSize / m different
 * classes at random, then m examples of each (without replacement, or with
 * replacement when a class has fewer than m); the m examples of a class sit next
 * to each other in the batch, as in PML. Returns `floor(length / batchSize)`
 * batches of example indices; the same labels and options give the same batches.
 *
 * @throws ContrastiveError when batchSize is smaller than 2 * m, not a multiple of
 *   m, larger than m * (number of classes), or lengthBeforeNewIter < batchSize.
 * @example
 * ```ts
 * import { mPerClassSampler } from 'contrastive';
 *
 * const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
 * // Batches of 4: 2 examples of each of 2 classes, 12 indices per epoch.
 * const batches = mPerClassSampler(labels, { m: 2, batchSize: 4, seed: 1 });
 * console.log(batches.map((b) => Array.from(b, (k) => labels[k]))); // three batches like [c, c, d, d]
 * ```
 * @group Samplers
 */
export function mPerClassSampler(labels: ArrayLike<number>, options: MPerClassSamplerOptions): Int32Array[] {
  const fn = 'mPerClassSampler';
  check(options != null, fn, 'options { m, batchSize, seed } are required');
  const { m, batchSize, seed } = options;
  check(Number.isInteger(m) && m >= 1, fn, `m (examples per class) must be an integer >= 1, got ${m}`);
  check(Number.isInteger(batchSize) && batchSize >= 1, fn, `batchSize must be an integer >= 1, got ${batchSize}`);
  check(
    batchSize >= 2 * m,
    fn,
    `batch size ${batchSize} is smaller than m per class (${m}) x 2: a batch needs at least 2 classes for dissimilar pairs`,
  );
  check(batchSize % m === 0, fn, `batch size ${batchSize} is not a multiple of m per class (${m})`);
  checkSeed(fn, seed);
  const { classes, members } = groupByClass(fn, labels);
  check(
    m * classes.length >= batchSize,
    fn,
    `batch size ${batchSize} needs ${batchSize / m} classes of ${m} examples but labels hold ${classes.length} class${classes.length === 1 ? '' : 'es'}`,
  );
  const length = options.lengthBeforeNewIter ?? Math.max(labels.length, batchSize);
  check(
    Number.isInteger(length) && length >= batchSize,
    fn,
    `lengthBeforeNewIter must be an integer >= batch size ${batchSize}, got ${length}`,
  );
  const rng = new Rng(seed);
  const order = members.map((_, c) => c);
  const classesPerBatch = batchSize / m;
  const batches: Int32Array[] = [];
  for (let b = 0; b < Math.floor(length / batchSize); b++) {
    rng.shuffle(order);
    const batch = new Int32Array(batchSize);
    for (let q = 0; q < classesPerBatch; q++) {
      const group = members[order[q]];
      const picks =
        group.length >= m
          ? sampleDistinct(group.length, m, rng)
          : Array.from({ length: m }, () => rng.int(group.length));
      picks.forEach((pos, r) => (batch[q * m + r] = group[pos]));
    }
    batches.push(batch);
  }
  return batches;
}
