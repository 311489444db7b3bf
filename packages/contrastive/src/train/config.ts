/**
 * What shapes a training run: the options of `trainSiamese` (stated once, in
 * options.ts), their defaults, and the checks on the data that turn an
 * impossible combination into an error naming it (before any work is done).
 */
import { check } from '../errors.js';
import { isPairDataset, type LabelledDataset, type PairDataset } from '../data/types.js';
import { checkDistance } from '../distances/index.js';
import { TRAIN_DEFAULTS, type LossName } from './choices.js';
import { parseOptions, trainOptionsSchema, type TrainConfig } from './options.js';
import { TRAINER_LOSS_RULES, checkLossOptionRules, ruleName } from './loss-rules.js';
import { checkReadout, readoutName } from '../models/readout.js';

export type { BatchLoss, TrainConfig } from './options.js';

/** The defaults of {@link TrainConfig} (the names and numbers live in choices.ts, which the CLI reads without TF.js). @group Training */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = { ...TRAIN_DEFAULTS };

export { TRAIN_CONFIG_KEYS } from './options.js';

/** The splits the trainer uses. Either both labelled, or both pairs-only. @group Training */
export interface TrainData {
  train: LabelledDataset | PairDataset;
  validation?: LabelledDataset | PairDataset;
}

/**
 * The default options overlaid with the given ones (undefined values keep the
 * default), each checked against its rule; an unknown key is an error naming it.
 * @group Training
 */
export function resolveTrainConfig(options: Partial<TrainConfig>): TrainConfig {
  return parseOptions(trainOptionsSchema, options, 'trainSiamese');
}

/**
 * Throws a ContrastiveError naming the option for a value out of range or a
 * combination that cannot work (a miner with the cross-entropy head, a triplet
 * miner with the contrastive loss, class mining on pairs-only data, ...).
 * @group Training
 */
export function validateTrainConfig(c: TrainConfig, data: TrainData): void {
  const fn = 'train';
  check(data !== null && typeof data === 'object' && data.train !== undefined, 'trainSiamese', 'data must be { train, validation? }');
  // Each option's own rule is the schema's (resolveTrainConfig); a config built by hand is checked here again.
  parseOptions(trainOptionsSchema, c, fn);
  checkDistance(c.distance, fn);
  // Combinations that cannot work: each would otherwise be silently ignored.
  checkLossOptionRules({ ...c, loss: ruleName<LossName>(c.loss), miner: ruleName<string>(c.miner) }, fn, TRAINER_LOSS_RULES);
  const images = data.train.inputShape.length === 3;
  const shape = JSON.stringify(data.train.inputShape);
  if (c.augmentShift > 0) check(images, fn, `shift augmentation ({ augmentShift }) needs image inputs [height, width, channels]; examples have shape ${shape}`);
  if (c.augmentFlip || c.augmentErase || c.augmentAffine) check(images, fn, `flip, erase and affine augmentation need image inputs [height, width, channels]; examples have shape ${shape}`);
  if (isPairDataset(data.train)) {
    check(c.loss !== 'triplet', fn, 'the triplet loss needs class labels; a pairs-only dataset has none (use contrastive or cross-entropy)');
    check(typeof c.loss !== 'function', fn, 'a loss function receives class-labelled batches; a pairs-only dataset has no class labels');
    check(c.miner === undefined, fn, 'in-batch mining needs class labels; a pairs-only dataset has none');
  }
  if (data.validation !== undefined) {
    check(isPairDataset(data.validation) === isPairDataset(data.train), fn, 'train and validation must both be labelled or both pairs-only');
  }
  if (c.readouts !== undefined) {
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
    ...(c.augmentAffine ? { augmentAffine: c.augmentAffine } : {}),
    ...(c.readouts ? { readouts: c.readouts.map(readoutName) } : {}),
    ...(c.validateUntrained ? { validateUntrained: true } : {}),
  };
}

/** The key of {@link resumeSettings}, as stored in a checkpoint. */
export function configKey(c: TrainConfig): string {
  return JSON.stringify(resumeSettings(c));
}
