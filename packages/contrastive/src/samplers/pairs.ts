/**
 * Offline pair construction from class labels (the pairs of a Siamese network's training set):
 * a fixed list of similar (label 0) and dissimilar (label 1) index pairs, with a
 * chosen positive:negative ratio, seeded.
 */
import type { IndexPairs } from './index-pairs.js';
import { ContrastiveError, check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { checkSeed, groupByClass } from './classes.js';

/** Options of {@link makePairs}. @group Samplers */
export interface MakePairsOptions {
  /** Total number of pairs, >= 1. */
  count: number;
  /** Share of similar pairs, in (0, 1). Default 0.5 (1:1). */
  positiveFraction?: number;
  /** Seed of every random choice. */
  seed: number;
  /**
   * true (default): every class with at least 2 members gives the same number of
   * similar pairs, as far as its number of distinct pairs allows (the rest goes to
   * the larger classes). false: similar pairs are drawn in proportion to each
   * class's number of distinct pairs, i.e. roughly uniformly over all similar pairs.
   */
  balancePerClass?: boolean;
}

/** Number of distinct unordered pairs among k members. */
const pairCount = (k: number): number => (k * (k - 1)) / 2;

/**
 * Splits `total` over classes as equally as possible without exceeding any
 * class's capacity (water filling); the classes that get one extra are chosen at
 * random. Assumes `total <= sum(caps)`.
 */
function equalQuotas(caps: number[], total: number, rng: Rng): number[] {
  const quotas = new Array<number>(caps.length).fill(0);
  const bySize = caps.map((_, c) => c).sort((a, b) => caps[a] - caps[b] || a - b);
  let left = total;
  let k = 0;
  // small classes that cannot reach the equal share give all they have
  for (; k < bySize.length; k++) {
    const share = Math.floor(left / (bySize.length - k));
    if (caps[bySize[k]] > share) break;
    quotas[bySize[k]] = caps[bySize[k]];
    left -= caps[bySize[k]];
  }
  const rest = rng.shuffle(bySize.slice(k));
  const share = Math.floor(left / Math.max(rest.length, 1));
  rest.forEach((c, r) => (quotas[c] = share + (r < left - share * rest.length ? 1 : 0)));
  return quotas;
}

/** Splits `total` over classes in proportion to their capacities, capped (multinomial draws). */
function proportionalQuotas(caps: number[], total: number, rng: Rng, capped: boolean): number[] {
  const quotas = new Array<number>(caps.length).fill(0);
  let left = total;
  while (left > 0) {
    const open = caps.map((_, c) => c).filter((c) => !capped || quotas[c] < caps[c]);
    const cumulative: number[] = [];
    let sum = 0;
    for (const c of open) cumulative.push((sum += caps[c]));
    const draws = left;
    for (let t = 0; t < draws; t++) {
      const u = rng.next() * sum;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      const c = open[lo];
      if (!capped || quotas[c] < caps[c]) {
        quotas[c]++;
        left--;
      }
    }
  }
  return quotas;
}

/** Two distinct positions in [0, k), uniformly. */
function distinctTwo(k: number, rng: Rng): [number, number] {
  const a = rng.int(k);
  let b = rng.int(k - 1);
  if (b >= a) b++;
  return [a, b];
}

/**
 * Appends `quota` similar pairs from one class: distinct unordered pairs while the
 * class has enough, then repeats drawn at random; each pair in random orientation.
 */
function classPairs(members: Int32Array, quota: number, rng: Rng, out: number[]): void {
  const k = members.length;
  const cap = pairCount(k);
  const push = (a: number, b: number): void => {
    if (rng.next() < 0.5) out.push(members[a], members[b]);
    else out.push(members[b], members[a]);
  };
  const distinct = Math.min(quota, cap);
  if (distinct * 2 <= cap) {
    // sparse: rejection against the pairs already taken
    const seen = new Set<number>();
    while (seen.size < distinct) {
      const [a, b] = distinctTwo(k, rng);
      const key = Math.min(a, b) * k + Math.max(a, b);
      if (seen.has(key)) continue;
      seen.add(key);
      push(a, b);
    }
  } else {
    // dense: enumerate all pairs, take a random subset (partial Fisher-Yates)
    const all: number[] = [];
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) all.push(a * k + b);
    for (let t = 0; t < distinct; t++) {
      const s = t + rng.int(all.length - t);
      [all[t], all[s]] = [all[s], all[t]];
      push(Math.floor(all[t] / k), all[t] % k);
    }
  }
  for (let t = distinct; t < quota; t++) push(...distinctTwo(k, rng));
}

/**
 * Builds `count` index pairs from class labels: `round(count * positiveFraction)`
 * similar pairs (label 0, two different examples of one class) and the rest
 * dissimilar pairs (label 1). Similar pairs come from classes with at least 2
 * members (singleton classes are skipped), balanced per class by default, and are
 * distinct while the classes have enough distinct pairs. A dissimilar pair picks
 * two different classes uniformly, then one member of each uniformly; repeated
 * pairs are avoided where a few redraws of the members allow. No pair joins an example with itself. The
 * returned pairs are shuffled; the same labels and options give the same pairs.
 *
 * @throws ContrastiveError on fewer than 2 classes, no class with 2 members (when
 *   similar pairs are wanted), count < 1, positiveFraction outside (0, 1).
 * @example
 * ```ts
 * import { makePairs } from 'contrastive';
 *
 * const labels = [0, 0, 0, 1, 1, 1, 2, 2];
 * const pairs = makePairs(labels, { count: 6, seed: 7 }); // half similar (label 0), half dissimilar (1)
 * for (let k = 0; k < pairs.labels.length; k++) console.log(pairs.i[k], pairs.j[k], pairs.labels[k]);
 * ```
 * @group Samplers
 */
export function makePairs(labels: ArrayLike<number>, options: MakePairsOptions): IndexPairs {
  const fn = 'makePairs';
  check(options != null, fn, 'options { count, seed } are required');
  const { count, positiveFraction = 0.5, seed, balancePerClass = true } = options;
  check(Number.isInteger(count) && count >= 1, fn, `count must be an integer >= 1, got ${count}`);
  check(
    typeof positiveFraction === 'number' && positiveFraction > 0 && positiveFraction < 1,
    fn,
    `positiveFraction must be in (0, 1), got ${positiveFraction}`,
  );
  checkSeed(fn, seed);
  const { classes, members } = groupByClass(fn, labels);
  if (classes.length < 2) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${fn}: labels hold ${classes.length === 0 ? 'no class' : `only one class (${classes[0]})`}; dissimilar pairs need at least 2 classes`,
    );
  }
  const nPos = Math.round(count * positiveFraction);
  const nNeg = count - nPos;
  const root = new Rng(seed);
  const posRng = root.fork();
  const negRng = root.fork();
  const orderRng = root.fork();

  const flat: number[] = []; // i0, j0, i1, j1, ...
  if (nPos > 0) {
    const eligible = members.filter((m) => m.length >= 2);
    if (eligible.length === 0) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${fn}: no class has 2 members, so no similar pair can be made (${classes.length} classes of one example each)`,
      );
    }
    const caps = eligible.map((m) => pairCount(m.length));
    const enough = caps.reduce((a, b) => a + b, 0) >= nPos;
    const quotas = balancePerClass
      ? enough
        ? equalQuotas(caps, nPos, posRng)
        : equalQuotas(caps.map(() => Infinity), nPos, posRng)
      : proportionalQuotas(caps, nPos, posRng, enough);
    eligible.forEach((m, c) => classPairs(m, quotas[c], posRng, flat));
  }

  const n = labels.length;
  const seen = new Set<number>();
  for (let t = 0; t < nNeg; t++) {
    // the class pair is drawn once (uniform); only members are redrawn to avoid repeats
    const [c1, c2] = distinctTwo(classes.length, negRng);
    let i = 0;
    let j = 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      i = members[c1][negRng.int(members[c1].length)];
      j = members[c2][negRng.int(members[c2].length)];
      if (!seen.has(Math.min(i, j) * n + Math.max(i, j))) break;
    }
    seen.add(Math.min(i, j) * n + Math.max(i, j));
    flat.push(i, j);
  }

  // shuffle pair order so positives and negatives interleave
  const order = orderRng.shuffle(Array.from({ length: count }, (_, k) => k));
  const out: IndexPairs = { i: new Int32Array(count), j: new Int32Array(count), labels: new Uint8Array(count) };
  order.forEach((src, dst) => {
    out.i[dst] = flat[2 * src];
    out.j[dst] = flat[2 * src + 1];
    out.labels[dst] = src < nPos ? 0 : 1;
  });
  return out;
}
