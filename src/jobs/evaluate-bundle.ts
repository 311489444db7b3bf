/**
 * A saved bundle on a dataset: re-split the data exactly as the training run
 * did (same seed, fractions and held-out classes), score pairs of one split
 * with the bundle's distance (or its cross-entropy head), then report both
 * metric families (`contrastive eval`) or choose and store a threshold
 * (`contrastive calibrate`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError, check } from '../errors.js';
import { loadDataset, splitDataset, splitPairs, exampleSize, type LoadDatasetOptions } from '../data/index.js';
import { isPairDataset, type IndexPairs, type LabelledDataset, type PairDataset } from '../data/types.js';
import { loadBundle, updateManifest, type BundleManifest, type SiameseNetwork } from '../models/index.js';
import type { DistanceName } from '../distances/index.js';
import { KochHead } from '../train/koch-head.js';
import { scoreSplit, drawHeldOutPairs, HELD_OUT_PAIRS } from '../train/held-out-pairs.js';
import { verificationMetrics, accuracyAtThreshold, type RocCurve } from '../eval/verification.js';
import { retrievalMetrics, type RetrievalMetrics } from '../eval/retrieval.js';
import { calibrateThreshold, fitPlatt, type CalibrationTarget, type PlattParameters } from '../eval/calibration.js';
import { isSignatureDataset, signatureTrainingSplit } from '../signatures/index.js';
import { toModelInput } from '../models/model-input.js';
import { evaluationReport, writeReport } from '../report/index.js';

import { SPLIT_NAMES, type SplitName } from './choices.js';

export { SPLIT_NAMES, type SplitName };

/** A loaded bundle and the directory it came from. */
export interface OpenBundle {
  dir: string;
  network: SiameseNetwork;
  manifest: BundleManifest;
}

/** How the training run split its data. */
export interface RunSplit {
  seed: number;
  validation: number;
  test: number;
  holdoutClasses: number[];
  /** Where these figures were read: the manifest's training section, the run's metrics.json, or library defaults. */
  source: 'manifest' | 'metrics.json' | 'defaults' | 'options';
}

/** Options shared by {@link evaluateBundle} and {@link calibrateBundle}. */
export interface BundleDataOptions {
  /** Split to use; default 'test' for evaluation, 'validation' for calibration. */
  split?: SplitName;
  /** Loader options; default: the bundle's image size and the training run's loader options for its own dataset. */
  load?: LoadDatasetOptions;
  /** Pairs drawn from a labelled split; default 10000 on every split (what the training run drew). A pairs dataset uses all its pairs. */
  pairs?: number;
  /** Seed of the pair draw; default the one the training run used for that split, so figures match its metrics.json. */
  seed?: number;
  /**
   * How the training data was split, for a bundle that does not record it (or
   * to override what it records): seed, validation and test fractions, held-out classes.
   */
  runSplit?: Partial<Omit<RunSplit, 'source'>>;
}

/** What {@link evaluateBundle} returns. */
export interface BundleEvaluation {
  dataset: string;
  split: SplitName;
  /** Examples (or pairs, for a pairs dataset) in the split. */
  examples: number;
  runSplit: RunSplit;
  verification: {
    pairs: number;
    positives: number;
    negatives: number;
    auc: number;
    eer: number;
    eerThreshold: number;
    /** The bundle's stored threshold, or null when it has none. */
    threshold: number | null;
    /** Accuracy at the bundle's threshold, or null when it has none. */
    accuracy: number | null;
    bestAccuracy: number;
    bestThreshold: number;
    tarAtFar: { '1e-1': number; '1e-2': number; '1e-3': number };
    roc: RocCurve;
  };
  /** Retrieval metrics on the split's embeddings; null for a pairs dataset. */
  retrieval: RetrievalMetrics | null;
  /** The HTML report written (with `report`), or null. */
  reportFile: string | null;
}

/** What {@link calibrateBundle} returns (and wrote into the bundle). */
export interface BundleCalibration {
  threshold: number;
  calibration: {
    target: string;
    dataset: string;
    probability: { model: 'logistic'; a: number; b: number };
    pairs: number;
    accuracy: number;
    far: number;
    frr: number;
    tar: number;
  };
}

const FN_EVAL = 'evaluateBundle';
const FN_CAL = 'calibrateBundle';
// The pair-draw seeds runTraining used (seed ^ 0x5eed for validation, seed ^ 0x7e57 for test).

/** Loads a bundle directory (errors name the file, see loadBundle). */
export async function openBundle(dir: string): Promise<OpenBundle> {
  const { network, manifest } = await loadBundle(dir);
  return { dir, network, manifest };
}

function isNumberList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => Number.isInteger(n));
}

/**
 * How the run that wrote the bundle split its data: the manifest's
 * `training.split` when present, else the run's metrics.json beside the bundle
 * (holdoutClasses), else runTraining's defaults (validation 0.1, test 0.2, no holdout).
 */
export async function runSplitOf(bundle: OpenBundle, override?: Partial<Omit<RunSplit, 'source'>>): Promise<RunSplit> {
  const recorded = await recordedRunSplit(bundle);
  if (!override || Object.values(override).every((v) => v === undefined)) return recorded;
  const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return { ...recorded, ...defined, source: 'options' };
}

async function recordedRunSplit(bundle: OpenBundle): Promise<RunSplit> {
  const training = bundle.manifest.training;
  const seed = training?.seed ?? 42;
  const stored = (training as { split?: { validation?: unknown; test?: unknown; holdoutClasses?: unknown } } | null)?.split;
  if (stored && typeof stored.validation === 'number' && typeof stored.test === 'number') {
    return { seed, validation: stored.validation, test: stored.test, holdoutClasses: isNumberList(stored.holdoutClasses) ? stored.holdoutClasses : [], source: 'manifest' };
  }
  const metricsFile = path.join(path.dirname(path.resolve(bundle.dir)), 'metrics.json');
  try {
    const m = JSON.parse(await fs.readFile(metricsFile, 'utf8')) as { holdoutClasses?: unknown; seed?: unknown; dataset?: unknown };
    if (m.dataset === training?.dataset && m.seed === seed && isNumberList(m.holdoutClasses)) {
      return { seed, validation: 0.1, test: 0.2, holdoutClasses: m.holdoutClasses, source: 'metrics.json' };
    }
  } catch {
    // no run directory around the bundle: fall through to the defaults
  }
  return { seed, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'defaults' };
}

/** Loader options for `spec`: the bundle's image size, the run's own loader options for its dataset, then `override`. */
function loadOptionsFor(bundle: OpenBundle, spec: string, override: LoadDatasetOptions = {}): LoadDatasetOptions {
  const p = bundle.manifest.input.preprocessing;
  const fromBundle: LoadDatasetOptions = p.kind === 'image' && (p.channels === 1 || p.channels === 3) ? { width: p.width, height: p.height, channels: p.channels } : {};
  const training = bundle.manifest.training as { dataset?: string; load?: LoadDatasetOptions } | null;
  const fromRun = training?.dataset === spec && training.load && typeof training.load === 'object' ? training.load : {};
  const defined = (o: LoadDatasetOptions): LoadDatasetOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...fromBundle, ...defined(fromRun), ...defined(override) };
}

/** The rows of one split, re-split as the run did. */
export interface BundleSplitData {
  data: LabelledDataset | PairDataset;
  runSplit: RunSplit;
}

/**
 * Loads `spec` and returns the `split` the training run made of it (same seed,
 * fractions and, for the run's own dataset, held-out classes); 'all' is the
 * whole dataset. Examples must have the bundle's input size.
 */
export async function bundleSplit(
  bundle: OpenBundle,
  spec: string,
  split: SplitName,
  load?: LoadDatasetOptions,
  fn = 'bundleSplit',
  runSplitOverride?: Partial<Omit<RunSplit, 'source'>>,
): Promise<BundleSplitData> {
  check(SPLIT_NAMES.includes(split), fn, `split must be one of ${SPLIT_NAMES.join(', ')}, got '${String(split)}'`);
  let data: LabelledDataset | PairDataset;
  try {
    data = await loadDataset(spec, loadOptionsFor(bundle, spec, load));
  } catch (err) {
    // A path read from the manifest is not one the user typed: say where it came from.
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND' && bundle.manifest.training?.dataset === spec) {
      throw new ContrastiveError(
        'NOT_FOUND',
        `${err.message} (dataset '${spec}' as recorded in ${path.join(bundle.dir, 'manifest.json')}; pass --dataset to use data elsewhere)`,
        { cause: err },
      );
    }
    throw err;
  }
  const want = bundle.manifest.input.shape;
  if (want.every((d) => d !== null) && exampleSize(data.inputShape) !== exampleSize(want as number[])) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${fn}: dataset '${spec}' has examples of shape ${JSON.stringify(data.inputShape)} but the bundle ${bundle.dir} takes ${JSON.stringify(want)}`,
    );
  }
  const runSplit = await runSplitOf(bundle, runSplitOverride);
  if (split === 'all') return { data, runSplit };
  const fractions = { seed: runSplit.seed, validation: runSplit.validation, test: runSplit.test };
  if (isPairDataset(data)) return { data: splitPairs(data, fractions)[split], runSplit };
  // Signatures split by writer, as runTraining does: the same seed gives the same writers and pairs.
  if (isSignatureDataset(data)) return { data: signatureTrainingSplit(data, fractions)[split], runSplit };
  // Held-out classes belong to the run's own dataset; on another dataset they mean nothing.
  const holdoutClasses = runSplitOverride?.holdoutClasses ?? (bundle.manifest.training?.dataset === spec ? runSplit.holdoutClasses : []);
  const parts = splitDataset(data, { ...fractions, holdoutClasses });
  return { data: parts[split], runSplit: { ...runSplit, holdoutClasses } };
}

/** The cross-entropy head stored in manifest.loss.head, if any. */
export function headOf(bundle: OpenBundle, fn = 'headOf'): KochHead | undefined {
  const head = (bundle.manifest.loss as { head?: unknown } | null)?.head as { weights?: unknown; bias?: unknown } | undefined;
  if (head === undefined || head === null) return undefined;
  const dim = bundle.network.embeddingDim;
  const ok =
    Array.isArray(head.weights) && head.weights.length === dim && head.weights.every((w) => Number.isFinite(w)) && Number.isFinite(head.bias as number);
  if (!ok) throw new ContrastiveError('INVALID_DATA', `${fn}: ${bundle.dir}: manifest loss.head must be { weights: ${dim} finite numbers, bias: number }`);
  return new KochHead(dim, { weights: head.weights as number[], bias: head.bias as number });
}

/** The distance that scores pairs: the network's, or the head's negated logit. */
export interface PairScorer {
  distance: DistanceName;
  head?: KochHead;
}

function scorerOf(bundle: OpenBundle, fn: string): PairScorer {
  return { distance: bundle.network.distanceName, head: headOf(bundle, fn) };
}

async function embedAll(bundle: OpenBundle, x: Float32Array): Promise<Float32Array> {
  return bundle.network.embedBatched(toModelInput(x, bundle.manifest.input.preprocessing));
}

/** Scores pairs of a split with the bundle, its preprocessing applied. */
function scoreSplitPairs(
  bundle: OpenBundle,
  data: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  scorer: PairScorer,
  embeddings?: Float32Array,
): Promise<Float32Array> {
  return scoreSplit(bundle.network, data, pairs, scorer, (x) => embedAll(bundle, x), embeddings);
}

function pairsFor(data: LabelledDataset | PairDataset, split: SplitName, runSeed: number, o: BundleDataOptions, fn: string): IndexPairs {
  const count = o.pairs ?? (split === 'validation' ? HELD_OUT_PAIRS.validation : HELD_OUT_PAIRS.test);
  check(Number.isInteger(count) && count >= 1, fn, `pairs must be a positive integer, got ${count}`);
  const seed = o.seed ?? (runSeed ^ (split === 'validation' ? HELD_OUT_PAIRS.validationSalt : HELD_OUT_PAIRS.testSalt));
  check(Number.isInteger(seed) && seed >= 0, fn, `seed must be a non-negative integer, got ${seed}`);
  check(data.labels.length > 0, fn, `the ${split} split of '${data.name}' is empty`);
  return drawHeldOutPairs(data, count, seed);
}

/**
 * Evaluates a bundle on one split of a dataset: verification metrics (AUC, EER,
 * accuracy at the bundle's threshold, best accuracy, TAR at FAR) on pairs drawn
 * as the training run drew them, and retrieval metrics (P@1, R-precision,
 * MAP@R, Recall@K) on the split's embeddings. A pairs dataset gives
 * verification only. With the defaults, the run's own dataset and split
 * 'test' reproduce the figures of its metrics.json.
 *
 * @param bundle a bundle directory or an {@link OpenBundle}.
 * @param dataset a dataset spec (see loadDataset).
 * @throws ContrastiveError for a bad bundle or dataset, a split without both kinds of pair, or examples of the wrong size.
 */
export async function evaluateBundle(bundle: string | OpenBundle, dataset: string, options: BundleDataOptions & { report?: string } = {}): Promise<BundleEvaluation> {
  const b = typeof bundle === 'string' ? await openBundle(bundle) : bundle;
  const split = options.split ?? 'test';
  const { data, runSplit } = await bundleSplit(b, dataset, split, options.load, FN_EVAL, options.runSplit);
  const pairs = pairsFor(data, split, runSplit.seed, options, FN_EVAL);
  const scorer = scorerOf(b, FN_EVAL);
  try {
    const embeddings = isPairDataset(data) ? undefined : await embedAll(b, data.x);
    const distances = await scoreSplitPairs(b, data, pairs, scorer, embeddings);
    const vm = verificationMetrics(distances, pairs.labels);
    const threshold = b.manifest.threshold;
    let retrieval: RetrievalMetrics | null = null;
    if (embeddings && !isPairDataset(data)) {
      // A head scores pairs, not neighbours: retrieval ranks by the embedding's euclidean distance, as runTraining does.
      retrieval = retrievalMetrics(embeddings, data.labels, { dim: b.network.embeddingDim, distance: scorer.head ? 'euclidean' : scorer.distance });
    }
    const result: BundleEvaluation = {
      dataset,
      split,
      examples: data.labels.length,
      runSplit,
      verification: {
        pairs: pairs.labels.length,
        positives: vm.positives,
        negatives: vm.negatives,
        auc: vm.auc,
        eer: vm.eer,
        eerThreshold: vm.eerThreshold,
        threshold,
        accuracy: threshold === null ? null : accuracyAtThreshold(distances, pairs.labels, threshold),
        bestAccuracy: vm.bestAccuracy,
        bestThreshold: vm.bestThreshold,
        tarAtFar: vm.tarAtFar,
        roc: vm.roc,
      },
      retrieval,
      reportFile: options.report === undefined ? null : path.resolve(options.report),
    };
    if (result.reportFile) await writeReport(result.reportFile, await evaluationDocument(b, result, distances, pairs.labels, isPairDataset(data) ? undefined : data, embeddings));
    return result;
  } finally {
    scorer.head?.dispose();
  }
}

/** The evaluation report's document: figures, ROC, histogram, and the embedding map and neighbour grid of labelled data. */
function evaluationDocument(
  b: OpenBundle,
  r: BundleEvaluation,
  distances: Float32Array,
  labels: Uint8Array,
  data: LabelledDataset | undefined,
  embeddings: Float32Array | undefined,
): ReturnType<typeof evaluationReport> {
  const v = r.verification;
  const m = r.retrieval;
  const margin = (b.manifest.loss as { margin?: number | null } | null)?.margin ?? null;
  const splitText = r.split === 'all' ? 'all examples' : `the ${r.split} split as the training run made it (seed ${r.runSplit.seed})`;
  return evaluationReport({
    subtitle: `${b.dir} on ${r.dataset}, ${splitText}`,
    summary: [
      ['bundle', b.dir],
      ['dataset, split', `${r.dataset}, ${r.split} (${r.examples} examples)`],
      ['held-out classes of the run', r.runSplit.holdoutClasses.length ? r.runSplit.holdoutClasses.join(', ') : 'none'],
      ['AUC / EER', `${v.auc.toFixed(4)} / ${v.eer.toFixed(4)}`],
      ["accuracy at the bundle's threshold", v.accuracy],
      ['best accuracy (threshold)', `${v.bestAccuracy.toFixed(4)} (${v.bestThreshold.toFixed(4)})`],
    ],
    distances,
    labels,
    threshold: v.threshold,
    accuracy: v.accuracy,
    margin,
    retrieval: m ? [['P@1', m.precisionAt1], ['R-precision', m.rPrecision], ['MAP@R', m.mapAtR], ...Object.entries(m.recallAtK).map(([k, x]): [string, number] => [`recall@${k}`, x])] : undefined,
    embeddings:
      data && embeddings
        ? {
            embeddings,
            dim: b.network.embeddingDim,
            labels: data.labels,
            // a head scores pairs, not neighbours: rank by the embedding's euclidean distance, as retrieval does
            distance: (b.manifest.loss as { head?: unknown } | null)?.head != null ? 'euclidean' : b.network.distanceName,
            images: { x: data.x, inputShape: data.inputShape },
            classNames: data.classNames,
            map: { seed: r.runSplit.seed },
            grid: { seed: r.runSplit.seed },
          }
        : undefined,
  });
}

/** Where `contrastive eval` writes its report by default: beside the bundle directory, named after the dataset and split. */
export function defaultEvaluationReportFile(bundleDir: string, dataset: string, split: SplitName): string {
  return path.join(path.dirname(path.resolve(bundleDir)), `eval-${dataset.replace(/[^A-Za-z0-9_-]+/g, '_')}-${split}.html`);
}

/** The manifest's name of a target: 'accuracy', 'eer' or 'far=<rate>'. */
export function calibrationTargetName(target: CalibrationTarget): string {
  return target.kind === 'far' ? `far=${target.far}` : target.kind;
}

/**
 * Chooses a bundle's decision threshold on one split (validation by default)
 * for `target`, fits p(same | distance) by Platt scaling on the same pairs,
 * and writes both into the bundle's manifest.json atomically (threshold and
 * calibration { target, dataset, probability, pairs, accuracy, far, frr, tar });
 * the model files are untouched.
 *
 * @throws ContrastiveError as {@link evaluateBundle}, and for a bad target.
 */
export async function calibrateBundle(
  bundle: string | OpenBundle,
  dataset: string,
  options: BundleDataOptions & { target?: CalibrationTarget } = {},
): Promise<BundleCalibration> {
  const b = typeof bundle === 'string' ? await openBundle(bundle) : bundle;
  const split = options.split ?? 'validation';
  const target = options.target ?? { kind: 'accuracy' };
  const { data, runSplit } = await bundleSplit(b, dataset, split, options.load, FN_CAL, options.runSplit);
  const pairs = pairsFor(data, split, runSplit.seed, options, FN_CAL);
  const scorer = scorerOf(b, FN_CAL);
  let distances: Float32Array;
  try {
    distances = await scoreSplitPairs(b, data, pairs, scorer);
  } finally {
    scorer.head?.dispose();
  }
  const chosen = calibrateThreshold(distances, pairs.labels, target);
  check(Number.isFinite(chosen.threshold), FN_CAL, `target ${calibrationTargetName(target)} accepts no pair of the ${split} split (threshold ${chosen.threshold}); choose a looser target`);
  const platt: PlattParameters = fitPlatt(distances, pairs.labels);
  const calibration: BundleCalibration['calibration'] = {
    target: calibrationTargetName(target),
    dataset: `${dataset} ${split} pairs`,
    probability: { model: 'logistic', a: platt.a, b: platt.b },
    pairs: pairs.labels.length,
    accuracy: chosen.accuracy,
    far: chosen.far,
    frr: chosen.frr,
    tar: chosen.tar,
  };
  await updateManifest(b.dir, { threshold: chosen.threshold, calibration });
  b.manifest = { ...b.manifest, threshold: chosen.threshold, calibration };
  return { threshold: chosen.threshold, calibration };
}
