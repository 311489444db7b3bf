// Public API of src/train: re-exports only.
export { pairDiagnostics, batchPairDiagnostics, collapseAlarm } from './diagnostics.js';
export type { PairDiagnostics, CollapseAlarmOptions } from './diagnostics.js';
export {
  trainSiamese,
  scorePairs,
  scoreSplit,
  validationPairsOf,
  HELD_OUT_PAIRS,
  DEFAULT_TRAIN_CONFIG,
  LOSS_NAMES,
  OPTIMIZER_NAMES,
  LR_SCHEDULES,
  learningRateAt,
} from './trainer.js';
export type { EmbedRows, TrainConfig, TrainData, TrainEvent, TrainResult, EpochRecord, ValidationRecord, LossName, OptimizerName, MonitorName, LrSchedule } from './trainer.js';
export { KochHead } from './koch-head.js';
export type { KochHeadWeights } from './koch-head.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint } from './checkpoint.js';
export { runTraining, ENCODER_NAMES } from './workflow.js';
export type { RunTrainingOptions, RunTrainingResult, RunMetrics, EncoderName } from './workflow.js';
