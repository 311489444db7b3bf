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
import { readoutName, type Readout } from '../models/readout.js';

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
  fillDiagnostics(d, pairs, scorer, loss, record);
  return record.validation;
}

function fillDiagnostics(d: Float32Array, pairs: IndexPairs, scorer: { head?: KochHead }, loss: { margin: number; posMargin?: number }, record: EpochRecord): void {
  const { margin } = loss;
  if (!scorer.head) {
    record.diagnostics = pairDiagnostics(d, pairs.labels, margin, { posMargin: loss.posMargin });
    record.alarm = collapseAlarm(record.diagnostics, margin);
    record.histogram = distanceHistogram(d, pairs.labels);
  }
}

/**
 * Scores the validation pairs at each of `candidates` (read-outs), records each
 * one's figures in `record.readouts`, and leaves the network reading at the one
 * that scores best on `monitor` this epoch (named in `record.readout`; its figures
 * and diagnostics are `record.validation` and `record.diagnostics`).
 */
export async function validateReadouts(
  network: SiameseNetwork,
  validation: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  scorer: { distance: DistanceLike; head?: KochHead },
  loss: { margin: number; posMargin?: number },
  record: EpochRecord,
  candidates: readonly Readout[],
  monitor: MonitorName,
): Promise<ValidationRecord> {
  let best: { score: number; d: Float32Array; readout: Readout; v: ValidationRecord } | undefined;
  record.readouts = {};
  for (const readout of candidates) {
    network.setReadout(readout);
    const d = await scoreSplit(network, validation, pairs, scorer);
    const vm = verificationMetrics(d, pairs.labels);
    const v: ValidationRecord = { auc: vm.auc, eer: vm.eer, accuracy: vm.bestAccuracy, threshold: vm.bestThreshold };
    record.readouts[readoutName(readout)] = v;
    const score = monitorScore(v, monitor);
    if (!best || score > best.score) best = { score, d, readout, v };
  }
  network.setReadout(best!.readout);
  record.readout = readoutName(best!.readout);
  record.validation = best!.v;
  fillDiagnostics(best!.d, pairs, scorer, loss, record);
  return best!.v;
}
