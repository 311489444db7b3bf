/**
 * Verification of one pair with a saved bundle (`contrastive verify`): each
 * side is an image file or a named row of a dataset; the answer is the
 * distance, the threshold, the decision and p(same).
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { decodeImage, decodeImageBytes, loadDataset } from '@contrastive/node/internal/data/index.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';
import { scorePairs } from 'contrastive/internal/eval/held-out-pairs.js';
import { probabilitySame } from 'contrastive/internal/eval/calibration.js';
import { sNormPairs } from 'contrastive/internal/eval/score-norm.js';
import { readBundleCohort } from '@contrastive/node/internal/models/bundle.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { headOf, runSplitOf, type OpenBundle } from './evaluate-bundle.js';
import { splitDataset, exampleSize } from 'contrastive/internal/data/index.js';

/**
 * One side of a pair. A row named with a split has one meaning for every dataset:
 * row `index` of that split as the bundle's training run split the dataset.
 * - `{ kind: 'file', path }`: an image file, decoded and resized as the bundle's preprocessing says;
 * - `{ kind: 'bytes', bytes, name }`: an image held in memory (an upload), decoded like a file; `name` is for messages;
 * - `{ kind: 'row', dataset, index }`: row `index` of the dataset as loadDataset loads it
 *   (mnist: the 10,000 digits; fashion-mnist: the 60,000 rows of its train file);
 * - `{ kind: 'row', dataset, part: 'train' | 'validation' | 'test', index }`: row `index` of that
 *   split of the dataset as the bundle's training run split it (the bundle must have been trained on it);
 * - `{ kind: 'row', dataset: 'fashion-mnist', part: 't10k', index }`: row `index` of the
 *   Fashion-MNIST test file (t10k-images-idx3-ubyte, 10,000 rows).
 * @group Evaluation
 */
export type PairInput =
  | { kind: 'file'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array; name: string }
  | { kind: 'row'; dataset: 'mnist' | 'fashion-mnist'; part?: 'train' | 'validation' | 'test' | 't10k'; index: number };

/** What {@link verifyPair} returns. @group Evaluation */
export interface VerifyResult {
  /** Distance of the pair (for a cross-entropy bundle, the head's negated logit). */
  distance: number;
  /** The threshold applied: the one passed, else the bundle's. */
  threshold: number;
  /** score <= threshold. */
  same: boolean;
  /**
   * The number the threshold applies to: the distance, or for a bundle with
   * `scoreNorm` (cohort S-norm) the pair's S-normalised score against the bundle's cohort.
   */
  score: number;
  /** p(same | distance) from the bundle's Platt parameters, or null when it has none. */
  probability: number | null;
}

/** Options of {@link verifyPair} and {@link readPairInput}. @group Evaluation */
export interface VerifyOptions {
  /** Overrides the bundle's threshold. */
  threshold?: number;
  /** Folder of the Fashion-MNIST files for fashion-mnist rows (default: the run's, else the Debian location). */
  dataDir?: string;
}

const FN = 'verify';

/** The text form of an input, for messages. @group Evaluation */
export function describePairInput(input: PairInput): string {
  if (input.kind === 'bytes') return input.name;
  return input.kind === 'file' ? input.path : [input.dataset, input.part, input.index].filter((p) => p !== undefined).join(':');
}

async function datasetRows(bundle: OpenBundle, input: Extract<PairInput, { kind: 'row' }>, options: VerifyOptions): Promise<LabelledDataset> {
  const name = describePairInput(input);
  const training = bundle.manifest.training as { dataset?: string; load?: { dataDir?: string } } | null;
  const dataDir = input.dataset === 'fashion-mnist' ? (options.dataDir ?? (training?.dataset === 'fashion-mnist' ? training.load?.dataDir : undefined)) : undefined;
  if (input.part === 't10k') {
    check(input.dataset === 'fashion-mnist', FN, `'${name}': only fashion-mnist has a t10k file; name an MNIST row as mnist:INDEX or mnist:SPLIT:INDEX`);
    return (await loadDataset('fashion-mnist', { dataDir, split: 'test' })) as LabelledDataset;
  }
  const whole = (await loadDataset(input.dataset, dataDir === undefined ? {} : { dataDir })) as LabelledDataset;
  if (input.part === undefined) return whole;
  const trainedOn = training?.dataset;
  if (trainedOn !== input.dataset) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${FN}: '${name}' names a row of the ${input.part} split of the bundle's training run, but the bundle was trained on ${trainedOn ? `'${trainedOn}'` : 'unknown data'}; name the row as ${input.dataset}:INDEX${input.dataset === 'fashion-mnist' ? ' or fashion-mnist:t10k:INDEX' : ''}`,
    );
  }
  const s = await runSplitOf(bundle);
  return splitDataset(whole, { seed: s.seed, validation: s.validation, test: s.test, holdoutClasses: s.holdoutClasses, validationClasses: s.validationClasses?.length ? s.validationClasses : undefined })[input.part];
}

/**
 * Reads one side of a pair as model input (one example, preprocessed).
 *
 * @throws ContrastiveError for a missing or undecodable file, a row index out of
 *   range, or an input whose shape the bundle does not take.
 * @group Evaluation
 */
export async function readPairInput(bundle: OpenBundle, input: PairInput, options: VerifyOptions = {}): Promise<Float32Array> {
  const { manifest } = bundle;
  const p = manifest.input.preprocessing;
  const shape = manifest.input.shape;
  const name = describePairInput(input);
  if (input.kind === 'file' || input.kind === 'bytes') {
    if (p.kind !== 'image') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: ${name}: the bundle ${bundle.dir} takes ${p.kind} inputs of shape ${JSON.stringify(shape)}, not images`);
    }
    check(p.channels === 1 || p.channels === 3, FN, `the bundle ${bundle.dir} takes images with ${p.channels} channels; only 1 or 3 can be decoded`);
    const image = { width: p.width, height: p.height, channels: p.channels } as const;
    const x = input.kind === 'file' ? await decodeImage(input.path, image, FN) : await decodeImageBytes(input.bytes, image, FN, input.name);
    return toModelInput(x, p);
  }
  const rows = await datasetRows(bundle, input, options);
  const count = rows.labels.length;
  if (!(Number.isInteger(input.index) && input.index >= 0 && input.index < count)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: ${name}: row index ${input.index} is out of range (${count} rows: 0..${count - 1})`);
  }
  const size = exampleSize(rows.inputShape);
  const want = shape.every((d) => d !== null) ? exampleSize(shape as number[]) : NaN;
  if (size !== want) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: ${name} has shape ${JSON.stringify(rows.inputShape)} but the bundle ${bundle.dir} takes ${JSON.stringify(shape)}`);
  }
  return toModelInput(rows.x.slice(input.index * size, (input.index + 1) * size), p);
}

/**
 * Embeddings of `inputs` (each read as {@link readPairInput} reads it), one
 * row after another: `inputs.length * embeddingDim` values.
 * @group Evaluation
 */
export async function embedPairInputs(bundle: OpenBundle, inputs: PairInput[], options: VerifyOptions = {}): Promise<Float32Array> {
  const rows: Float32Array[] = [];
  for (const input of inputs) rows.push(await readPairInput(bundle, input, options));
  const size = rows[0]?.length ?? 0;
  const x = new Float32Array(size * rows.length);
  rows.forEach((r, i) => x.set(r, i * size));
  return bundle.network.embedBatched(x);
}

// serve verifies many pairs with one open bundle: its cohort file (megabytes) is read once per
// bundle, not per pair (a failed read is not kept, so a repaired file is read again)
const cohorts = new WeakMap<OpenBundle, Promise<Float32Array | null>>();
function cohortOf(bundle: OpenBundle): Promise<Float32Array | null> {
  let cohort = cohorts.get(bundle);
  if (!cohort) {
    cohort = readBundleCohort(bundle.dir, bundle.manifest);
    cohorts.set(bundle, cohort);
    cohort.catch(() => cohorts.delete(bundle));
  }
  return cohort;
}

/**
 * Decides whether `a` and `b` are the same: distance (the bundle's distance,
 * or its cross-entropy head's negated logit) against the threshold, with
 * p(same) from the bundle's Platt parameters.
 *
 * @throws ContrastiveError as {@link readPairInput}, and when neither
 *   `options.threshold` nor the bundle has a threshold (run calibrate first).
 * @group Evaluation
 */
export async function verifyPair(bundle: OpenBundle, a: PairInput, b: PairInput, options: VerifyOptions = {}): Promise<VerifyResult> {
  const threshold = options.threshold ?? bundle.manifest.threshold;
  if (threshold === null || threshold === undefined) {
    throw new ContrastiveError(
      'STATE',
      `${FN}: the bundle ${bundle.dir} has no threshold; calibrate it first (calibrateBundle, or 'contrastive calibrate') or pass { threshold: T }`,
    );
  }
  check(Number.isFinite(threshold), FN, `threshold must be a finite number, got ${threshold}`);
  // A distance is never negative: a negative threshold would call every pair different whatever p(same) says.
  // (A cross-entropy bundle scores with the head's negated logit, which may be negative.)
  if (options.threshold !== undefined && threshold < 0 && !bundle.manifest.loss?.head && !bundle.manifest.scoreNorm) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${FN}: threshold ${threshold} is negative, but ${bundle.network.distanceName} distances are >= 0, so no pair could be the same; pass a threshold >= 0 (the bundle's is ${bundle.manifest.threshold ?? 'not set'})`,
    );
  }
  const { network } = bundle;
  const emb = await embedPairInputs(bundle, [a, b], options);
  const dim = network.embeddingDim;
  const head = headOf(bundle, FN);
  let distance: number;
  try {
    distance = scorePairs(emb, emb, dim, [0], [1], { distance: network.distanceName, head })[0];
  } finally {
    head?.dispose();
  }
  if (!Number.isFinite(distance)) throw new ContrastiveError('NUMERIC', `${FN}: the bundle ${bundle.dir} puts ${describePairInput(a)} and ${describePairInput(b)} at distance ${distance} (its embeddings are not finite there)`);
  // A bundle with a cohort states its threshold (and p(same)) on S-normalised scores.
  const cohort = await cohortOf(bundle);
  const score = cohort ? sNormPairs(emb, dim, [0], [1], [distance], cohort, network.distanceName)[0] : distance;
  const platt = bundle.manifest.calibration?.probability;
  return {
    distance,
    threshold,
    same: score <= threshold,
    score,
    probability: platt ? probabilitySame(score, { a: platt.a, b: platt.b }) : null,
  };
}
