/**
 * What shapes a training run: the options of `trainSiamese`, their defaults,
 * and the checks that turn an impossible or misspelt option into an error
 * naming it (before any work is done).
 */
import { ContrastiveError, check } from '../errors.js';
import { isPairDataset, type LabelledDataset, type PairDataset } from '../data/types.js';
import { checkDistance, type DistanceLike } from '../distances/index.js';
import { checkMargin } from '../losses/margin.js';
import { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, type PairMiner, type TripletMiner } from '../miners/index.js';
import { LOSS_NAMES, LR_SCHEDULES, MONITOR_NAMES, OPTIMIZER_NAMES, TRAIN_DEFAULTS, type LossName, type LrSchedule, type MonitorName, type OptimizerName } from './choices.js';
import type { TrainCallbacks } from './callbacks.js';
import type { CheckpointStore } from './checkpoint.js';
import type * as tf from '@tensorflow/tfjs';
import { checkReadout, readoutName, type Readout } from '../models/readout.js';

/**
 * A loss of your own: called on each class-labelled mining batch (drawn by the
 * m-per-class sampler) with the batch's [N, d] embeddings and the N class labels,
 * it returns a scalar that the trainer differentiates. It does its own mining.
 * @group Training
 */
export type BatchLoss = (embeddings: tf.Tensor2D, labels: Int32Array) => tf.Scalar;

/** Everything that shapes a training run. @group Training */
export interface TrainConfig {
  /**
   * Loss to optimise: 'contrastive' (default), 'triplet', 'cross-entropy' (the
   * Koch et al. head baseline, offline pairs only), or a {@link BatchLoss} of your own.
   */
  loss: LossName | BatchLoss;
  /** Margin m of the contrastive or triplet loss. Default 1. */
  margin: number;
  /** Positive margin of the contrastive loss (similar pairs closer than it cost nothing); 0, the default, is the seed's formula. */
  posMargin?: number;
  /**
   * Cross-batch memory (contrastive loss with a pair miner): how many recent
   * embeddings to keep and pair with each batch (see `CrossBatchMemory`); 0 or
   * undefined = off. Cleared at each epoch start.
   */
  memorySize?: number;
  /**
   * Distance between embeddings: a name (default 'euclidean') or a {@link Distance}
   * object, used by the loss, the miners' distance matrices and validation alike.
   */
  distance: DistanceLike;
  /**
   * In-batch miner. With the contrastive loss: a pair miner, by name ('all' |
   * 'hard-negative' | 'semi-hard' | 'pair-margin') or a {@link PairMiner} function;
   * undefined trains on offline balanced pairs. With the triplet loss: a triplet
   * miner, by name ('all' | 'hard' | 'semi-hard'; default 'semi-hard') or a
   * {@link TripletMiner} function. The loss tells a function apart: it is a pair
   * miner for 'contrastive' and a triplet miner for 'triplet'. Not allowed with
   * 'cross-entropy' or a loss function (which does its own mining).
   */
  miner?: string | PairMiner | TripletMiner;
  /** Passes over the training data. Default 10. */
  epochs: number;
  /** Pairs per step (offline pairs); mining batches hold 2 x batchSize examples. Default 128. */
  batchSize: number;
  /** Examples per class in a mining batch (m of the m-per-class sampler). Default: batch / classes. */
  mPerClass?: number;
  /** Training pairs per epoch (offline pairs); a mining epoch covers as many pair images. Default: the number of training examples. */
  pairsPerEpoch?: number;
  /** Fraction of similar pairs among offline pairs. Default 0.5 (1:1). */
  positiveFraction: number;
  /** Default 'adam'. */
  optimizer: OptimizerName;
  /** Default 1e-3. */
  learningRate: number;
  /** Learning-rate schedule over the epochs: 'constant', or 'cosine' decay to 0 at the last epoch. Default 'constant'. */
  lrSchedule: LrSchedule;
  /** Seed of every random choice (data order, pairs, augmentation). Default 42. */
  seed: number;
  /** Validation pairs made from the validation split (labelled data). Default 10000. */
  validationPairs: number;
  /** Metric watched for early stopping and for keeping the best weights. Default 'auc'. */
  monitor: MonitorName;
  /** Epochs without improvement before stopping; 0 never stops early. Default 5. */
  patience: number;
  /**
   * Random shift of training images by up to this many pixels (0 = none).
   * Only for image inputs [height, width, channels]. Default 0.
   */
  augmentShift: number;
  /** Mirror training images left-right at random (clothing, faces; not digits or signatures). Default false. */
  augmentFlip?: boolean;
  /** Probability of random erasing of each training image (0 = none). Default 0. */
  augmentErase?: number;
  /** Directory for per-epoch checkpoints (Node); none when undefined. */
  checkpointDir?: string;
  /**
   * Where per-epoch checkpoints go when not a directory: a {@link CheckpointStore}
   * (`indexedDbCheckpointStore(name)` in a page, `memoryCheckpointStore()`). Takes
   * precedence over `checkpointDir`.
   */
  checkpointStore?: CheckpointStore;
  /** Continue from the checkpoint in `checkpointStore` or `checkpointDir`. */
  resume: boolean;
  /**
   * Read-outs to compare on validation every epoch (see {@link Readout}; e.g.
   * `readoutCandidates(network.encoder)`): each is scored, the best on `monitor`
   * counts for early stopping, and the network ends reading at the best epoch's
   * best. Undefined: validate at the network's own read-out.
   */
  readouts?: Readout[];
  /**
   * Score the validation split before training (epoch 0) and keep a trained epoch
   * only if it beats that: when none does, the network keeps its initial weights
   * (`bestEpoch` 0). Default false.
   */
  validateUntrained?: boolean;
  /** Called after every batch and epoch; `onEpochEnd` returning 'stop' ends training. One object or several. */
  callbacks?: TrainCallbacks | TrainCallbacks[];
}

/** The defaults of {@link TrainConfig} (the names and numbers live in choices.ts, which the CLI reads without TF.js). @group Training */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = { ...TRAIN_DEFAULTS };

/** Every option `trainSiamese` knows; any other key is an error naming it. @group Training */
export const TRAIN_CONFIG_KEYS: readonly (keyof TrainConfig)[] = [
  'loss',
  'margin',
  'posMargin',
  'memorySize',
  'distance',
  'miner',
  'epochs',
  'batchSize',
  'mPerClass',
  'pairsPerEpoch',
  'positiveFraction',
  'optimizer',
  'learningRate',
  'lrSchedule',
  'seed',
  'validationPairs',
  'monitor',
  'patience',
  'augmentShift',
  'augmentFlip',
  'augmentErase',
  'checkpointDir',
  'checkpointStore',
  'resume',
  'callbacks',
  'readouts',
  'validateUntrained',
];

/** The splits the trainer uses. Either both labelled, or both pairs-only. @group Training */
export interface TrainData {
  train: LabelledDataset | PairDataset;
  validation?: LabelledDataset | PairDataset;
}

/** The default options overlaid with the given ones (undefined values keep the default). @group Training */
export function resolveTrainConfig(options: Partial<TrainConfig>): TrainConfig {
  check(options !== null && typeof options === 'object', 'trainSiamese', 'options must be an object');
  const unknown = Object.keys(options).filter((k) => !(TRAIN_CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `trainSiamese: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${TRAIN_CONFIG_KEYS.join(', ')})`,
    );
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  return { ...DEFAULT_TRAIN_CONFIG, ...given };
}

const quoted = (names: readonly string[]): string => names.map((s) => `'${s}'`).join(', ');

/**
 * Throws a ContrastiveError naming the option for a value out of range or a
 * combination that cannot work (a miner with the cross-entropy head, a triplet
 * miner with the contrastive loss, class mining on pairs-only data, ...).
 * @group Training
 */
export function validateTrainConfig(c: TrainConfig, data: TrainData): void {
  const fn = 'train';
  check(data !== null && typeof data === 'object' && data.train !== undefined, 'trainSiamese', 'data must be { train, validation? }');
  const customLoss = typeof c.loss === 'function';
  check(customLoss || LOSS_NAMES.includes(c.loss as LossName), fn, `unknown loss '${String(c.loss)}' (expected ${LOSS_NAMES.join(', ')}, or a function (embeddings, labels) => scalar)`);
  checkMargin(c.margin, fn, { positive: true });
  checkDistance(c.distance, fn);
  check(Number.isInteger(c.epochs) && c.epochs >= 1, fn, `epochs must be a positive integer, got ${c.epochs}`);
  check(Number.isInteger(c.batchSize) && c.batchSize >= 2, fn, `batch size must be an integer >= 2, got ${c.batchSize}`);
  check(OPTIMIZER_NAMES.includes(c.optimizer), fn, `unknown optimizer '${String(c.optimizer)}' (expected ${OPTIMIZER_NAMES.join(', ')})`);
  check(Number.isFinite(c.learningRate) && c.learningRate > 0, fn, `learning rate must be positive, got ${c.learningRate}`);
  check(LR_SCHEDULES.includes(c.lrSchedule), fn, `unknown learning-rate schedule '${c.lrSchedule}' (expected ${LR_SCHEDULES.join(', ')})`);
  check(c.positiveFraction > 0 && c.positiveFraction < 1, fn, `positive fraction must be in (0, 1), got ${c.positiveFraction}`);
  check(Number.isInteger(c.seed), fn, `seed must be an integer, got ${c.seed}`);
  check(Number.isInteger(c.validationPairs) && c.validationPairs >= 2, fn, `validation pairs must be an integer >= 2, got ${c.validationPairs}`);
  check(MONITOR_NAMES.includes(c.monitor), fn, `unknown monitor '${String(c.monitor)}' (expected ${MONITOR_NAMES.join(', ')})`);
  check(Number.isInteger(c.patience) && c.patience >= 0, fn, `patience must be a non-negative integer, got ${c.patience}`);
  check(Number.isInteger(c.augmentShift) && c.augmentShift >= 0, fn, `augment shift must be a non-negative integer, got ${c.augmentShift}`);
  if (c.pairsPerEpoch !== undefined) check(Number.isInteger(c.pairsPerEpoch) && c.pairsPerEpoch >= 1, fn, `pairs per epoch must be a positive integer, got ${c.pairsPerEpoch}`);
  if (c.mPerClass !== undefined) check(Number.isInteger(c.mPerClass) && c.mPerClass >= 1, fn, `m per class must be a positive integer, got ${c.mPerClass}`);
  if (c.augmentShift > 0) {
    check(data.train.inputShape.length === 3, fn, `shift augmentation needs image inputs [height, width, channels]; examples have shape ${JSON.stringify(data.train.inputShape)}`);
  }

  // Combinations that cannot work: each would otherwise be silently ignored.
  const minerLabel = typeof c.miner === 'function' ? 'a miner function' : `miner '${String(c.miner)}'`;
  if (c.miner !== undefined) {
    check(typeof c.miner === 'string' || typeof c.miner === 'function', fn, `miner must be a name or a function, got ${typeof c.miner}`);
    check(c.loss !== 'cross-entropy', fn, `${minerLabel} cannot be used with loss 'cross-entropy' (its head trains on offline pairs); drop the miner or use loss 'contrastive' or 'triplet'`);
    check(!customLoss, fn, `${minerLabel} cannot be used with a loss function (it receives the whole class batch and does its own mining); drop the miner`);
    if (c.loss === 'triplet' && typeof c.miner === 'string') {
      check((TRIPLET_MINER_NAMES as readonly string[]).includes(c.miner), fn, `miner '${c.miner}' is not a triplet miner (loss 'triplet' takes ${quoted(TRIPLET_MINER_NAMES)})`);
    }
    if (c.loss === 'contrastive' && typeof c.miner === 'string') {
      check((PAIR_MINER_NAMES as readonly string[]).includes(c.miner), fn, `miner '${c.miner}' is not a pair miner (loss 'contrastive' takes ${quoted(PAIR_MINER_NAMES)})`);
    }
  }
  if (isPairDataset(data.train)) {
    check(c.loss !== 'triplet', fn, 'the triplet loss needs class labels; a pairs-only dataset has none (use contrastive or cross-entropy)');
    check(!customLoss, fn, 'a loss function receives class-labelled batches; a pairs-only dataset has no class labels');
    check(c.miner === undefined, fn, 'in-batch mining needs class labels; a pairs-only dataset has none');
  }
  if (data.validation !== undefined) {
    check(isPairDataset(data.validation) === isPairDataset(data.train), fn, 'train and validation must both be labelled or both pairs-only');
  }
  if (c.posMargin !== undefined) {
    check(Number.isFinite(c.posMargin) && c.posMargin >= 0 && c.posMargin < c.margin, fn, `positive margin must be in [0, margin ${c.margin}), got ${c.posMargin}`);
    check(c.posMargin === 0 || c.loss === 'contrastive', fn, `a positive margin applies to the contrastive loss only, not '${typeof c.loss === 'function' ? 'a loss function' : c.loss}'`);
  }
  if (c.augmentFlip || c.augmentErase) {
    check(data.train.inputShape.length === 3, fn, `flip and erase augmentation need image inputs [height, width, channels]; examples have shape ${JSON.stringify(data.train.inputShape)}`);
  }
  if (c.memorySize) {
    check(Number.isInteger(c.memorySize) && c.memorySize > 0, fn, `memory size must be a non-negative integer, got ${c.memorySize}`);
    check(c.loss === 'contrastive' && c.miner !== undefined, fn, 'a cross-batch memory needs the contrastive loss with an in-batch miner ({ miner })');
  }
  if (c.readouts !== undefined) {
    check(Array.isArray(c.readouts) && c.readouts.length > 0, fn, 'readouts must be a non-empty list of read-outs { layer, pool? }');
    for (const r of c.readouts) checkReadout(r, fn);
    check(c.loss !== 'cross-entropy' || c.readouts.every((r) => r.layer === 'output'), fn, "the cross-entropy head scores the encoder's output: readouts other than 'output' do not apply to loss 'cross-entropy'");
  }
  if (c.resume) check(c.checkpointDir !== undefined || c.checkpointStore !== undefined, fn, 'resume needs a checkpoint directory (checkpointDir) or store (checkpointStore)');
}

/** Whether a run trains on class-labelled mining batches (else on offline pairs). @group Training */
export function usesClassBatches(c: Pick<TrainConfig, 'loss' | 'miner'>): boolean {
  return typeof c.loss === 'function' || c.loss === 'triplet' || c.miner !== undefined;
}

/** How a name-or-function option is recorded in a checkpoint's settings key. */
function pieceName(piece: unknown): unknown {
  if (typeof piece === 'function') return `function ${piece.name || '(anonymous)'}`;
  if (typeof piece === 'object' && piece !== null && 'name' in piece) return `distance ${String(piece.name)}`;
  return piece;
}

/** The settings a checkpoint must agree with to be resumed, by name. */
export function resumeSettings(c: TrainConfig): Record<string, unknown> {
  const { margin, distance, batchSize, mPerClass, pairsPerEpoch, positiveFraction, optimizer, learningRate, lrSchedule, seed, validationPairs, augmentShift } = c;
  // epochs belongs here only for a schedule that depends on it
  const scheduleEpochs = lrSchedule === 'constant' ? undefined : c.epochs;
  return {
    loss: pieceName(c.loss),
    margin,
    distance: pieceName(distance),
    miner: pieceName(c.miner),
    batchSize,
    mPerClass,
    pairsPerEpoch,
    positiveFraction,
    optimizer,
    learningRate,
    lrSchedule,
    scheduleEpochs,
    seed,
    validationPairs,
    augmentShift,
    // only when set, so checkpoints written before these options existed still resume
    ...(c.posMargin ? { posMargin: c.posMargin } : {}),
    ...(c.memorySize ? { memorySize: c.memorySize } : {}),
    ...(c.augmentFlip ? { augmentFlip: true } : {}),
    ...(c.augmentErase ? { augmentErase: c.augmentErase } : {}),
    ...(c.readouts ? { readouts: c.readouts.map(readoutName) } : {}),
    ...(c.validateUntrained ? { validateUntrained: true } : {}),
  };
}

/** The key of {@link resumeSettings}, as stored in a checkpoint. */
export function configKey(c: TrainConfig): string {
  return JSON.stringify(resumeSettings(c));
}
