/**
 * The shapes datasets take in memory. Every loader returns one of these; the
 * samplers, the trainer and the evaluators consume them.
 */

/** Examples with class labels (mnist, fashion-mnist, idx:DIR, folder:DIR). @group Data */
export interface LabelledDataset {
  /** Short name, e.g. 'mnist' or 'folder:/data/faces'. */
  name: string;
  /** Shape of one example, e.g. [28, 28, 1] for images or [784] for flat vectors. */
  inputShape: number[];
  /** All examples, row-major: `count * product(inputShape)` floats. */
  x: Float32Array;
  /** Class index of each example, in [0, numClasses). */
  labels: Int32Array;
  /** Number of classes. */
  numClasses: number;
  /** Optional human-readable class names (folder names), indexed by label. */
  classNames?: string[];
  /** Optional source of each example (file path or 'mnist:test:123'), for messages and reports. */
  sources?: string[];
  /** Files a loader left out because they could not be decoded (only when asked to skip them), with the reason. */
  skipped?: { file: string; reason: string }[];
  /** Which split of which dataset these examples are (set by splitDataset), so a trained model can record it. */
  origin?: DataOrigin;
  /**
   * Where the examples are when they are not a float32 `x`: 8-bit pixels in memory or
   * image files read on demand (see `datasetWithExamples`). The trainer, splits and
   * evaluators read rows through it (`examplesOf(dataset)`); absent, `x` is the examples.
   */
  examples?: ExampleStore;
}

/** How an {@link ExampleStore} holds its examples. @group Data */
export type ExampleStorage = 'float32' | 'uint8' | 'stream';

/**
 * A dataset's examples, read by row: `count` rows of `exampleSize` floats.
 * @group Data
 */
export interface ExampleStore {
  /** How the examples are held. */
  readonly storage: ExampleStorage;
  /** Number of examples (rows). */
  readonly count: number;
  /** Floats in one example. */
  readonly exampleSize: number;
  /** True when {@link ExampleStore.readSync} works: every example is in memory. */
  readonly resident: boolean;
  /** Bytes the store holds in memory now (for a streamed store: its cache). */
  readonly bytes: number;
  /**
   * Copies rows `rows` (in that order, repeats allowed) as float32 into `out`
   * from float `offset` (a new buffer when `out` is left out) and returns it.
   */
  read(rows: ArrayLike<number>, out?: Float32Array, offset?: number): Promise<Float32Array>;
  /**
   * {@link ExampleStore.read} without waiting.
   * @throws ContrastiveError UNSUPPORTED when the store is not resident (streamed from disk).
   */
  readSync(rows: ArrayLike<number>, out?: Float32Array, offset?: number): Float32Array;
  /** The examples at `rows`, in that order, as a store of the same kind (a streamed store shares its files and cache). */
  subset(rows: ArrayLike<number>): ExampleStore;
}

/** Where a split's examples came from: the dataset, and how splitDataset / splitPairs split it. @group Data */
export interface DataOrigin {
  /** The dataset's name (its spec, e.g. 'mnist' or 'folder:/data/faces'). */
  dataset: string;
  /** `validationClasses`: the class-disjoint validation classes, when the split has them. */
  split: { part: 'train' | 'validation' | 'test'; seed: number; validation: number; test: number; holdoutClasses: number[]; validationClasses?: number[] };
}

/**
 * Pairs with similarity labels only, no classes (pairs:FILE.csv).
 * Label convention: 0 = similar, 1 = dissimilar.
 *
 * The examples are held once each, however many pairs name them: a pair is two
 * row numbers into `x` (a CSV of 100,000 rows over two images holds two images).
 * @group Data
 */
export interface PairDataset {
  name: string;
  inputShape: number[];
  /** The distinct examples the pairs name, row-major: `examples * product(inputShape)` floats. */
  x: Float32Array;
  /** Row of `x` of the first element of each pair. */
  a: Int32Array;
  /** Row of `x` of the second element of each pair. */
  b: Int32Array;
  /** 0 similar, 1 dissimilar, one per pair. */
  labels: Uint8Array;
  /** Optional source description of each pair (e.g. 'pairs.csv:12'). */
  sources?: string[];
  /** Which split of which dataset these pairs are (set by splitPairs). */
  origin?: DataOrigin;
}

// Index pairs live with the samplers that draw them (a layer below data); re-exported for the datasets' users.
export type { IndexPairs } from '../samplers/index-pairs.js';

/** Number of floats in one example of the given shape. @group Data */
export function exampleSize(inputShape: readonly number[]): number {
  return inputShape.reduce((a, b) => a * b, 1);
}

/** True when `dataset` is a {@link PairDataset} (pairs:FILE.csv) rather than a {@link LabelledDataset}. */
export function isPairDataset(dataset: LabelledDataset | PairDataset): dataset is PairDataset {
  return 'a' in dataset && 'b' in dataset;
}
