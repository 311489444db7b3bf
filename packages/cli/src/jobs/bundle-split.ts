/**
 * Which rows a saved bundle is evaluated on: the bundle opened, and the data
 * re-split exactly as the training run did (same seed, fractions and held-out
 * classes, read from the manifest, the run's metrics.json or the defaults).
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadDataset, type LoadDatasetOptions } from '@contrastive/node/internal/data/index.js';
import { isPairDataset, type LabelledDataset, type PairDataset } from 'contrastive/internal/data/types.js';
import { type BundleManifest, type SiameseNetwork } from 'contrastive/internal/models/index.js';
import { isSignatureDataset, signatureTrainingSplit } from '@contrastive/signatures/internal/index.js';

import { SPLIT_NAMES, type SplitName } from './choices.js';
import { jobSeed, splitFractions } from './defaults.js';
import { refuseFaceDataset } from './face-train.js';
import { splitDataset, splitPairs, exampleSize } from 'contrastive/internal/data/index.js';
import { loadBundle } from '@contrastive/node/internal/models/bundle.js';
import { readUserText, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import { datasetKind } from '@contrastive/node/internal/data/specs.js';

/** A loaded bundle and the directory it came from. @group Evaluation */
export interface OpenBundle {
  dir: string;
  network: SiameseNetwork;
  manifest: BundleManifest;
}

/** How the training run split its data. @group Evaluation */
export interface RunSplit {
  seed: number;
  validation: number;
  test: number;
  holdoutClasses: number[];
  /** Class-disjoint validation classes of the run (absent when none). */
  validationClasses?: number[];
  /** Where these figures were read: the manifest's training section, the run's metrics.json, or library defaults. */
  source: 'manifest' | 'metrics.json' | 'defaults' | 'options';
}

/** Options shared by {@link evaluateBundle} and {@link calibrateBundle}. @group Evaluation */
export interface BundleDataOptions {
  /** Split to use; default 'test' for evaluation, 'validation' for calibration. */
  split?: SplitName;
  /**
   * Loader options; default: the bundle's image size and the training run's
   * loader options for its own dataset, with a `folder:` set streamed from disk
   * (`storage: 'stream'`, no cache) unless bad images are skipped; `storage` and
   * `cacheBytes` here choose otherwise (the figures are the same with any storage).
   */
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

/** Loads a bundle directory (errors name the file, see loadBundle). @group Evaluation */
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
 * @group Evaluation
 */
export async function runSplitOf(bundle: OpenBundle, override?: Partial<Omit<RunSplit, 'source'>>): Promise<RunSplit> {
  const recorded = await recordedRunSplit(bundle);
  if (!override || Object.values(override).every((v) => v === undefined)) return recorded;
  const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return { ...recorded, ...defined, source: 'options' };
}

async function recordedRunSplit(bundle: OpenBundle): Promise<RunSplit> {
  const training = bundle.manifest.training;
  const seed = jobSeed(training?.seed);
  const stored = (training as { split?: { validation?: unknown; test?: unknown; holdoutClasses?: unknown; validationClasses?: unknown } } | null)?.split;
  if (stored && typeof stored.validation === 'number' && typeof stored.test === 'number') {
    return {
      seed,
      validation: stored.validation,
      test: stored.test,
      holdoutClasses: isNumberList(stored.holdoutClasses) ? stored.holdoutClasses : [],
      ...(isNumberList(stored.validationClasses) && stored.validationClasses.length > 0 ? { validationClasses: stored.validationClasses } : {}),
      source: 'manifest',
    };
  }
  const metricsFile = path.join(path.dirname(path.resolve(bundle.dir)), 'metrics.json');
  try {
    const m = JSON.parse(await readUserText(metricsFile, { maxBytes: USER_FILE_LIMITS.json, what: 'metrics file' })) as { holdoutClasses?: unknown; seed?: unknown; dataset?: unknown };
    if (m.dataset === training?.dataset && m.seed === seed && isNumberList(m.holdoutClasses)) {
      return { seed, ...splitFractions(), holdoutClasses: m.holdoutClasses, source: 'metrics.json' };
    }
  } catch {
    // no run directory around the bundle: fall through to the defaults
  }
  return { seed, ...splitFractions(), holdoutClasses: [], source: 'defaults' };
}

/** Loader options for `spec`: the bundle's image size, the run's own loader options for its dataset, then `override`. */
export function loadOptionsFor(bundle: OpenBundle, spec: string, override: LoadDatasetOptions = {}): LoadDatasetOptions {
  const p = bundle.manifest.input.preprocessing;
  const fromBundle: LoadDatasetOptions = p.kind === 'image' && (p.channels === 1 || p.channels === 3) ? { width: p.width, height: p.height, channels: p.channels } : {};
  const training = bundle.manifest.training as { dataset?: string; load?: LoadDatasetOptions } | null;
  const fromRun = training?.dataset === spec && training.load && typeof training.load === 'object' ? training.load : {};
  const defined = (o: LoadDatasetOptions): LoadDatasetOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...fromBundle, ...defined(fromRun), ...defined(override) };
}

/**
 * Loader options for a command that reads each example of `spec` once to score
 * it (eval, calibrate, embed, index build): {@link loadOptionsFor}'s, with a
 * `folder:` set streamed from disk a chunk at a time and no cache (each image is
 * decoded when its chunk is embedded, so memory does not grow with the folder)
 * unless the call chose a storage, or bad images are skipped, by the call or by
 * the run (skipping needs every image decoded before the split).
 */
export function onePassLoadOptions(bundle: OpenBundle, spec: string, override: LoadDatasetOptions = {}): LoadDatasetOptions {
  const o = loadOptionsFor(bundle, spec, override);
  if (datasetKind(spec) === 'folder' && o.storage === 'stream' && o.skipBadImages === true && override.skipBadImages === undefined) {
    // the run's choice, not this call's: say where it comes from (the loader's own message names only the two options)
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `the training run left out undecodable images of '${spec}' (skipBadImages, recorded in ${path.join(bundle.dir, 'manifest.json')}), which needs every image decoded before the split; { storage: 'stream' } decodes none at load, so it cannot make the run's split: choose { storage: 'uint8' } or { storage: 'float32' }`,
    );
  }
  if (datasetKind(spec) !== 'folder' || o.storage !== undefined || o.skipBadImages === true) return o;
  return { ...o, storage: 'stream', cacheBytes: o.cacheBytes ?? 0 };
}

/** The rows of one split, re-split as the run did. @group Evaluation */
export interface BundleSplitData {
  data: LabelledDataset | PairDataset;
  runSplit: RunSplit;
}

/**
 * Loads `spec` and returns the `split` the training run made of it (same seed,
 * fractions and, for the run's own dataset, held-out classes); 'all' is the
 * whole dataset. Examples must have the bundle's input size.
 * @group Evaluation
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
  refuseFaceDataset(spec, fn);
  let data: LabelledDataset | PairDataset;
  try {
    data = await loadDataset(spec, loadOptionsFor(bundle, spec, load));
  } catch (err) {
    // A path read from the manifest is not one the user typed: say where it came from.
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND' && bundle.manifest.training?.dataset === spec) {
      throw new ContrastiveError(
        'NOT_FOUND',
        `${err.message} (dataset '${spec}' as recorded in ${path.join(bundle.dir, 'manifest.json')}; pass { dataset } to use data elsewhere)`,
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
  const ownData = bundle.manifest.training?.dataset === spec;
  const holdoutClasses = runSplitOverride?.holdoutClasses ?? (ownData ? runSplit.holdoutClasses : []);
  // Class-disjoint validation classes belong with the run's own held-out classes.
  const validationClasses = runSplitOverride?.validationClasses ?? (ownData && holdoutClasses.length > 0 ? (runSplit.validationClasses ?? []) : []);
  const parts = splitDataset(data, { ...fractions, holdoutClasses, ...(validationClasses.length > 0 ? { validationClasses } : {}) });
  return { data: parts[split], runSplit: { ...runSplit, holdoutClasses, ...(validationClasses.length > 0 ? { validationClasses } : {}) } };
}
