/**
 * The options train, compare and margin share, from one table
 * ({@link TRAINING_FLAGS}: one row per option of the job's and the trainer's
 * schemas): added once, mapped once to the training job, and checked together
 * before any work with the library's own rules worded as flags, so an option
 * that would be ignored or a combination that cannot work is one clear line,
 * not a silently different run. Choices and defaults come from the library's constants.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ExampleStorage } from 'contrastive/internal/data/types.js';
import { DEFAULT_STREAM_CACHE_BYTES } from '@contrastive/node/internal/data/streamed-images.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { DISTANCE_NAMES, type DistanceName } from 'contrastive/internal/distances/names.js';
import { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, DEFAULT_TRIPLET_MINER } from 'contrastive/internal/miners/names.js';
import { LOSS_NAMES, OPTIMIZER_NAMES, LR_SCHEDULES, MONITOR_NAMES, TRAIN_DEFAULTS, type LossName, type OptimizerName } from 'contrastive/internal/train/choices.js';
import { lossOptionProblem } from 'contrastive/internal/train/loss-rules.js';
import { SCORE_NORMS, DEFAULT_COHORT_SIZE } from 'contrastive/internal/eval/score-norm-names.js';
import { ENCODER_NAMES, RUN_DEFAULTS, type EncoderName } from '../jobs/choices.js';
import { encoderOptionProblem, jobTrainOptionsSchema, runTrainingOptionsSchema, type JobTrainConfig, type RunTrainingOptions } from '../jobs/job-options.js';
import { cliWording } from './wording.js';
import { DATASET_SPECS, DATA_DIR_DATASET_KINDS, DEFAULT_IMAGE_SIZE, RESIZED_DATASET_KINDS, datasetKind } from '@contrastive/node/internal/data/specs.js';
import type { LoadDatasetOptions } from '@contrastive/node/internal/data/load.js';
import { affineRanges, channelCount, choices, classListOrFraction, dflt, fraction, imageSize, intList, nonNegativeInt, nonNegativeNumber, oneOf, optionWithDefault, positiveInt, positiveNumber, readoutChoice, widthList } from './options.js';
import { echoValue } from 'contrastive/internal/util/format.js';
import { BACKBONE_POOLINGS, type BackbonePooling } from 'contrastive/internal/models/backbone-record.js';

/** How `--storage` may hold a folder: dataset's images. */
export const STORAGES: readonly ExampleStorage[] = ['float32', 'uint8', 'stream'];

/** The loader flags (they fill `load`: each row of {@link TRAINING_FLAGS} says how). */
interface LoadFlags {
  dataDir?: string;
  imageSize?: [number, number];
  channels?: 1 | 3;
  skipBadImages?: boolean;
  /** folder: datasets: how the images are held (float32, uint8 or stream). */
  storage?: ExampleStorage;
  /** --storage stream: MiB of decoded images cached. */
  cacheMb?: number;
}

/** The flags of train's backbone: with `--backbone PATH` they make the job's `backbone` (see {@link backboneOf}). */
interface BackboneFlags {
  backboneLayer?: string;
  backbonePooling?: BackbonePooling;
  fineTune?: number;
  backboneScale?: number;
  backboneMean?: number[];
  backboneStd?: number[];
}

/** The backbone flags (their spelling is their row of {@link TRAINING_FLAGS}). */
const BACKBONE_FLAG_KEYS: readonly (keyof BackboneFlags)[] = ['backboneLayer', 'backbonePooling', 'fineTune', 'backboneScale', 'backboneMean', 'backboneStd'];

/** `--backbone` and the flags that go with it: train's only (compare and margin leave them out). */
export const BACKBONE_OPTION_KEYS = ['backbone', ...BACKBONE_FLAG_KEYS] as const;

/**
 * Options of train, compare and margin, named as the job and the trainer name
 * them (`learningRate`, not commander's `lr`: see {@link trainingValues}).
 */
export type TrainCliOptions = Omit<RunTrainingOptions, 'train' | 'load' | 'onProgress' | 'dataset' | 'encoder' | 'backend' | 'backbone'> &
  Omit<JobTrainConfig, 'distance' | 'optimizer' | 'seed' | 'miner' | 'callbacks'> &
  LoadFlags &
  BackboneFlags & {
    /** train: a pretrained backbone under the head (a bundle or a TF.js layers model). */
    backbone?: string;
    /** A miner by name (the CLI has no functions). */
    miner?: string;
    /** Options with a commander default. */
    dataset: string;
    encoder: EncoderName;
    backend: BackendChoice;
    distance: DistanceName;
    optimizer: OptimizerName;
    seed: number;
    json?: boolean;
  };

/** Help groups of the training options, in the order --help shows them. */
const GROUP = {
  data: 'Data:',
  encoder: 'Encoder:',
  loss: 'Loss and mining:',
  training: 'Training:',
  run: 'Run and output:',
} as const;

/** How the command line spells, explains and parses one option. */
export interface TrainingFlag {
  /** Commander's flags, e.g. '--epochs <n>' or '--no-normalize'. */
  flags: string;
  /** Help text, with the default written in (see `dflt`). */
  help: string;
  /** Parser of the flag's text (commander's InvalidArgumentError names the flag). */
  parse?: (value: string) => unknown;
  /** A default commander applies (and --help shows), when the option has one. */
  default?: unknown;
  /** The --help group. */
  group: (typeof GROUP)[keyof typeof GROUP];
  /** A second flag for the same option ('--no-report' beside '--report <file>'), with its help. */
  negate?: { flags: string; help: string };
  /** For a loader flag: the loader options its value sets (see {@link loadOptionsOf}). */
  load?: (value: never) => LoadDatasetOptions;
}

/** An option with no flag, and why. */
export interface NoFlag {
  flags: null;
  why: string;
}

/** Every option of the job and of its trainer settings, plus the loader flags and --json. */
type TrainingKey = Exclude<keyof RunTrainingOptions, 'train' | 'load'> | keyof JobTrainConfig | keyof LoadFlags | keyof BackboneFlags | 'json';

/** A comma-separated list of finite numbers, e.g. 0.485,0.456,0.406. */
function numberList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`expected numbers separated by commas, got '${echoValue(value)}'`);
  return nums;
}

/** S-norm cohort size: at least 2 examples (a standard deviation needs two). */
function cohortSize(value: string): number {
  const n = positiveInt(value);
  if (n < 2) throw new InvalidArgumentError(`expected an integer >= 2, got '${echoValue(value)}'`);
  return n;
}

/** Class folds: at least 2 (one fold is --validation-classes). */
function foldCount(value: string): number {
  const n = positiveInt(value);
  if (n < 2) throw new InvalidArgumentError(`expected an integer >= 2 (one fold is --validation-classes), got '${echoValue(value)}'`);
  return n;
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

/** The help text of a margin option: its default depends on --no-normalize. */
export const MARGIN_HELP = `(default: ${RUN_DEFAULTS.marginNormalized} with normalised embeddings, ${RUN_DEFAULTS.marginUnnormalized} without)`;

/**
 * The command line of every training option, in --help order: one row per
 * option of the job's and the trainer's schemas (a flag, or `null` with the
 * reason there is none), so a new option cannot be forgotten here (the type
 * requires its row) and its flag, help and parser are written once.
 */
export const TRAINING_FLAGS: { readonly [K in TrainingKey]: TrainingFlag | NoFlag } = {
  // data
  dataset: { flags: '--dataset <spec>', help: DATASET_HELP, default: 'mnist', group: GROUP.data },
  dataDir: {
    flags: '--data-dir <dir>',
    help: `folder of the ${DATA_DIR_DATASET_KINDS.join(', ')} files (default: the Debian location)`,
    load: (dataDir: string) => ({ dataDir }),
    group: GROUP.data,
  },
  imageSize: {
    flags: '--image-size <WxH>',
    help: `resize images of ${RESIZED} datasets to this size ${dflt(`${DEFAULT_IMAGE_SIZE.width}x${DEFAULT_IMAGE_SIZE.height}`)}`,
    parse: imageSize,
    load: ([height, width]: [number, number]) => ({ height, width }),
    group: GROUP.data,
  },
  channels: {
    flags: '--channels <n>',
    help: `1 (grayscale) or 3 (RGB) for ${RESIZED} datasets ${dflt(DEFAULT_IMAGE_SIZE.channels)}`,
    parse: channelCount,
    load: (channels: 1 | 3) => ({ channels }),
    group: GROUP.data,
  },
  skipBadImages: {
    flags: '--skip-bad-images',
    help: 'leave out images that cannot be decoded (listed on stderr) instead of failing (folder: datasets)',
    load: (skipBadImages: boolean) => ({ skipBadImages }),
    group: GROUP.data,
  },
  storage: {
    flags: '--storage <kind>',
    help: `how folder: images are held: ${choices(STORAGES)}; uint8 takes a quarter of float32's memory, stream decodes each batch's files from disk (for sets larger than memory) ${dflt('float32')}`,
    parse: oneOf(STORAGES),
    load: (storage: ExampleStorage) => ({ storage }),
    group: GROUP.data,
  },
  cacheMb: {
    flags: '--cache-mb <n>',
    help: `with --storage stream: MiB of decoded images kept for reuse ${dflt(DEFAULT_STREAM_CACHE_BYTES / 2 ** 20)}`,
    parse: nonNegativeInt,
    load: (cacheMb: number) => ({ cacheBytes: cacheMb * 2 ** 20 }),
    group: GROUP.data,
  },
  backbone: {
    flags: '--backbone <path>',
    help: 'a pretrained backbone under a trained head: a bundle directory or a TF.js layers model (folder or model.json); replaces --encoder',
    group: GROUP.encoder,
  },
  backboneLayer: { flags: '--backbone-layer <name>', help: 'the backbone layer whose output are the features (default: its output)', group: GROUP.encoder },
  backbonePooling: {
    flags: '--backbone-pooling <how>',
    help: `how a feature map becomes a vector: ${choices(BACKBONE_POOLINGS)} ${dflt('flatten')}`,
    parse: oneOf(BACKBONE_POOLINGS),
    group: GROUP.encoder,
  },
  fineTune: {
    flags: '--fine-tune <n>',
    help: `train the backbone's last n weighted layers with the head ${dflt(0)}, frozen: its features are computed once`,
    parse: nonNegativeInt,
    group: GROUP.encoder,
  },
  backboneScale: {
    flags: '--backbone-scale <x>',
    help: `the backbone's pixels are (pixel * scale - mean) / std, from 0..255 pixels ${dflt('1/255')}`,
    parse: positiveNumber,
    group: GROUP.encoder,
  },
  backboneMean: { flags: '--backbone-mean <list>', help: `one value or one per channel ${dflt(0)}`, parse: numberList, group: GROUP.encoder },
  backboneStd: { flags: '--backbone-std <list>', help: `one value or one per channel ${dflt(1)}`, parse: numberList, group: GROUP.encoder },
  skipNoFace: { flags: '--skip-no-face', help: 'faces:DIR: leave out photos without a face the detector finds (listed on stderr) instead of failing', group: GROUP.data },
  holdoutClasses: { flags: '--holdout-classes <list>', help: 'classes kept out of training, e.g. 5,6,7,8,9 (zero-shot test)', parse: intList, group: GROUP.data },
  validationClasses: {
    flags: '--validation-classes <list|fraction>',
    help: 'class-disjoint validation (with --holdout-classes): classes, e.g. 3,4, or a fraction of the others, e.g. 0.4, used whole for early stopping and calibration, never trained on or tested',
    parse: classListOrFraction,
    group: GROUP.data,
  },
  validationFolds: {
    flags: '--validation-folds <k>',
    help: 'class-fold cross-validation (with --holdout-classes, instead of --validation-classes): the seen classes in k disjoint folds, each validated on by a model trained on the others; the epoch count with the best mean validation figure trains the final model on every seen class, and the threshold comes from the pooled out-of-fold pairs (k + 1 trainings)',
    parse: foldCount,
    group: GROUP.data,
  },
  validationFraction: { flags: null, why: 'the split fractions of a run are the defaults, which eval and calibrate reproduce (library: runTraining)' },
  testFraction: { flags: null, why: 'as validationFraction' },
  testPairs: { flags: null, why: 'the test pair count is the one eval draws (library: runTraining)' },
  // encoder
  encoder: { flags: '--encoder <name>', help: choices(ENCODER_NAMES), parse: oneOf(ENCODER_NAMES), default: 'mlp', group: GROUP.encoder },
  embeddingDim: { flags: '--embedding-dim <n>', help: `embedding size ${dflt(RUN_DEFAULTS.embeddingDim)}`, parse: positiveInt, group: GROUP.encoder },
  hidden: { flags: '--hidden <list>', help: `hidden layer widths of the mlp encoder ${dflt(RUN_DEFAULTS.hidden)}`, parse: widthList, group: GROUP.encoder },
  dropout: { flags: '--dropout <rate>', help: `dropout after each hidden layer of the mlp encoder ${dflt(0)}`, parse: fraction, group: GROUP.encoder },
  filters: { flags: '--filters <list>', help: `conv widths of the cnn encoder ${dflt(RUN_DEFAULTS.filters)}`, parse: widthList, group: GROUP.encoder },
  dense: { flags: '--dense <n>', help: `dense layer width of the cnn encoder ${dflt(RUN_DEFAULTS.dense)}`, parse: positiveInt, group: GROUP.encoder },
  batchNorm: { flags: '--batch-norm', help: 'batch normalisation in the cnn encoder', group: GROUP.encoder },
  init: {
    flags: '--init <name>',
    help: "weight initialisation of the cnn encoder: he (default) or fan-in-uniform (PyTorch's default)",
    parse: oneOf(['he', 'fan-in-uniform'] as const),
    group: GROUP.encoder,
  },
  readout: {
    flags: '--readout <where>',
    help: "where embeddings are read: output (default), under-head (the input of the encoder's dense head), a layer name, NAME:avg or NAME:max (pooled), or auto (compare them on validation each epoch, keep the best)",
    parse: readoutChoice,
    group: GROUP.encoder,
  },
  scoreNorm: {
    flags: '--score-norm <name>',
    help: `${choices(SCORE_NORMS)}: s-norm scores each pair against a cohort of unlabelled examples of its own domain, so a threshold calibrated on validation classes holds on unseen ones ${dflt('none')}`,
    parse: oneOf(SCORE_NORMS),
    group: GROUP.encoder,
  },
  cohortSize: { flags: '--cohort-size <n>', help: `examples in each s-norm cohort ${dflt(DEFAULT_COHORT_SIZE)}`, parse: cohortSize, group: GROUP.encoder },
  normalize: { flags: '--no-normalize', help: 'do not L2-normalise embeddings (by default they are, and D lies in [0, 2])', group: GROUP.encoder },
  distance: { flags: '--distance <name>', help: choices(DISTANCE_NAMES), parse: oneOf(DISTANCE_NAMES), default: TRAIN_DEFAULTS.distance, group: GROUP.encoder },
  // loss and mining
  loss: { flags: '--loss <name>', help: choices(LOSS_NAMES), parse: oneOf(LOSS_NAMES), default: TRAIN_DEFAULTS.loss, group: GROUP.loss },
  margin: { flags: '--margin <m>', help: `margin of the contrastive/triplet loss ${MARGIN_HELP}`, parse: positiveNumber, group: GROUP.loss },
  posMargin: { flags: '--pos-margin <m>', help: `positive margin of the contrastive loss: similar pairs closer than it cost nothing ${dflt(0)}, the classic formula`, parse: nonNegativeNumber, group: GROUP.loss },
  miner: {
    flags: '--miner <name>',
    help: `in-batch miner: ${choices(PAIR_MINER_NAMES)} (contrastive; default: offline balanced pairs); ${choices(TRIPLET_MINER_NAMES)} (triplet; default: ${DEFAULT_TRIPLET_MINER})`,
    parse: oneOf(MINER_NAMES),
    group: GROUP.loss,
  },
  mPerClass: { flags: '--m-per-class <n>', help: 'examples per class in a mining batch (default: batch / classes)', parse: positiveInt, group: GROUP.loss },
  validateUntrained: {
    flags: '--validate-untrained',
    help: 'score validation before training too: an epoch is kept only if it beats the untrained network (else its weights are kept)',
    group: GROUP.training,
  },
  readouts: { flags: null, why: 'the job fills the candidates from --readout auto (readoutCandidates of the encoder)' },
  memorySize: { flags: '--memory-size <n>', help: `cross-batch memory: recent embeddings paired with each batch (contrastive with --miner) ${dflt(0)}, off`, parse: nonNegativeInt, group: GROUP.loss },
  // training
  epochs: { flags: '--epochs <n>', help: `epochs ${dflt(RUN_DEFAULTS.epochs)}`, parse: positiveInt, group: GROUP.training },
  batchSize: { flags: '--batch-size <n>', help: `pairs per step ${dflt(TRAIN_DEFAULTS.batchSize)}`, parse: batchSize, group: GROUP.training },
  pairsPerEpoch: { flags: '--pairs-per-epoch <n>', help: 'training pairs per epoch (default: training examples)', parse: positiveInt, group: GROUP.training },
  positiveFraction: { flags: null, why: 'offline pairs are balanced 1:1 (library: trainSiamese)' },
  optimizer: { flags: '--optimizer <name>', help: choices(OPTIMIZER_NAMES), parse: oneOf(OPTIMIZER_NAMES), default: TRAIN_DEFAULTS.optimizer, group: GROUP.training },
  learningRate: { flags: '--lr <x>', help: `learning rate ${dflt(TRAIN_DEFAULTS.learningRate)}`, parse: positiveNumber, group: GROUP.training },
  lrSchedule: { flags: '--lr-schedule <name>', help: `${choices(LR_SCHEDULES)} (cosine decays to 0 at the last epoch) ${dflt(TRAIN_DEFAULTS.lrSchedule)}`, parse: oneOf(LR_SCHEDULES), group: GROUP.training },
  seed: { flags: '--seed <n>', help: 'random seed of the split, the initial weights and the data order', parse: nonNegativeInt, default: RUN_DEFAULTS.seed, group: GROUP.training },
  patience: { flags: '--patience <n>', help: `early stopping: epochs without improvement, 0 = off ${dflt(RUN_DEFAULTS.patience)}`, parse: nonNegativeInt, group: GROUP.training },
  monitor: { flags: '--monitor <metric>', help: `validation metric for early stopping and the best epoch: ${choices(MONITOR_NAMES)} ${dflt(TRAIN_DEFAULTS.monitor)}`, parse: oneOf(MONITOR_NAMES), group: GROUP.training },
  validationPairs: { flags: null, why: 'the validation pair count is the one calibrate draws (library: trainSiamese)' },
  augmentShift: {
    flags: '--augment-shift <px>',
    help: `shift training images randomly by up to this many pixels (default: ${RUN_DEFAULTS.augmentShift} for labelled images, 0 otherwise)`,
    parse: nonNegativeInt,
    group: GROUP.training,
  },
  augmentFlip: { flags: '--augment-flip', help: 'mirror training images left-right at random (clothing, faces; not digits or signatures)', group: GROUP.training },
  augmentErase: { flags: '--augment-erase <p>', help: `random erasing: probability of noising one rectangle of each training image ${dflt(0)}`, parse: fraction, group: GROUP.training },
  augmentAffine: {
    flags: '--augment-affine <r,s,h>',
    help: 'random affine warp of training images: rotation up to r degrees, zoom up to s (a fraction), shear up to h degrees, e.g. 10,0.1,10 for digits (default: none)',
    parse: affineRanges,
    group: GROUP.training,
  },
  callbacks: { flags: null, why: 'functions (library: trainSiamese, runTraining)' },
  // run and output
  backend: { flags: '--backend <name>', help: choices(BACKEND_CHOICES), parse: oneOf(BACKEND_CHOICES), default: 'auto', group: GROUP.run },
  out: { flags: '--out <dir>', help: 'output directory (default: runs/<dataset>-<timestamp>)', group: GROUP.run },
  resume: { flags: '--resume', help: 'continue the run in --out from its last checkpoint', group: GROUP.run },
  force: { flags: '--force', help: 'write into an --out that already holds files (without --resume, an existing run is refused)', group: GROUP.run },
  report: {
    flags: '--report <file>',
    help: 'HTML report file (default: report.html in the output directory)',
    negate: { flags: '--no-report', help: 'write no HTML report' },
    group: GROUP.run,
  },
  json: { flags: '--json', help: 'print machine-readable JSON lines instead of a progress bar', group: GROUP.run },
  onProgress: { flags: null, why: 'a function; the CLI shows progress itself' },
};

/** The rows of {@link TRAINING_FLAGS} that have a flag, with the commander attribute each sets. */
function flagRows(): Array<[TrainingKey, TrainingFlag, string]> {
  return (Object.entries(TRAINING_FLAGS) as [TrainingKey, TrainingFlag | NoFlag][])
    .filter((row): row is [TrainingKey, TrainingFlag] => row[1].flags !== null)
    .map(([key, flag]) => [key, flag, new Option(flag.flags).attributeName()]);
}

/**
 * Option names whose flag is not their kebab-case form (`learningRate` is
 * `--lr`), for {@link cliWording}: a library message's `{ learningRate }` is
 * printed as `--lr`.
 */
export const FLAG_ALIASES: ReadonlyMap<string, string> = new Map(
  flagRows()
    .map(([key, flag]) => [key, new Option(flag.flags).long ?? ''] as [string, string])
    .filter(([key, long]) => long !== `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` && !long.startsWith('--no-')),
);

/** Every long flag of the training options. */
export const TRAINING_FLAG_NAMES: ReadonlySet<string> = new Set(
  flagRows().flatMap(([, flag]) => [new Option(flag.flags).long ?? '', ...(flag.negate ? [new Option(flag.negate.flags).long ?? ''] : [])]),
);

/** A library message with its `{ option }` names written as the training flags. */
export function asFlags(message: string): string {
  return cliWording(message, TRAINING_FLAG_NAMES, FLAG_ALIASES);
}

/** How a command adds the training options: which it leaves out, and its own help or default for some. */
export interface TrainingOptionsOf {
  /** Options the command does not take (or adds itself). */
  omit?: readonly TrainingKey[];
  /** Replacements of rows' help, parser or default. */
  override?: Partial<Record<TrainingKey, Partial<TrainingFlag>>>;
}

/** Adds the training options of {@link TRAINING_FLAGS} to `cmd`, grouped, in the table's order. */
export function addTrainingOptions(cmd: Command, of: TrainingOptionsOf = {}): Command {
  for (const [key, row] of flagRows()) {
    if (of.omit?.includes(key)) continue;
    const flag = { ...row, ...of.override?.[key] };
    const option =
      flag.default !== undefined ? optionWithDefault(flag.flags, flag.help, flag.parse, flag.default) : new Option(flag.flags, flag.help);
    if (flag.parse && flag.default === undefined) option.argParser((v: string) => flag.parse!(v));
    cmd.addOption(option.helpGroup(flag.group));
    if (flag.negate) cmd.addOption(new Option(flag.negate.flags, flag.negate.help).helpGroup(flag.group));
  }
  return cmd;
}

/**
 * Commander's values named as the options are ({@link TrainCliOptions}):
 * `lr` becomes `learningRate`. With `command`, values commander filled in from
 * a default are left out (so that a preset can supply them).
 */
export function trainingValues<T extends object>(raw: Record<string, unknown>, command?: Command): T {
  const out: Record<string, unknown> = { ...raw };
  if (command) for (const key of Object.keys(out)) if (command.getOptionValueSource(key) === 'default') delete out[key];
  for (const [key, , attribute] of flagRows()) {
    if (attribute === key || !(attribute in out)) continue;
    out[key] = out[attribute];
    delete out[attribute];
  }
  return out as T;
}

/** Loader options from the loader flags (the rows of {@link TRAINING_FLAGS} with a `load`). */
export function loadOptionsOf(o: Partial<Record<keyof LoadFlags, unknown>>): LoadDatasetOptions {
  const load: LoadDatasetOptions = {};
  for (const [key, row] of flagRows()) {
    const value = (o as Record<string, unknown>)[key];
    if (row.load && value !== undefined) Object.assign(load, row.load(value as never));
  }
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
  o: Pick<TrainCliOptions, 'dataset' | 'dataDir' | 'imageSize' | 'channels' | 'skipBadImages' | 'storage' | 'cacheMb'> & { holdoutClasses?: number[]; validationClasses?: number[] | number; validationFolds?: number },
  /** How the command holds a folder: set without --storage (train: float32; the commands that read each image once: stream). */
  defaultStorage: ExampleStorage = 'float32',
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
  if (o.storage !== undefined && kind !== 'folder') invalid(`--storage applies to folder: datasets; --dataset ${o.dataset} is not one`);
  if (o.storage === 'stream' && o.skipBadImages) invalid('--skip-bad-images needs every image decoded at load, which --storage stream does not do: drop one of them');
  if (o.cacheMb !== undefined && (o.storage ?? (o.skipBadImages ? 'float32' : defaultStorage)) !== 'stream') invalid('--cache-mb applies to --storage stream');
  if (o.holdoutClasses?.length && kind === 'pairs') invalid(`--holdout-classes needs class labels; --dataset ${o.dataset} is a pairs-only dataset`);
  if (o.validationFolds !== undefined && !o.holdoutClasses?.length) {
    invalid('--validation-folds needs --holdout-classes: the folds are made of the seen classes, and the test split is the held-out classes');
  }
  if (o.validationFolds !== undefined && o.validationClasses !== undefined) {
    invalid('--validation-folds and --validation-classes are two ways to choose the validation classes: pass one of them');
  }
  if (o.validationClasses !== undefined && !o.holdoutClasses?.length) {
    invalid('--validation-classes needs --holdout-classes: with class-disjoint validation the test split is the held-out classes');
  }
}

/** Checks the encoder options against --encoder (the job's rule, worded as flags). */
export function checkEncoderOptions(
  o: Pick<TrainCliOptions, 'encoder' | 'hidden' | 'dropout' | 'filters' | 'dense' | 'batchNorm'> & Partial<Pick<TrainCliOptions, 'backbone' | keyof BackboneFlags>>,
): void {
  if (o.backbone === undefined) {
    for (const key of BACKBONE_FLAG_KEYS) {
      if (o[key] !== undefined) invalid(`${new Option((TRAINING_FLAGS[key] as TrainingFlag).flags).long} applies to --backbone PATH; this run has no backbone`);
    }
  } else {
    if (o.encoder !== 'mlp') invalid(`--backbone replaces --encoder (the head on it is dense layers: --hidden, --embedding-dim); drop --encoder ${o.encoder}`);
    for (const [flag, value] of [['--dropout', o.dropout], ['--filters', o.filters], ['--dense', o.dense], ['--batch-norm', o.batchNorm]] as const) {
      if (value !== undefined) invalid(`${flag} does not apply with --backbone (the head on it is dense layers: --hidden, --embedding-dim)`);
    }
    return;
  }
  const problem = encoderOptionProblem(o);
  if (problem !== undefined) invalid(asFlags(problem));
}

/** The job's backbone from train's options, or undefined without --backbone. */
export function backboneOf(o: Partial<TrainCliOptions>): RunTrainingOptions['backbone'] {
  if (!o.backbone) return undefined;
  const one = (v: number[] | undefined): number | number[] | undefined => (v && v.length === 1 ? v[0] : v);
  const pixels = { scale: o.backboneScale, mean: one(o.backboneMean), std: one(o.backboneStd) };
  for (const k of Object.keys(pixels) as (keyof typeof pixels)[]) if (pixels[k] === undefined) delete pixels[k];
  return { source: o.backbone, layer: o.backboneLayer, pooling: o.backbonePooling, fineTune: o.fineTune, pixels };
}

/**
 * Checks the options that depend on the loss, for one loss trained: every rule
 * of LOSS_OPTION_RULES (the trainer's, worded as flags), those the trainer
 * cannot check included (a margin for cross-entropy, --m-per-class on offline pairs).
 */
export function checkLossOptions(loss: LossName, o: Pick<TrainCliOptions, 'miner' | 'margin' | 'mPerClass' | 'posMargin' | 'memorySize'>): void {
  const problem = lossOptionProblem({ loss, miner: o.miner, margin: o.margin, mPerClass: o.mPerClass, posMargin: o.posMargin, memorySize: o.memorySize });
  if (problem !== undefined) invalid(asFlags(problem));
}

/**
 * The training job an invocation describes: each option goes where the job's
 * schemas put it (the job's own, its `train` settings, or the loader's through
 * {@link loadOptionsOf}); options the job does not know (a command's own) stay out.
 */
export function runOptionsOf(o: Partial<TrainCliOptions> & Pick<TrainCliOptions, 'dataset' | 'encoder' | 'backend'>): RunTrainingOptions {
  const job: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    if (key in jobTrainOptionsSchema.entries) train[key] = value;
    else if (key in runTrainingOptionsSchema.entries && key !== 'train' && key !== 'load' && key !== 'backbone') job[key] = value;
  }
  const backbone = backboneOf(o);
  return { ...job, ...(backbone ? { backbone } : {}), load: loadOptionsOf(o), train: { ...train, resume: o.resume ?? false } };
}
