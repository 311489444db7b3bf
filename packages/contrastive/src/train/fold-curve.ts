/**
 * The cross-validated validation curve: the validation figures of K fold runs
 * (class-disjoint folds), averaged epoch by epoch, and the epoch count whose
 * mean is best on the metric a run selects on.
 */
import { ContrastiveError, check } from '../errors.js';
import { MONITOR_NAMES, type MonitorName } from './choices.js';
import type { EpochRecord, ValidationRecord } from './history.js';

/** Mean and sample standard deviation (n - 1) of one figure over the folds. @group Training */
export interface MeanSd {
  mean: number;
  sd: number;
}

/** One epoch of a {@link FoldCurve}: each validation figure's mean and spread over the folds. @group Training */
export interface FoldCurvePoint {
  /** Epochs trained (0: the untrained network, scored with `validateUntrained`). */
  epoch: number;
  auc: MeanSd;
  eer: MeanSd;
  /** Best accuracy on the validation pairs (any threshold), as in {@link ValidationRecord}. */
  accuracy: MeanSd;
}

/** The fold runs' validation curves averaged: what {@link foldValidationCurve} returns. @group Training */
export interface FoldCurve {
  /** The metric the best epoch is chosen on (higher AUC or accuracy, lower EER). */
  monitor: MonitorName;
  /** One point per epoch, in epoch order. */
  points: FoldCurvePoint[];
  /** The epoch whose mean is best on `monitor` (the earlier one on a tie): the cross-validated epoch count. */
  bestEpoch: number;
}

const FIGURES = ['auc', 'eer', 'accuracy'] as const satisfies readonly (keyof ValidationRecord)[];

function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1)) : 0;
  return { mean, sd };
}

/**
 * Averages the validation curves of K fold runs epoch by epoch (mean and
 * sample standard deviation of AUC, EER and best accuracy) and picks the epoch
 * whose mean is best on `monitor`. Each history is one fold's epoch records
 * with their `validation` figures, epoch 0 (the untrained network) included
 * where the runs scored it; every fold must hold the same epochs.
 *
 * @throws ContrastiveError for fewer than 2 histories, a record without
 *   validation figures (or with one that is not finite), folds that hold
 *   different epochs, or an unknown monitor.
 * @example
 * ```ts
 * import { foldValidationCurve, type EpochRecord } from 'contrastive';
 *
 * const run = (aucs: number[]): EpochRecord[] =>
 *   aucs.map((auc, epoch) => ({ epoch, trainLoss: 0, seconds: 0, validation: { auc, eer: 1 - auc, accuracy: auc, threshold: 0.5 } }));
 * // Epochs 0-2 of two folds: the first peaks at epoch 2, the second at epoch 1.
 * const curve = foldValidationCurve([run([0.7, 0.75, 0.8]), run([0.6, 0.7, 0.62])], 'auc');
 * console.log(curve.bestEpoch, curve.points[1].auc); // 1 { mean: 0.725, sd: 0.0353... }
 * ```
 * @group Training
 */
export function foldValidationCurve(histories: readonly (readonly EpochRecord[])[], monitor: MonitorName = 'auc'): FoldCurve {
  const fn = 'foldValidationCurve';
  check(MONITOR_NAMES.includes(monitor), fn, `unknown monitor '${String(monitor)}' (expected ${MONITOR_NAMES.join(', ')})`);
  check(Array.isArray(histories) && histories.length >= 2, fn, `needs the histories of 2 folds or more, got ${Array.isArray(histories) ? histories.length : typeof histories}`);
  const epochsOf = (h: readonly EpochRecord[]): string => h.map((r) => r.epoch).join(', ');
  const first = epochsOf(histories[0]);
  check(histories[0].length > 0, fn, 'fold 1 has no epochs');
  histories.forEach((h, k) => {
    check(Array.isArray(h), fn, `fold ${k + 1}'s history must be an array of epoch records`);
    if (epochsOf(h) !== first) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: every fold must hold the same epochs to be averaged; fold 1 has epochs [${first}], fold ${k + 1} [${epochsOf(h)}]`);
    }
    for (const r of h) {
      const v = r.validation;
      check(v !== undefined && FIGURES.every((f) => Number.isFinite(v[f])), fn, `fold ${k + 1}, epoch ${r.epoch} has no finite validation figures (auc, eer, accuracy)`);
    }
  });
  const points: FoldCurvePoint[] = histories[0].map((r: EpochRecord, i: number) => {
    const at = (f: (typeof FIGURES)[number]): MeanSd => meanSd(histories.map((h) => h[i].validation![f]));
    return { epoch: r.epoch, auc: at('auc'), eer: at('eer'), accuracy: at('accuracy') };
  });
  // EER is better lower; the trainer maximises -EER the same way (monitorScore).
  const score = (p: FoldCurvePoint): number => (monitor === 'eer' ? -p.eer.mean : p[monitor].mean);
  let best = points[0];
  for (const p of points) if (score(p) > score(best)) best = p;
  return { monitor, points, bestEpoch: best.epoch };
}
