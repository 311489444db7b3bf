/**
 * The options of the commands that use a saved bundle on a dataset (eval,
 * calibrate, embed): which bundle, which data, which split. The library is
 * loaded in the action only, so `--help` needs no TensorFlow.js.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ExampleStorage } from 'contrastive/internal/data/types.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { SPLIT_NAMES, RUN_DEFAULTS, type SplitName } from '../jobs/choices.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import type { BundleDataOptions, OpenBundle, RunSplit } from '../jobs/evaluate-bundle.js';
import { DATASET_SPECS, DEFAULT_IMAGE_SIZE } from '@contrastive/node/internal/data/specs.js';
import { channelCount, choices, dflt, imageSize, intList, nonNegativeInt, oneOf, openFraction, optionWithDefault, positiveInt } from './options.js';
import { checkDatasetOptions, loadOptionsOf, STORAGES } from './training-options.js';

/** Options of eval and calibrate that say which data to use. */
export interface BundleDataCliOptions {
  model: string;
  dataset?: string;
  split: SplitName;
  pairs?: number;
  seed?: number;
  pairsSeed?: number;
  validationFraction?: number;
  testFraction?: number;
  holdoutClasses?: number[];
  dataDir?: string;
  imageSize?: [number, number];
  channels?: 1 | 3;
  skipBadImages?: boolean;
  storage?: ExampleStorage;
  cacheMb?: number;
  backend: BackendChoice;
  json?: boolean;
}

/** The --model option: a bundle, or a run directory holding one in model/. */
export const MODEL_HELP = 'model bundle directory, or a run directory (its model/ bundle is used)';

/** Adds --model and --backend, the options every bundle command takes. */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--model <dir>', MODEL_HELP)
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice));
}

/** Adds the data options: --dataset, --split, --seed and the split fractions, --pairs, loader options. */
export function addBundleDataOptions(cmd: Command, defaultSplit: SplitName, withPairs = true): Command {
  addModelOptions(cmd)
    // faces:DIR is the face commands' (face calibrate), never a bundle's dataset here
    .option('--dataset <spec>', `${choices(DATASET_SPECS.filter((s) => !s.startsWith('faces:')))} (default: the bundle's training dataset)`)
    .addOption(
      optionWithDefault('--split <name>', `${choices(SPLIT_NAMES)}: a split as the training run made it, or the whole dataset`, oneOf(SPLIT_NAMES), defaultSplit),
    )
    .option('--seed <n>', "seed the data was split with, as train --seed (default: the bundle's)", nonNegativeInt)
    .option('--validation-fraction <x>', `validation fraction of the split (default: the bundle's, else ${RUN_DEFAULTS.validationFraction})`, openFraction)
    .option('--test-fraction <x>', `test fraction of the split (default: the bundle's, else ${RUN_DEFAULTS.testFraction})`, openFraction)
    .option('--holdout-classes <list>', "classes the run kept out of training (default: the bundle's)", intList);
  if (withPairs) {
    cmd
      .option('--pairs <n>', `pairs drawn from the split ${dflt(HELD_OUT_PAIRS.test)}`, positiveInt)
      .option('--pairs-seed <n>', 'seed of the pair draw (default: the one the training run used)', nonNegativeInt);
  }
  return cmd
    .option('--data-dir <dir>', 'folder of the fashion-mnist files')
    .option('--image-size <WxH>', `resize images of folder:/pairs: datasets (default: the bundle's input size, else ${DEFAULT_IMAGE_SIZE.width}x${DEFAULT_IMAGE_SIZE.height})`, imageSize)
    .option('--channels <n>', "1 or 3 for folder:/pairs: datasets (default: the bundle's)", channelCount)
    .option('--skip-bad-images', 'leave out images that cannot be decoded (listed on stderr) instead of failing (folder: datasets)')
    .addOption(storageOption())
    .addOption(cacheOption())
    .option('--json', 'print one JSON object');
}

/**
 * `--storage` of the commands that read each image of a folder: set once to
 * score it (eval, calibrate, embed, index build): streamed by default, so memory
 * does not grow with the folder.
 */
export function storageOption(): Option {
  return new Option(
    '--storage <kind>',
    `how folder: images are held: ${choices(STORAGES)}; stream decodes each chunk's files from disk as it is embedded, so a folder larger than memory is scored in bounded memory; the figures are the same with each (default: stream; float32 where bad images are skipped)`,
  ).argParser(oneOf(STORAGES));
}

/** `--cache-mb` beside {@link storageOption}. */
export function cacheOption(): Option {
  return new Option('--cache-mb <n>', 'with --storage stream: MiB of decoded images kept for reuse (default: 0, each image is read once)').argParser(nonNegativeInt);
}

/**
 * The bundle directory `--model` names: the folder itself when it holds a
 * manifest.json, else its model/ sub-folder when that holds one (a run directory).
 */
export function resolveModelDir(dir: string): string {
  if (!existsSync(path.join(dir, 'manifest.json')) && existsSync(path.join(dir, 'model', 'manifest.json'))) return path.join(dir, 'model');
  return dir;
}

/**
 * Loads the backend and the bundle named by --model (the library is imported
 * here, not at start-up). With `command` (eval, verify, embed, ...), a face
 * bundle is refused naming the face commands that use it: its inputs are face
 * descriptors of photos, which only they compute (serve passes none: it serves
 * a face bundle itself).
 */
export async function openModel(o: { model: string; backend: BackendChoice }, command?: string): Promise<OpenBundle> {
  const { initBackend } = await import('@contrastive/node/internal/engine/backend.js');
  const { openBundle } = await import('../jobs/evaluate-bundle.js');
  await initBackend(o.backend);
  const bundle = await openBundle(resolveModelDir(o.model));
  if (command === undefined) return bundle;
  const { facePipelineOf } = await import('@contrastive/faces/internal/model.js');
  if (facePipelineOf(bundle.manifest)) {
    bundle.network.dispose();
    const dir = bundle.dir;
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${command}: ${dir} is a face bundle (a head on the face descriptors of photos, trained with train --dataset faces:DIR), which ${command} cannot feed: ` +
        `use 'contrastive face verify --model ${dir} A.jpg B.jpg', 'face enroll' / 'face identify --model ${dir}', or 'face calibrate --model ${dir} --dataset faces:DIR' ` +
        `(its figures on unseen people are in metrics.json beside the bundle)`,
    );
  }
  return bundle;
}

/** The split override the options give (undefined when none is given). */
function splitOverride(o: BundleDataCliOptions): Partial<Omit<RunSplit, 'source'>> | undefined {
  const s: Partial<Omit<RunSplit, 'source'>> = {};
  if (o.seed !== undefined) s.seed = o.seed;
  if (o.validationFraction !== undefined) s.validation = o.validationFraction;
  if (o.testFraction !== undefined) s.test = o.testFraction;
  if (o.holdoutClasses !== undefined) s.holdoutClasses = o.holdoutClasses;
  return Object.keys(s).length > 0 ? s : undefined;
}

/** Opens the bundle and resolves the dataset spec and data options. */
export async function openForData(o: BundleDataCliOptions, command: string): Promise<{ bundle: OpenBundle; dataset: string; data: BundleDataOptions }> {
  if (o.dataset !== undefined) checkDatasetOptions({ ...o, dataset: o.dataset }, 'stream');
  if (o.validationFraction !== undefined && o.testFraction !== undefined && o.validationFraction + o.testFraction >= 1) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--validation-fraction ${o.validationFraction} and --test-fraction ${o.testFraction} leave nothing to train on (their sum must be below 1)`);
  }
  const bundle = await openModel(o, command);
  try {
    const dataset = o.dataset ?? bundle.manifest.training?.dataset;
    if (!dataset) throw new ContrastiveError('INVALID_ARGUMENT', `${command}: --dataset is required: the bundle ${bundle.dir} does not name its training dataset`);
    if (o.dataset === undefined) checkDatasetOptions({ ...o, dataset }, 'stream');
    return { bundle, dataset, data: { split: o.split, pairs: o.pairs, seed: o.pairsSeed, runSplit: splitOverride(o), load: loadOptionsOf(o) } };
  } catch (err) {
    bundle.network.dispose();
    throw err;
  }
}

/** A warning line when the split could not be read from the bundle (a split made otherwise may overlap the training rows). */
export function splitWarning(split: SplitName, runSplit: RunSplit): string | null {
  if (split === 'all' || runSplit.source !== 'defaults') return null;
  return (
    `warning: the bundle does not record how its training data was split; re-split with seed ${runSplit.seed}, validation ${runSplit.validation}, test ${runSplit.test}. ` +
    `If the training script split otherwise, these ${split} rows may overlap its training rows: pass --seed, --validation-fraction and --test-fraction as it did`
  );
}
