/**
 * The options train, compare and margin share: added once, mapped once to the
 * training job, and checked together before any work, so an option that would
 * be ignored or a combination that cannot work is one clear line, not a
 * silently different run. Choices and defaults come from the library's constants.
 */
import type { Command } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { DISTANCE_NAMES, type DistanceName } from 'contrastive/internal/distances/names.js';
import { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, DEFAULT_TRIPLET_MINER } from 'contrastive/internal/miners/names.js';
import { OPTIMIZER_NAMES, LR_SCHEDULES, MONITOR_NAMES, TRAIN_DEFAULTS, type LossName, type OptimizerName, type LrSchedule, type MonitorName } from 'contrastive/internal/train/choices.js';
import { ENCODER_NAMES, RUN_DEFAULTS, type EncoderName } from '../jobs/choices.js';
import type { RunTrainingOptions } from '../jobs/run-training.js';
import { DATASET_SPECS, DATA_DIR_DATASET_KINDS, DEFAULT_IMAGE_SIZE, RESIZED_DATASET_KINDS, datasetKind } from '@contrastive/node/internal/data/specs.js';
import type { LoadDatasetOptions } from '@contrastive/node/internal/data/load.js';
import { channelCount, choices, classListOrFraction, dflt, fraction, imageSize, intList, nonNegativeInt, nonNegativeNumber, oneOf, optionWithDefault, positiveInt, positiveNumber, readoutChoice, widthList } from './options.js';
import { InvalidArgumentError } from 'commander';
import { echoValue } from 'contrastive/internal/util/format.js';

/** Options of train, compare and margin as commander parses them. */
export interface TrainCliOptions {
  dataset: string;
  dataDir?: string;
  imageSize?: [number, number];
  channels?: 1 | 3;
  skipBadImages?: boolean;
  /** train --dataset faces:DIR: leave out photos without a face. */
  skipNoFace?: boolean;
  encoder: EncoderName;
  embeddingDim?: number;
  hidden?: number[];
  dropout?: number;
  filters?: number[];
  dense?: number;
  batchNorm?: boolean;
  init?: 'he' | 'fan-in-uniform';
  normalize?: boolean;
  loss?: LossName;
  miner?: string;
  margin?: number;
  posMargin?: number;
  readout?: string;
  validateUntrained?: boolean;
  memorySize?: number;
  augmentFlip?: boolean;
  augmentErase?: number;
  distance: DistanceName;
  epochs?: number;
  batchSize?: number;
  mPerClass?: number;
  pairsPerEpoch?: number;
  optimizer: OptimizerName;
  lr?: number;
  lrSchedule?: LrSchedule;
  seed: number;
  patience?: number;
  monitor?: MonitorName;
  augmentShift?: number;
  holdoutClasses?: number[];
  validationClasses?: number[] | number;
  backend: BackendChoice;
  out?: string;
  resume?: boolean;
  force?: boolean;
  json?: boolean;
  /** An HTML report file, false for none (--no-report), undefined for the default. */
  report?: string | false;
}

/** Batch size: at least 2 pairs (a step needs both kinds of pair). */
function batchSize(value: string): number {
  const n = positiveInt(value);
  if (n < 2) throw new InvalidArgumentError(`expected an integer >= 2, got '${echoValue(value)}'`);
  return n;
}

const MINER_NAMES = [...new Set<string>([...PAIR_MINER_NAMES, ...TRIPLET_MINER_NAMES])];
const RESIZED = RESIZED_DATASET_KINDS.map((k) => `${k}:`).join(' and ');

/** The --dataset option with its forms. */
export const DATASET_HELP = choices(DATASET_SPECS);

/** Adds the options shared by train, compare and margin; `epochs` is the command's default budget. */
export function addTrainingOptions(cmd: Command, defaults: { epochs: number } = { epochs: RUN_DEFAULTS.epochs }): Command {
  return cmd
    .addOption(optionWithDefault('--dataset <spec>', DATASET_HELP, undefined, 'mnist'))
    .option('--data-dir <dir>', `folder of the ${DATA_DIR_DATASET_KINDS.join(', ')} files (default: the Debian location)`)
    .option('--image-size <WxH>', `resize images of ${RESIZED} datasets to this size ${dflt(`${DEFAULT_IMAGE_SIZE.width}x${DEFAULT_IMAGE_SIZE.height}`)}`, imageSize)
    .option('--channels <n>', `1 (grayscale) or 3 (RGB) for ${RESIZED} datasets ${dflt(DEFAULT_IMAGE_SIZE.channels)}`, channelCount)
    .option('--skip-bad-images', 'leave out images that cannot be decoded (listed on stderr) instead of failing (folder: datasets)')
    .addOption(optionWithDefault('--encoder <name>', choices(ENCODER_NAMES), oneOf(ENCODER_NAMES), 'mlp' as EncoderName))
    .option('--embedding-dim <n>', `embedding size ${dflt(RUN_DEFAULTS.embeddingDim)}`, positiveInt)
    .option('--hidden <list>', `hidden layer widths of the mlp encoder ${dflt(RUN_DEFAULTS.hidden)}`, widthList)
    .option('--filters <list>', `conv widths of the cnn encoder ${dflt(RUN_DEFAULTS.filters)}`, widthList)
    .option('--dense <n>', `dense layer width of the cnn encoder ${dflt(RUN_DEFAULTS.dense)}`, positiveInt)
    .option('--batch-norm', 'batch normalisation in the cnn encoder')
    .option('--init <name>', "weight initialisation of the cnn encoder: he (default) or fan-in-uniform (PyTorch's default)", oneOf(['he', 'fan-in-uniform'] as const))
    .option('--dropout <rate>', `dropout after each hidden layer of the mlp encoder ${dflt(0)}`, fraction)
    .option('--no-normalize', 'do not L2-normalise embeddings (by default they are, and D lies in [0, 2])')
    .addOption(optionWithDefault('--distance <name>', choices(DISTANCE_NAMES), oneOf(DISTANCE_NAMES), TRAIN_DEFAULTS.distance as DistanceName))
    .option(
      '--miner <name>',
      `in-batch miner: ${choices(PAIR_MINER_NAMES)} (contrastive; default: offline balanced pairs); ${choices(TRIPLET_MINER_NAMES)} (triplet; default: ${DEFAULT_TRIPLET_MINER})`,
      oneOf(MINER_NAMES),
    )
    .option('--epochs <n>', `epochs ${dflt(defaults.epochs)}`, positiveInt)
    .option('--batch-size <n>', `pairs per step ${dflt(TRAIN_DEFAULTS.batchSize)}`, batchSize)
    .option('--m-per-class <n>', 'examples per class in a mining batch (default: batch / classes)', positiveInt)
    .option('--pairs-per-epoch <n>', 'training pairs per epoch (default: training examples)', positiveInt)
    .addOption(optionWithDefault('--optimizer <name>', choices(OPTIMIZER_NAMES), oneOf(OPTIMIZER_NAMES), TRAIN_DEFAULTS.optimizer))
    .option('--lr <x>', `learning rate ${dflt(TRAIN_DEFAULTS.learningRate)}`, positiveNumber)
    .option('--lr-schedule <name>', `${choices(LR_SCHEDULES)} (cosine decays to 0 at the last epoch) ${dflt(TRAIN_DEFAULTS.lrSchedule)}`, oneOf(LR_SCHEDULES))
    .addOption(optionWithDefault('--seed <n>', 'random seed of the split, the initial weights and the data order', nonNegativeInt, RUN_DEFAULTS.seed as number))
    .option('--patience <n>', `early stopping: epochs without improvement, 0 = off ${dflt(RUN_DEFAULTS.patience)}`, nonNegativeInt)
    .option('--monitor <metric>', `validation metric for early stopping and the best epoch: ${choices(MONITOR_NAMES)} ${dflt(TRAIN_DEFAULTS.monitor)}`, oneOf(MONITOR_NAMES))
    .option(
      '--augment-shift <px>',
      `shift training images randomly by up to this many pixels (default: ${RUN_DEFAULTS.augmentShift} for labelled images, 0 otherwise)`,
      nonNegativeInt,
    )
    .option('--holdout-classes <list>', 'classes kept out of training, e.g. 5,6,7,8,9 (zero-shot test)', intList)
    .option(
      '--validation-classes <list|fraction>',
      'class-disjoint validation (with --holdout-classes): classes, e.g. 3,4, or a fraction of the others, e.g. 0.4, used whole for early stopping and calibration, never trained on or tested',
      classListOrFraction,
    )
    .option('--pos-margin <m>', `positive margin of the contrastive loss: similar pairs closer than it cost nothing ${dflt(0)}, the seed formula`, nonNegativeNumber)
    .option(
      '--readout <where>',
      "where embeddings are read: output (default), under-head (the input of the encoder's dense head), a layer name, NAME:avg or NAME:max (pooled), or auto (compare them on validation each epoch, keep the best)",
      readoutChoice,
    )
    .option('--validate-untrained', 'score validation before training too: an epoch is kept only if it beats the untrained network (else its weights are kept)')
    .option('--memory-size <n>', `cross-batch memory: recent embeddings paired with each batch (contrastive with --miner) ${dflt(0)}, off`, nonNegativeInt)
    .option('--augment-flip', 'mirror training images left-right at random (clothing, faces; not digits or signatures)')
    .option('--augment-erase <p>', `random erasing: probability of noising one rectangle of each training image ${dflt(0)}`, fraction)
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--json', 'print machine-readable JSON lines instead of a progress bar')
    .option('--report <file>', 'HTML report file (default: report.html in the output directory)')
    .option('--no-report', 'write no HTML report');
}

/** The help text of a margin option: its default depends on --no-normalize. */
export const MARGIN_HELP = `(default: ${RUN_DEFAULTS.marginNormalized} with normalised embeddings, ${RUN_DEFAULTS.marginUnnormalized} without)`;

/** Loader options from --data-dir, --image-size, --channels, --skip-bad-images. */
export function loadOptionsOf(o: Pick<TrainCliOptions, 'dataDir' | 'imageSize' | 'channels' | 'skipBadImages'>): LoadDatasetOptions {
  const load: LoadDatasetOptions = { dataDir: o.dataDir, height: o.imageSize?.[0], width: o.imageSize?.[1], channels: o.channels };
  if (o.skipBadImages) load.skipBadImages = true;
  return load;
}

function invalid(message: string): never {
  throw new ContrastiveError('INVALID_ARGUMENT', message);
}

/**
 * Checks options against the dataset, the encoder and each loss trained,
 * before any work: an option that would be ignored, or a combination that
 * cannot work, is an error naming the option.
 */
export function checkDatasetOptions(
  o: Pick<TrainCliOptions, 'dataset' | 'dataDir' | 'imageSize' | 'channels' | 'skipBadImages'> & { holdoutClasses?: number[]; validationClasses?: number[] | number },
): void {
  const kind = datasetKind(o.dataset);
  if (o.dataDir !== undefined && !DATA_DIR_DATASET_KINDS.includes(kind)) {
    invalid(`--data-dir applies to --dataset ${DATA_DIR_DATASET_KINDS.join(', ')} only; --dataset ${o.dataset} does not read it`);
  }
  for (const [flag, given] of [['--image-size', o.imageSize], ['--channels', o.channels]] as const) {
    if (given !== undefined && !RESIZED_DATASET_KINDS.includes(kind)) {
      invalid(`${flag} applies to ${RESIZED} datasets (their images are decoded and resized); --dataset ${o.dataset} has a fixed image size`);
    }
  }
  if (o.skipBadImages && kind !== 'folder') invalid(`--skip-bad-images applies to folder: datasets; --dataset ${o.dataset} is not one`);
  if (o.holdoutClasses?.length && kind === 'pairs') invalid(`--holdout-classes needs class labels; --dataset ${o.dataset} is a pairs-only dataset`);
  if (o.validationClasses !== undefined && !o.holdoutClasses?.length) {
    invalid('--validation-classes needs --holdout-classes: with class-disjoint validation the test split is the held-out classes');
  }
}

/** Checks the encoder options against --encoder. */
export function checkEncoderOptions(o: Pick<TrainCliOptions, 'encoder' | 'hidden' | 'dropout' | 'filters' | 'dense' | 'batchNorm'>): void {
  const only: Array<[string, unknown, EncoderName]> = [
    ['--hidden', o.hidden, 'mlp'],
    ['--dropout', o.dropout, 'mlp'],
    ['--filters', o.filters, 'cnn'],
    ['--dense', o.dense, 'cnn'],
    ['--batch-norm', o.batchNorm, 'cnn'],
  ];
  for (const [flag, value, encoder] of only) {
    if (value !== undefined && o.encoder !== encoder) invalid(`${flag} applies to --encoder ${encoder}; this run uses --encoder ${o.encoder}`);
  }
}

/**
 * Checks the loss options for one loss: the miner must be one of that loss's
 * miners, cross-entropy takes neither a miner nor a margin, and
 * --m-per-class only sizes mining batches.
 */
export function checkLossOptions(loss: LossName, o: Pick<TrainCliOptions, 'miner' | 'margin' | 'mPerClass'>, marginFlag = '--margin'): void {
  if (loss === 'cross-entropy') {
    if (o.miner !== undefined) invalid(`--miner does not apply to --loss cross-entropy: its head trains on offline pairs (use --loss contrastive or triplet with a miner)`);
    if (o.margin !== undefined) invalid(`${marginFlag} does not apply to --loss cross-entropy (it has no margin)`);
  }
  if (loss === 'contrastive' && o.miner !== undefined && !(PAIR_MINER_NAMES as readonly string[]).includes(o.miner)) {
    invalid(`--miner ${o.miner} is a triplet miner; the contrastive loss takes a pair miner: ${PAIR_MINER_NAMES.join(', ')}`);
  }
  if (loss === 'triplet' && o.miner !== undefined && !(TRIPLET_MINER_NAMES as readonly string[]).includes(o.miner)) {
    invalid(`--miner ${o.miner} is a pair miner; the triplet loss takes a triplet miner: ${TRIPLET_MINER_NAMES.join(', ')}`);
  }
  const mines = loss === 'triplet' || (loss === 'contrastive' && o.miner !== undefined);
  if (o.mPerClass !== undefined && !mines) {
    invalid(`--m-per-class sizes mining batches; --loss ${loss}${loss === 'contrastive' ? ' without --miner' : ''} trains on offline pairs`);
  }
}

/**
 * The training job an invocation describes: every option `addTrainingOptions`
 * adds, mapped once here so that train, margin and compare never drift apart.
 */
export function runOptionsOf(o: Partial<TrainCliOptions> & Pick<TrainCliOptions, 'dataset' | 'encoder' | 'backend'>): RunTrainingOptions {
  return {
    dataset: o.dataset,
    load: loadOptionsOf(o),
    encoder: o.encoder,
    embeddingDim: o.embeddingDim,
    hidden: o.hidden,
    dropout: o.dropout,
    filters: o.filters,
    dense: o.dense,
    batchNorm: o.batchNorm,
    init: o.init,
    normalize: o.normalize,
    readout: o.readout,
    holdoutClasses: o.holdoutClasses,
    validationClasses: o.validationClasses,
    backend: o.backend,
    out: o.out,
    force: o.force,
    report: o.report,
    ...(o.skipNoFace ? { skipNoFace: true } : {}),
    train: {
      loss: o.loss,
      miner: o.miner,
      margin: o.margin,
      posMargin: o.posMargin,
      validateUntrained: o.validateUntrained,
      memorySize: o.memorySize,
      augmentFlip: o.augmentFlip,
      augmentErase: o.augmentErase,
      distance: o.distance,
      epochs: o.epochs,
      batchSize: o.batchSize,
      mPerClass: o.mPerClass,
      pairsPerEpoch: o.pairsPerEpoch,
      optimizer: o.optimizer,
      learningRate: o.lr,
      lrSchedule: o.lrSchedule,
      seed: o.seed,
      patience: o.patience,
      monitor: o.monitor,
      augmentShift: o.augmentShift,
      resume: o.resume ?? false,
    },
  };
}
