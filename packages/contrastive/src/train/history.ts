/** What a training run records: one row per epoch, and the run's result. */
import type { PairDiagnostics } from './diagnostics.js';
import type { DistanceHistogram } from '../eval/distance-histogram.js';
import type { KochHead } from './koch-head.js';
import type { NetworkCalibration } from '../models/siamese-network.js';

/** The validation figures of one epoch. @group Training */
export interface ValidationRecord {
  auc: number;
  eer: number;
  accuracy: number;
  threshold: number;
}

/** One row of the training history. @group Training */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  seconds: number;
  validation?: ValidationRecord;
  diagnostics?: PairDiagnostics;
  alarm?: string | null;
  /** Validation pair distances, similar and dissimilar, as histogram counts (for the report). */
  histogram?: DistanceHistogram;
  /** With read-out candidates (`readouts`): each candidate's validation figures, by read-out name ('output', 'under-head', 'NAME:avg'). */
  readouts?: Record<string, ValidationRecord>;
  /** With read-out candidates: the one that scored best this epoch (its figures are `validation`). */
  readout?: string;
}

/** What a training run produced. The network holds the best epoch's weights. @group Training */
export interface TrainResult {
  history: EpochRecord[];
  /** 1-based epoch whose weights the network holds; 0 when no epoch beat the untrained network (`validateUntrained`), whose weights it then keeps. */
  bestEpoch: number;
  /** With `validateUntrained`: the validation figures of the network before training (epoch 0). */
  untrained?: EpochRecord;
  /** Whether training ended before `epochs`: patience ran out, or a callback returned 'stop'. */
  stoppedEarly: boolean;
  /** The cross-entropy head, for loss 'cross-entropy'. */
  head?: KochHead;
  /**
   * The decision threshold calibrated on the validation pairs with the final weights
   * (also set as `network.calibration`); absent without validation data.
   */
  calibration?: NetworkCalibration;
  seconds: number;
}
