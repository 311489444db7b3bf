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

/** What an epoch's validation scores with, and the record it fills. */
export interface EpochValidation {
  network: SiameseNetwork;
  validation: LabelledDataset | PairDataset;
  pairs: IndexPairs;
  scorer: { distance: DistanceLike; head?: KochHead };
  loss: { margin: number; posMargin?: number };
  record: EpochRecord;
}

/** Scores the validation pairs with the network as it reads now. */
async function scoreValidation(e: EpochValidation): Promise<{ d: Float32Array; v: ValidationRecord }> {
  const d = await scoreSplit(e.network, e.validation, e.pairs, e.scorer);
  const vm = verificationMetrics(d, e.pairs.labels);
  return { d, v: { auc: vm.auc, eer: vm.eer, accuracy: vm.bestAccuracy, threshold: vm.bestThreshold } };
}

/** Scores `pairs` of the validation split and fills `record.validation` (and, without a head, the diagnostics, alarm and distance histogram). */
export async function validateEpoch(e: EpochValidation): Promise<ValidationRecord> {
  const { d, v } = await scoreValidation(e);
  e.record.validation = v;
  fillDiagnostics(d, e);
  return v;
}

function fillDiagnostics(d: Float32Array, e: EpochValidation): void {
  const { pairs, scorer, loss, record } = e;
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
export async function validateReadouts(e: EpochValidation, candidates: readonly Readout[], monitor: MonitorName): Promise<ValidationRecord> {
  const { network, record } = e;
  let best: { score: number; d: Float32Array; readout: Readout; v: ValidationRecord } | undefined;
  record.readouts = {};
  for (const readout of candidates) {
    network.setReadout(readout);
    const { d, v } = await scoreValidation(e);
    record.readouts[readoutName(readout)] = v;
    const score = monitorScore(v, monitor);
    if (!best || score > best.score) best = { score, d, readout, v };
  }
  network.setReadout(best!.readout);
  record.readout = readoutName(best!.readout);
  record.validation = best!.v;
  fillDiagnostics(best!.d, e);
  return best!.v;
}
