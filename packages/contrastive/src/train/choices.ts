/**
 * The trainer's named choices and default settings, apart from the trainer so
 * that the CLI can list and check them without loading TensorFlow.js.
 */

/** Losses the trainer can optimise. @group Training */
export type LossName = 'contrastive' | 'triplet' | 'cross-entropy';
/** Every {@link LossName}. @group Training */
export const LOSS_NAMES: readonly LossName[] = ['contrastive', 'triplet', 'cross-entropy'];
/** Optimisers the trainer can use. @group Training */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';
/** Every {@link OptimizerName}. @group Training */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];
/** Learning-rate schedules. @group Training */
export type LrSchedule = 'constant' | 'cosine';
/** Every {@link LrSchedule}. @group Training */
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];
/** Validation metrics early stopping can watch. @group Training */
export type MonitorName = 'auc' | 'accuracy' | 'eer';
/** Every {@link MonitorName}. @group Training */
export const MONITOR_NAMES: readonly MonitorName[] = ['auc', 'accuracy', 'eer'];

/**
 * How many held-out pairs are drawn, and the salts (xor-ed into the run's seed)
 * of their draws (and of the S-norm cohorts drawn from the same splits). Training, `contrastive eval` and `calibrate` use the same
 * numbers, so they score exactly the same pairs.
 * @group Training
 */
export const HELD_OUT_PAIRS = { validation: 10000, test: 10000, validationSalt: 0x5eed, testSalt: 0x7e57, cohortSalt: 0xc0407 } as const;

/** The trainer's defaults (see TrainConfig for what each means). @group Training */
export const TRAIN_DEFAULTS = {
  loss: 'contrastive' as LossName,
  margin: 1,
  distance: 'euclidean' as const,
  epochs: 10,
  batchSize: 128,
  positiveFraction: 0.5,
  optimizer: 'adam' as OptimizerName,
  learningRate: 1e-3,
  lrSchedule: 'constant' as LrSchedule,
  seed: 42,
  validationPairs: HELD_OUT_PAIRS.validation as number,
  monitor: 'auc' as MonitorName,
  patience: 5,
  augmentShift: 0,
  resume: false,
};
