/**
 * The trainer's options, stated once: one valibot schema from which come the
 * {@link TrainConfig} type (checked equal to the schema's output at compile
 * time), the defaults, the unknown-key check and the per-option validation.
 * Apart from the trainer and free of TensorFlow.js, so that the CLI builds its
 * flags and checks from it without loading TF.js.
 *
 * Adding an option: one entry in {@link trainOptionsSchema} (its rule and
 * default), its documented field in {@link TrainConfig}, and, for a flag, one
 * row of the CLI's table (packages/cli/src/cli/training-options.ts). The
 * compile-time checks and the tests say when one of them is missing.
 */
import * as v from 'valibot';
import { ContrastiveError, check } from '../errors.js';
import { echoValue } from '../util/format.js';
import { DISTANCE_NAMES, type DistanceName } from '../distances/names.js';
import type { Distance, DistanceLike } from '../distances/distance.js';
import type { PairMiner, TripletMiner } from '../miners/types.js';
import { LOSS_NAMES, LR_SCHEDULES, MONITOR_NAMES, OPTIMIZER_NAMES, TRAIN_DEFAULTS, type LossName, type LrSchedule, type MonitorName, type OptimizerName } from './choices.js';
import type { TrainCallbacks } from './callbacks.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type * as tf from '@tensorflow/tfjs';
import type { Readout } from '../models/readout.js';
import { AFFINE_RULE, isAffineAugmentation, type AffineAugmentation } from './augment.js';

/**
 * A loss of your own: called on each class-labelled mining batch (drawn by the
 * m-per-class sampler) with the batch's [N, d] embeddings and the N class labels,
 * it returns a scalar that the trainer differentiates. It does its own mining.
 * @group Training
 */
export type BatchLoss = (embeddings: tf.Tensor2D, labels: Int32Array) => tf.Scalar;

// ---- rules: each says what a valid value is; the option and the value are added by describeOptionIssues

/** A number schema with one message for every way it can fail. */
export function numberRule(rule: string, ok: (n: number) => boolean) {
  return v.pipe(v.number(rule), v.check(ok, rule));
}
export const positiveInt = (rule = 'must be a positive integer') => numberRule(rule, (n) => Number.isInteger(n) && n >= 1);
export const nonNegativeInt = (rule = 'must be a non-negative integer') => numberRule(rule, (n) => Number.isInteger(n) && n >= 0);
export const positiveNumber = (rule = 'must be a positive finite number') => numberRule(rule, (n) => Number.isFinite(n) && n > 0);
export const isFunction = <T>() => v.custom<T>((x) => typeof x === 'function');
export const isObject = <T>(rule: string) => v.custom<T>((x) => typeof x === 'object' && x !== null, rule);
export const oneOf = <T extends string>(names: readonly T[]) => v.picklist(names as T[], `is not one of ${names.join(', ')}`);
const isDistance = (x: unknown): boolean =>
  typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string' && typeof (x as { pairs?: unknown }).pairs === 'function' && typeof (x as { matrix?: unknown }).matrix === 'function';

/**
 * Schema of the trainer's options ({@link TrainConfig}): `v.parse` fills the
 * defaults, refuses unknown keys and checks each option's own rule. Rules
 * between options (a miner with its loss, ...) are the loss rules (train/loss-rules.ts);
 * rules on the data are in `validateTrainConfig`.
 * @group Training
 */
export const trainOptionsSchema = v.strictObject({
  loss: v.optional(
    v.union([v.picklist(LOSS_NAMES as LossName[]), isFunction<BatchLoss>()], `is not one of ${LOSS_NAMES.join(', ')}, or a function (embeddings, labels) => scalar`),
    TRAIN_DEFAULTS.loss,
  ),
  margin: v.optional(positiveNumber(), TRAIN_DEFAULTS.margin),
  posMargin: v.optional(numberRule('must be a finite number >= 0', (n) => Number.isFinite(n) && n >= 0)),
  memorySize: v.optional(nonNegativeInt()),
  distance: v.optional(
    v.union([v.picklist(DISTANCE_NAMES as DistanceName[]), v.custom<Distance>(isDistance)], `is not one of ${DISTANCE_NAMES.join(', ')}, or a distance object { name, pairs(a, b), matrix(x, y) }`),
    TRAIN_DEFAULTS.distance,
  ),
  // a name is checked against the loss's miners (LOSS_OPTION_RULES): which names are valid depends on the loss
  miner: v.optional(v.union([v.string(), isFunction<PairMiner | TripletMiner>()], 'must be a miner name or a miner function')),
  epochs: v.optional(positiveInt(), TRAIN_DEFAULTS.epochs),
  batchSize: v.optional(numberRule('must be an integer >= 2', (n) => Number.isInteger(n) && n >= 2), TRAIN_DEFAULTS.batchSize),
  mPerClass: v.optional(positiveInt()),
  pairsPerEpoch: v.optional(positiveInt()),
  positiveFraction: v.optional(numberRule('must be in (0, 1)', (n) => n > 0 && n < 1), TRAIN_DEFAULTS.positiveFraction),
  optimizer: v.optional(oneOf(OPTIMIZER_NAMES), TRAIN_DEFAULTS.optimizer),
  learningRate: v.optional(positiveNumber(), TRAIN_DEFAULTS.learningRate),
  lrSchedule: v.optional(oneOf(LR_SCHEDULES), TRAIN_DEFAULTS.lrSchedule),
  seed: v.optional(numberRule('must be an integer', Number.isInteger), TRAIN_DEFAULTS.seed),
  validationPairs: v.optional(numberRule('must be an integer >= 2', (n) => Number.isInteger(n) && n >= 2), TRAIN_DEFAULTS.validationPairs),
  monitor: v.optional(oneOf(MONITOR_NAMES), TRAIN_DEFAULTS.monitor),
  patience: v.optional(nonNegativeInt(), TRAIN_DEFAULTS.patience),
  augmentShift: v.optional(nonNegativeInt(), TRAIN_DEFAULTS.augmentShift),
  augmentFlip: v.optional(v.boolean('must be true or false')),
  augmentErase: v.optional(numberRule('must be a probability in [0, 1)', (n) => n >= 0 && n < 1)),
  augmentAffine: v.optional(v.custom<AffineAugmentation>(isAffineAugmentation, AFFINE_RULE)),
  checkpointDir: v.optional(v.string('must be a directory path')),
  checkpointStore: v.optional(isObject<CheckpointStore>('must be a checkpoint store object')),
  resume: v.optional(v.boolean('must be true or false'), TRAIN_DEFAULTS.resume),
  readouts: v.optional(
    v.pipe(
      v.array(isObject<Readout>('must be a list of read-outs { layer, pool? }'), 'must be a list of read-outs { layer, pool? }'),
      v.minLength(1, 'must list at least one read-out { layer, pool? }'),
    ),
  ),
  validateUntrained: v.optional(v.boolean('must be true or false')),
  callbacks: v.optional(isObject<TrainCallbacks | TrainCallbacks[]>('must be a callbacks object or an array of them')),
});

/** Everything that shapes a training run. @group Training */
export interface TrainConfig {
  /**
   * Loss to optimise: 'contrastive' (default), 'triplet', 'cross-entropy' (the
   * Koch et al. head baseline, offline pairs only), or a {@link BatchLoss} of your own.
   */
  loss: LossName | BatchLoss;
  /** Margin m of the contrastive or triplet loss. Default 1. */
  margin: number;
  /** Positive margin of the contrastive loss (similar pairs closer than it cost nothing); 0, the default, is the classic formula. */
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
  /** Probability of random erasing of each training image, in [0, 1) (0 = none). Default 0. */
  augmentErase?: number;
  /**
   * Random affine warp of each training image about its centre (applied before
   * the other augmentations): rotation up to `rotate` degrees either way, zoom in
   * [1 - scale, 1 + scale], horizontal shear up to `shear` degrees, bilinear,
   * zero outside. E.g. `{ rotate: 10, scale: 0.1, shear: 10 }` for digits.
   * Default: none.
   */
  augmentAffine?: AffineAugmentation;
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

/** True when A and B are the same type (not merely assignable to each other). */
export type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `T` is `true`: the documented interface and the schema cannot drift apart. */
export type AssertTrue<T extends true> = T;
// The documented interface (what TypeDoc and editors show, field by field) is exactly what the schema gives.
export type TrainConfigMatchesSchema = AssertTrue<SameType<TrainConfig, v.InferOutput<typeof trainOptionsSchema>>>;

/** Every option `trainSiamese` knows, from the schema; any other key is an error naming it. @group Training */
export const TRAIN_CONFIG_KEYS: readonly (keyof TrainConfig)[] = Object.keys(trainOptionsSchema.entries) as (keyof TrainConfig)[];

/** How a value is shown in a message: `{ epochs: 0 }`, `{ loss: 'hinge' }`. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return `'${echoValue(value)}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return echoValue(JSON.stringify(value) ?? 'an array');
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** `{ name: value }`, the way messages name an option and its value (the CLI rewrites it as `--name value`). */
export function optionValue(name: string, value: unknown): string {
  return `{ ${name}: ${showValue(value)} }`;
}

/**
 * One message for the problems valibot found in an options object: unknown
 * keys listed once (with the known ones), then each problem as
 * `{ option: value } <rule>`.
 */
export function describeOptionIssues(issues: readonly v.BaseIssue<unknown>[], known?: (where: string) => readonly string[] | undefined): string {
  const unknown = new Map<string, string[]>();
  const problems: string[] = [];
  for (const issue of issues) {
    const path = issue.path ?? [];
    const last = path[path.length - 1] as { origin?: string; key?: unknown; input?: unknown } | undefined;
    if (issue.expected === 'never' && last?.origin === 'key') {
      const where = path.slice(0, -1).map((p) => String((p as { key?: unknown }).key)).join('.');
      // valibot stops at the first unknown key of an object; name them all
      const names = known?.(where);
      const parent = last.input as Record<string, unknown>;
      const keys = names ? Object.keys(parent).filter((k) => !names.includes(k)) : [String(last.key)];
      unknown.set(where, [...new Set([...(unknown.get(where) ?? []), ...keys])]);
      continue;
    }
    const key = last === undefined ? 'options' : String(last.key);
    problems.push(`${optionValue(key, issue.input)} ${issue.message}`);
  }
  const lines: string[] = [];
  for (const [where, keys] of unknown) {
    const names = known?.(where);
    lines.push(`unknown option${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${echoValue(k)}'`).join(', ')}${where ? ` in ${where}` : ''}${names ? ` (known: ${names.join(', ')})` : ''}`);
  }
  return [...lines, ...problems].join('; ');
}

/** The keys of an object schema and of the object schemas nested in it, by path ('' for the top): what a message lists as known. */
export function knownKeys(schema: v.GenericSchema): (where: string) => readonly string[] | undefined {
  return (where) => {
    let s: unknown = schema;
    for (const key of where ? where.split('.') : []) {
      let inner = s as { entries?: Record<string, unknown>; wrapped?: unknown };
      inner = (inner.entries?.[key] ?? undefined) as typeof inner;
      while (inner && inner.wrapped) inner = inner.wrapped as typeof inner;
      s = inner;
    }
    const entries = (s as { entries?: Record<string, unknown> } | undefined)?.entries;
    return entries ? Object.keys(entries) : undefined;
  };
}

/** Options parsed by an options schema, or one ContrastiveError naming every problem (`fn: ...`). */
export function parseOptions<S extends v.GenericSchema>(schema: S, options: unknown, fn: string): v.InferOutput<S> {
  check(options !== null && typeof options === 'object' && !Array.isArray(options), fn, `options must be an object, got ${showValue(options)}`);
  const result = v.safeParse(schema, options);
  if (result.success) return result.output;
  throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${describeOptionIssues(result.issues, knownKeys(schema))}`);
}
