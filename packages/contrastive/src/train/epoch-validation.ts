/**
 * The end-of-epoch validation: score the held-out pairs, record the figures
 * and the pair diagnostics, and decide whether this epoch is the best so far.
 */
import type { LabelledDataset, PairDataset, IndexPairs } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import type { DistanceLike } from '../distances/index.js';
import { verificationMetrics } from '../eval/index.js';
import { pairDiagnostics, collapseAlarm } from './diagnostics.js';
import { distanceHistogram } from '../eval/distance-histogram.js';
import type { KochHead } from './koch-head.js';
import type { EpochRecord, ValidationRecord } from './history.js';
import type { MonitorName } from './choices.js';
import { scoreSplit } from '../eval/held-out-pairs.js';

/** The score early stopping maximises for `monitor`. */
export function monitorScore(v: ValidationRecord, monitor: MonitorName): number {
  return monitor === 'eer' ? -v.eer : monitor === 'accuracy' ? v.accuracy : v.auc;
}

/** Scores `pairs` of the validation split and fills `record.validation` (and, without a head, the diagnostics, alarm and distance histogram). */
export async function validateEpoch(
  network: SiameseNetwork,
  validation: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  scorer: { distance: DistanceLike; head?: KochHead },
  loss: { margin: number; posMargin?: number },
  record: EpochRecord,
): Promise<ValidationRecord> {
  const { margin } = loss;
  const d = await scoreSplit(network, validation, pairs, scorer);
  const vm = verificationMetrics(d, pairs.labels);
  record.validation = { auc: vm.auc, eer: vm.eer, accuracy: vm.bestAccuracy, threshold: vm.bestThreshold };
  if (!scorer.head) {
    record.diagnostics = pairDiagnostics(d, pairs.labels, margin, { posMargin: loss.posMargin });
    record.alarm = collapseAlarm(record.diagnostics, margin);
    record.histogram = distanceHistogram(d, pairs.labels);
  }
  return record.validation;
}
