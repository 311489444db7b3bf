/**
 * Train / validation / test splits, deterministic from a seed and stratified
 * (each class, or each pair label, is split in the same proportions), with
 * optional held-out classes for zero-shot evaluation and optional class-disjoint
 * validation (the protocol of face benchmarks, which split by identity).
 */
import { ContrastiveError, check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { exampleSize, type LabelledDataset, type PairDataset } from './types.js';
import { datasetWithExamples } from './examples.js';

/** Options of {@link splitDataset} and {@link splitPairs}. @group Data */
export interface SplitOptions {
  /** Seed of the shuffle; the same seed gives the same split. */
  seed: number;
  /** Fraction of each (seen) class in the validation split; default 0.1. */
  validation?: number;
  /** Fraction of each (seen) class in the test split; default 0.2. */
  test?: number;
}

/** Options of {@link splitDataset}. @group Data */
export interface DatasetSplitOptions extends SplitOptions {
  /** Classes kept out of train and validation entirely; all their examples go to test. */
  holdoutClasses?: readonly number[];
  /**
   * Class-disjoint validation: classes whose examples all go to validation, as a
   * list of class indices, or a fraction in (0, 1) of the classes that are not
   * held out (rounded, at least 2, chosen from the seed). Needs `holdoutClasses`:
   * the split is then disjoint by class (train = the other classes whole,
   * validation = these, test = the held-out classes), and the `validation` and
   * `test` fractions are not used.
   */
  validationClasses?: readonly number[] | number;
}

/** Example indices (ascending) of each split. @group Data */
export interface SplitIndices {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** The three parts of a split dataset, and which original examples each holds. @group Data */
export interface Split<D> {
  train: D;
  validation: D;
  test: D;
  /** Indices into the dataset that was split. */
  indices: SplitIndices;
}

/** A split {@link LabelledDataset}, with the classes that were held out. @group Data */
export interface DatasetSplit extends Split<LabelledDataset> {
  /** Sorted held-out classes (empty when none); they occur only in `test`. */
  holdoutClasses: number[];
  /** Sorted class-disjoint validation classes (empty when none); they occur only in `validation`. */
  validationClasses: number[];
}

function checkFractions(fn: string, options: SplitOptions): { validation: number; test: number; seed: number } {
  check(options !== null && typeof options === 'object', fn, 'options { seed } are required');
  const { seed } = options;
  check(Number.isInteger(seed), fn, `seed must be an integer, got ${seed}`);
  const validation = options.validation ?? 0.1;
  const test = options.test ?? 0.2;
  check(Number.isFinite(validation) && validation >= 0 && validation < 1, fn, `validation must be a fraction in [0, 1), got ${validation}`);
  check(Number.isFinite(test) && test >= 0 && test < 1, fn, `test must be a fraction in [0, 1), got ${test}`);
  check(validation + test < 1, fn, `validation + test must be below 1 to leave examples for training, got ${validation} + ${test}`);
  return { validation, test, seed };
}

/**
 * Splits one group of indices (one class, or one pair label) after shuffling:
 * round(n * test) to test, round(n * validation) to validation (capped by what
 * is left), the rest to train.
 */
function splitGroup(group: number[], rng: Rng, validation: number, test: number, out: { train: number[]; validation: number[]; test: number[] }): void {
  const perm = rng.shuffle(group.slice());
  const n = perm.length;
  const nTest = Math.min(n, Math.round(n * test));
  const nVal = Math.min(n - nTest, Math.round(n * validation));
  for (let k = 0; k < n; k++) {
    (k < nTest ? out.test : k < nTest + nVal ? out.validation : out.train).push(perm[k]);
  }
}

/** Salt of the generator that picks validation classes from a fraction (apart from the shuffle's stream); class folds deal the same order. */
export const VALIDATION_CLASS_SALT = 0x5eed_c1a5;

/** The validation classes of {@link splitDataset}: a checked list, or `fraction` of `candidates` picked from the seed. */
function pickValidationClasses(fn: string, spec: readonly number[] | number, candidates: number[], held: Set<number>, numClasses: number, seed: number): Set<number> {
  const out = new Set<number>();
  if (typeof spec === 'number') {
    check(Number.isFinite(spec) && spec > 0 && spec < 1, fn, `validationClasses as a fraction must be in (0, 1), got ${spec}`);
    const count = Math.max(2, Math.round(spec * candidates.length));
    check(
      count <= candidates.length - 2,
      fn,
      `validationClasses ${spec} of the ${candidates.length} classes not held out is ${count} classes, which leaves fewer than 2 classes to train on`,
    );
    const order = new Rng((seed ^ VALIDATION_CLASS_SALT) >>> 0).shuffle(candidates.slice());
    for (const c of order.slice(0, count)) out.add(c);
    return out;
  }
  check(Array.isArray(spec) || ArrayBuffer.isView(spec), fn, 'validationClasses must be an array of class indices or a fraction in (0, 1)');
  for (const c of spec) {
    check(Number.isInteger(c) && c >= 0 && c < numClasses, fn, `validationClasses: ${c} is not a class index in [0, ${numClasses})`);
    check(!out.has(c), fn, `validation classes: class ${c} is listed twice`);
    check(!held.has(c), fn, `validation classes: class ${c} is also a held-out class; a class belongs to one split only`);
    check(candidates.includes(c), fn, `validationClasses: class ${c} has no examples in this dataset`);
    out.add(c);
  }
  check(out.size >= 2, fn, `validationClasses [${[...out].join(', ')}]: class-disjoint validation needs at least 2 classes (a dissimilar pair needs two)`);
  check(candidates.length - out.size >= 2, fn, `validationClasses [${[...out].join(', ')}] leave fewer than 2 classes to train on`);
  return out;
}

function sortedIndices(list: number[]): Int32Array {
  return Int32Array.from(list).sort();
}

function checkIndices(fn: string, indices: ArrayLike<number>, count: number): void {
  check(indices !== null && typeof indices === 'object' && typeof indices.length === 'number', fn, 'indices must be an array of example indices');
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    check(Number.isInteger(i) && i >= 0 && i < count, fn, `indices[${k}] = ${i} is not an example index in [0, ${count})`);
  }
}

/**
 * The examples of `dataset` at `indices`, in that order (copies; repeats allowed).
 * Name, inputShape, numClasses and classNames are kept, so labels keep their meaning.
 * @group Data
 */
export function subsetDataset(dataset: LabelledDataset, indices: ArrayLike<number>): LabelledDataset {
  const size = exampleSize(dataset.inputShape);
  checkIndices('subsetDataset', indices, dataset.labels.length);
  if (dataset.examples) {
    // bytes stay bytes and files stay files: a split of a streamed folder reads the same files on demand
    const fields: Omit<LabelledDataset, 'x' | 'examples'> = {
      name: dataset.name,
      inputShape: dataset.inputShape.slice(),
      labels: Int32Array.from(indices, (i) => dataset.labels[i]),
      numClasses: dataset.numClasses,
    };
    if (dataset.classNames) fields.classNames = dataset.classNames.slice();
    if (dataset.sources) fields.sources = Array.from(indices, (i) => dataset.sources![i]);
    return datasetWithExamples(fields, dataset.examples.subset(indices));
  }
  const x = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(dataset.x.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = dataset.labels[i];
  }
  const out: LabelledDataset = { name: dataset.name, inputShape: dataset.inputShape.slice(), x, labels, numClasses: dataset.numClasses };
  if (dataset.classNames) out.classNames = dataset.classNames.slice();
  if (dataset.sources) out.sources = Array.from(indices, (i) => dataset.sources![i]);
  return out;
}

/**
 * The pairs of `pairs` at `indices`, in that order (repeats allowed), with the
 * examples they name copied once each (an example of two pairs is held once).
 * @group Data
 */
export function subsetPairs(pairs: PairDataset, indices: ArrayLike<number>): PairDataset {
  const size = exampleSize(pairs.inputShape);
  checkIndices('subsetPairs', indices, pairs.labels.length);
  const n = indices.length;
  const rowOf = new Map<number, number>();
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  const labels = new Uint8Array(n);
  const row = (r: number): number => {
    let k = rowOf.get(r);
    if (k === undefined) rowOf.set(r, (k = rowOf.size));
    return k;
  };
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    a[k] = row(pairs.a[i]);
    b[k] = row(pairs.b[i]);
    labels[k] = pairs.labels[i];
  }
  const x = new Float32Array(rowOf.size * size);
  for (const [r, k] of rowOf) x.set(pairs.x.subarray(r * size, (r + 1) * size), k * size);
  const out: PairDataset = { name: pairs.name, inputShape: pairs.inputShape.slice(), x, a, b, labels };
  if (pairs.sources) out.sources = Array.from(indices, (i) => pairs.sources![i]);
  return out;
}

/**
 * Splits `dataset` into train, validation and test, stratified per class and
 * deterministic from `seed`.
 *
 * Exactly: every class present is shuffled with the seeded generator (classes in
 * label order, each shuffled whether held out or not, so the split of a seen class
 * does not depend on which other classes are held out). For a seen class of n
 * examples, round(n * test) go to test, round(n * validation) to validation, the
 * rest to train. A held-out class goes to test whole; it never appears in train
 * or validation. So with holdoutClasses, `test` = the seen classes' test share
 * + every example of the held-out classes; select by label (or use
 * `indices.test` with the labels) to score seen and unseen classes apart.
 * Labels are not renumbered and numClasses is unchanged. Each part keeps the
 * dataset's order (indices ascending).
 *
 * With `validationClasses` (and `holdoutClasses`) the split is class-disjoint:
 * every example of a validation class goes to validation, every example of the
 * remaining classes to train, the held-out classes to test; no class is in two
 * splits, so early stopping and threshold calibration see classes that are
 * neither trained on nor tested. The shuffle stream is the same as without it.
 *
 * @throws ContrastiveError for a non-integer seed, fractions outside [0, 1) or
 *   summing to 1 or more, held-out classes that are not integers in
 *   [0, numClasses), repeated, or that cover every class present; validation
 *   classes without held-out classes, overlapping them, fewer than 2, or leaving
 *   fewer than 2 classes to train on.
 * @example
 * ```ts
 * import { splitDataset, type LabelledDataset } from 'contrastive';
 *
 * const labels = Int32Array.from({ length: 100 }, (_, i) => i % 5);
 * const data: LabelledDataset = { name: 'toy', inputShape: [3], x: new Float32Array(300), labels, numClasses: 5 };
 * // Classes 3 and 4 only in test (zero-shot); the rest stratified 70 / 10 / 20.
 * const { train, validation, test } = splitDataset(data, { seed: 1, holdoutClasses: [3, 4] });
 * console.log(train.labels.length, validation.labels.length, test.labels.length);
 * ```
 * @group Data
 */
export function splitDataset(dataset: LabelledDataset, options: DatasetSplitOptions): DatasetSplit {
  const fn = 'splitDataset';
  const { seed, validation, test } = checkFractions(fn, options);
  const { labels, numClasses } = dataset;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < numClasses)) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: dataset '${dataset.name}' example ${i} has label ${c} outside [0, ${numClasses})`);
    }
    let g = groups.get(c);
    if (!g) groups.set(c, (g = []));
    g.push(i);
  }
  const holdout = options.holdoutClasses ?? [];
  check(Array.isArray(holdout) || ArrayBuffer.isView(holdout), fn, 'holdoutClasses must be an array of class indices');
  const held = new Set<number>();
  for (const c of holdout) {
    check(Number.isInteger(c) && c >= 0 && c < numClasses, fn, `holdoutClasses: ${c} is not a class index in [0, ${numClasses})`);
    check(!held.has(c), fn, `held-out classes: class ${c} is listed twice`);
    held.add(c);
  }
  const present = [...groups.keys()].sort((p, q) => p - q);
  check(held.size === 0 || present.some((c) => !held.has(c)), fn, `holdoutClasses [${[...held].join(', ')}] leave no class for training`);

  let byClass = new Set<number>();
  if (options.validationClasses !== undefined) {
    check(
      held.size > 0,
      fn,
      'validationClasses needs holdoutClasses: with class-disjoint validation the test split is the held-out classes (no class may be in two splits)',
    );
    check(held.size >= 2, fn, `class-disjoint validation needs at least 2 holdoutClasses (the test split is then only those classes, and a dissimilar pair needs two); got [${[...held].join(', ')}]`);
    byClass = pickValidationClasses(fn, options.validationClasses, present.filter((c) => !held.has(c)), held, numClasses, seed);
  }

  const rng = new Rng(seed);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  const classDisjoint = byClass.size > 0;
  for (const c of present) {
    const group = groups.get(c)!;
    if (held.has(c) || classDisjoint) {
      rng.shuffle(group.slice()); // keep the generator's stream the same as without holdout
      (held.has(c) ? parts.test : byClass.has(c) ? parts.validation : parts.train).push(...group);
    } else {
      splitGroup(group, rng, validation, test, parts);
    }
  }
  const indices: SplitIndices = { train: sortedIndices(parts.train), validation: sortedIndices(parts.validation), test: sortedIndices(parts.test) };
  const holdoutClasses = [...held].sort((p, q) => p - q);
  const validationClasses = [...byClass].sort((p, q) => p - q);
  const part = (name: 'train' | 'validation' | 'test'): LabelledDataset => {
    // assigned, not spread: a dataset with an example store has `x` as an accessor, which a spread would leave out
    const out = subsetDataset(dataset, indices[name]);
    out.origin = { dataset: dataset.name, split: { part: name, seed, validation, test, holdoutClasses, ...(classDisjoint ? { validationClasses } : {}) } };
    return out;
  };
  return { train: part('train'), validation: part('validation'), test: part('test'), indices, holdoutClasses, validationClasses };
}

/** Examples of a class of `n` that {@link splitDataset} puts in `part` (the same rounding as splitGroup). */
function partSize(n: number, part: 'validation' | 'test', validation: number, test: number): number {
  const nTest = Math.min(n, Math.round(n * test));
  return part === 'test' ? nTest : Math.min(n - nTest, Math.round(n * validation));
}

/** The smallest class size that puts at least `count` examples in `part` (or null when none up to 10^6 does). */
function classSizeFor(count: number, part: 'validation' | 'test', validation: number, test: number): number | null {
  for (let n = count; n <= 1e6; n++) if (partSize(n, part, validation, test) >= count) return n;
  return null;
}

/**
 * Checks that the validation and test parts of a split can each give the
 * held-out pairs a training run draws from them: two classes (for a
 * dissimilar pair) and a class with two examples (for a similar one). A part
 * that cannot is an error saying which classes are too small to reach it and
 * how large a class must be at that fraction (round(n * fraction) examples of
 * a class of n go there), rather than a sampler's "labels hold no class".
 *
 * @throws ContrastiveError INVALID_DATA naming the part, the fraction and the short classes.
 */
export function checkHeldOutParts(dataset: LabelledDataset, split: DatasetSplit, fn = 'checkHeldOutParts'): void {
  const origin = split.validation.origin?.split;
  const validation = origin?.validation ?? 0.1;
  const test = origin?.test ?? 0.2;
  const nameOf = (c: number): string => `'${dataset.classNames?.[c] ?? c}'`;
  const sizes = new Map<number, number>();
  for (const c of dataset.labels) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  for (const part of ['validation', 'test'] as const) {
    const counts = new Map<number, number>();
    for (const c of split[part].labels) counts.set(c, (counts.get(c) ?? 0) + 1);
    const classes = counts.size;
    const pairable = [...counts.values()].some((k) => k >= 2);
    if (classes >= 2 && pairable) continue;
    const problem =
      classes === 0 ? 'it holds no example' : classes === 1 ? `it holds examples of one class only (${nameOf([...counts.keys()][0])})` : 'no class has two examples in it, so no same-class pair can be drawn';
    // Whole classes go to a part with held-out or class-disjoint validation classes: sizes then say nothing of fractions.
    const wholeClasses = split.holdoutClasses.length > 0 && (part === 'test' || split.validationClasses.length > 0);
    if (wholeClasses) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: the ${part} split of '${dataset.name}' cannot give held-out pairs: ${problem} (its classes are whole held-out classes: use more of them, or classes with more examples)`);
    }
    const fraction = part === 'validation' ? validation : test;
    const one = classSizeFor(1, part, validation, test);
    const two = classSizeFor(2, part, validation, test);
    const need = classes < 2 ? 1 : 2;
    const short = [...sizes.entries()]
      .filter(([c]) => (counts.get(c) ?? 0) < need && !split.holdoutClasses.includes(c))
      .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const listed = short.slice(0, 10).map(([c, n]) => `${nameOf(c)} (${n} example${n === 1 ? '' : 's'}, ${counts.get(c) ?? 0} in ${part})`).join(', ') + (short.length > 10 ? `, ... (${short.length - 10} more)` : '');
    throw new ContrastiveError(
      'INVALID_DATA',
      `${fn}: '${dataset.name}' is too small for its ${part} split (${fraction} of each class): ${problem}. ` +
        `round(n x ${fraction}) examples of a class of n go there, so a class needs ${one ?? '-'}+ examples to reach it and ${two ?? '-'}+ to give a same-class pair; ` +
        `short: ${listed}. Add examples to those classes`,
    );
  }
}

/**
 * Splits a {@link PairDataset} into train, validation and test, stratified by
 * pair label (similar and dissimilar pairs each split in the given proportions)
 * and deterministic from `seed`; same rounding as {@link splitDataset}. Pairs
 * are split, not images: an image used by two pairs may land in two splits.
 * @group Data
 */
export function splitPairs(pairs: PairDataset, options: SplitOptions): Split<PairDataset> {
  const fn = 'splitPairs';
  const { seed, validation, test } = checkFractions(fn, options);
  const groups: [number[], number[]] = [[], []];
  for (let i = 0; i < pairs.labels.length; i++) {
    const l = pairs.labels[i];
    if (l !== 0 && l !== 1) throw new ContrastiveError('INVALID_DATA', `${fn}: pair ${i} of '${pairs.name}' has label ${l}, expected 0 (similar) or 1 (dissimilar)`);
    groups[l].push(i);
  }
  const rng = new Rng(seed);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const g of groups) splitGroup(g, rng, validation, test, parts);
  const indices: SplitIndices = { train: sortedIndices(parts.train), validation: sortedIndices(parts.validation), test: sortedIndices(parts.test) };
  const part = (name: 'train' | 'validation' | 'test'): PairDataset => ({
    ...subsetPairs(pairs, indices[name]),
    origin: { dataset: pairs.name, split: { part: name, seed, validation, test, holdoutClasses: [] } },
  });
  return { train: part('train'), validation: part('validation'), test: part('test'), indices };
}

/**
 * Parses a class list such as '5,6,7,8,9' or '5-9' (comma-separated integers
 * and inclusive ranges, spaces allowed), as given to `--holdout-classes`.
 * Returns the classes sorted ascending.
 *
 * @throws ContrastiveError for an empty list, an entry that is not an integer
 *   or range, a class outside [0, numClasses), a repeated class, or a list
 *   naming every class (nothing would be left to train on).
 * @group Data
 */
export function parseClassList(text: string, numClasses: number): number[] {
  const fn = 'parseClassList';
  check(typeof text === 'string', fn, `expected a string such as '5,6,7,8,9', got ${typeof text}`);
  check(Number.isInteger(numClasses) && numClasses >= 1, fn, `numClasses must be a positive integer, got ${numClasses}`);
  const entries = text.split(',').map((s) => s.trim());
  check(text.trim() !== '', fn, `empty class list (expected e.g. '5,6,7,8,9' or '5-9')`);
  const seen = new Set<number>();
  const add = (c: number, entry: string): void => {
    check(c < numClasses, fn, `'${entry}' in '${text}': class ${c} is outside [0, ${numClasses})`);
    check(!seen.has(c), fn, `'${text}': class ${c} is listed twice`);
    seen.add(c);
  };
  for (const entry of entries) {
    const single = /^\d+$/.exec(entry);
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(entry);
    if (single) add(Number(entry), entry);
    else if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      check(lo <= hi, fn, `'${entry}' in '${text}': range start ${lo} is above its end ${hi}`);
      for (let c = lo; c <= hi; c++) add(c, entry);
    } else {
      check(false, fn, `'${entry}' in '${text}' is not a class index (a non-negative integer) or a range like 5-9`);
    }
  }
  check(seen.size < numClasses, fn, `'${text}' names all ${numClasses} classes; at least one class must remain for training`);
  return [...seen].sort((p, q) => p - q);
}
