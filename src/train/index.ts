// Public API of src/train: re-exports only.
export { pairDiagnostics, batchPairDiagnostics, collapseAlarm } from './diagnostics.js';
export type { PairDiagnostics, CollapseAlarmOptions } from './diagnostics.js';
export { distanceHistogram } from './distance-histogram.js';
export type { DistanceHistogram, DistanceHistogramOptions } from './distance-histogram.js';
export {
  trainSiamese,
  DEFAULT_TRAIN_CONFIG,
  LOSS_NAMES,
  OPTIMIZER_NAMES,
  LR_SCHEDULES,
  MONITOR_NAMES,
  learningRateAt,
} from './trainer.js';
export type { TrainConfig, TrainData, TrainEvent, TrainResult, EpochRecord, ValidationRecord, LossName, OptimizerName, MonitorName, LrSchedule } from './trainer.js';
export { KochHead } from './koch-head.js';
export type { KochHeadWeights } from './koch-head.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint } from './checkpoint.js';
export { HELD_OUT_PAIRS, drawHeldOutPairs, scorePairs, scoreSplit } from './held-out-pairs.js';
export type { EmbedRows } from './held-out-pairs.js';
