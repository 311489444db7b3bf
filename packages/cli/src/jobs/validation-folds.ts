/**
 * Class-fold cross-validation for a zero-shot run (`validationFolds`): the seen
 * classes dealt into K disjoint folds; fold k's model trains on the other seen
 * classes and validates on fold k's, as a `validationClasses` run does. The K
 * validation curves are averaged per epoch; the epoch count with the best mean
 * is the cross-validated choice, and the threshold comes from the out-of-fold
 * validation pairs pooled over the folds, each fold model scoring its own
 * validation classes at that epoch count. The final model (trained on every
 * seen class) is the training job's (run-training.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { check } from 'contrastive/internal/errors.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';
import { classFolds } from 'contrastive/internal/data/class-folds.js';
import { splitDataset, checkHeldOutParts } from 'contrastive/internal/data/index.js';
import type { SiameseNetwork } from 'contrastive/internal/models/index.js';
import type { NetworkCalibration } from 'contrastive/internal/models/siamese-network.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import { accuracyCalibration } from 'contrastive/internal/train/accuracy-calibration.js';
import { HELD_OUT_PAIRS, TRAIN_DEFAULTS, type MonitorName } from 'contrastive/internal/train/choices.js';
import { callbackList } from 'contrastive/internal/train/callbacks.js';
import { foldValidationCurve, type FoldCurvePoint } from 'contrastive/internal/train/fold-curve.js';
import { trainSiamese, type TrainConfig, type TrainEvent } from 'contrastive/internal/train/index.js';
import type { EpochRecord } from 'contrastive/internal/train/history.js';
import { validationPairScores, type SNormRun } from './pair-scores.js';

/** One fold's validation figures after an epoch (epoch 0: untrained, with `validateUntrained`). @group Training */
export interface FoldEpoch {
  epoch: number;
  auc: number;
  eer: number;
  accuracy: number;
}

/** What one fold run recorded (metrics.json `validationFolds.folds`). @group Training */
export interface FoldRunRecord {
  /** 1-based fold number. */
  fold: number;
  /** The classes it validated on (never trained on by this fold's model). */
  classes: number[];
  /** The seen classes it trained on: those of the other folds. */
  trainClasses: number[];
  /** Its own best epoch on the run's monitor (what a `validationClasses` run with these classes would keep). */
  bestEpoch: number;
  /** Its validation figures, epoch by epoch. */
  curve: FoldEpoch[];
  /** The threshold of best accuracy on its own out-of-fold scores at the cross-validated epoch (the pooled one is the run's). */
  threshold: number;
  /** Its training time (validation included), in seconds. */
  trainSeconds: number;
}

/** The cross-validation of a `validationFolds` run (metrics.json `validationFolds`). @group Training */
export interface ValidationFoldsRecord {
  /** K, the number of class folds. */
  k: number;
  /** The metric the epoch count was chosen on. */
  monitor: MonitorName;
  folds: FoldRunRecord[];
  /** The folds' mean and sample standard deviation per epoch. */
  mean: FoldCurvePoint[];
  /** The epoch count with the best mean: what the final model trained for (0 keeps the untrained network). */
  bestEpoch: number;
  /** The threshold chosen on the out-of-fold validation pairs of every fold, pooled. */
  calibration: { pairs: number; threshold: number; accuracy: number; scores: 'distance' | 's-norm' };
  /** The fold runs' training time in all, in seconds. */
  trainSeconds: number;
}

/** What {@link crossValidateClassFolds} needs: the job's data, split and trainer settings. */
export interface ClassFoldRun {
  data: LabelledDataset;
  holdoutClasses: readonly number[];
  k: number;
  seed: number;
  /** The trainer settings of every fold run (no checkpoints: fold runs do not resume). */
  config: Partial<TrainConfig> & { distance: DistanceName; seed: number };
  /** A fresh network, initialised from the run's seed (the same for every fold and the final model). */
  buildNetwork: () => SiameseNetwork;
  norm: SNormRun | undefined;
  onEvent?: (e: TrainEvent) => void;
}

/** The classes present in `data` that are not held out, sorted. */
export function seenClasses(data: LabelledDataset, holdoutClasses: readonly number[]): number[] {
  const held = new Set(holdoutClasses);
  const present = new Set<number>();
  for (const c of data.labels) if (!held.has(c)) present.add(c);
  return [...present].sort((p, q) => p - q);
}

/**
 * Runs the K fold trainings and returns the cross-validation record and the
 * calibration from the pooled out-of-fold pairs. Every fold trains every epoch
 * (no early stopping, so the curves align); the weights after each epoch are
 * kept in memory until the mean curve names the epoch count, then each fold
 * model scores its own validation pairs with the weights of that epoch.
 */
export async function crossValidateClassFolds(run: ClassFoldRun): Promise<{ record: ValidationFoldsRecord; calibration: NetworkCalibration }> {
  const { data, holdoutClasses, k, seed, config, norm } = run;
  const seen = seenClasses(data, holdoutClasses);
  check(
    k <= Math.floor(seen.length / 2),
    'train',
    `{ validationFolds: ${k} } is too many for the ${seen.length} seen classes (those not held out): each fold's validation needs 2 classes or more (a dissimilar pair needs two), so at most ${Math.floor(seen.length / 2)} folds${seen.length < 4 ? ' (folds need 4 seen classes or more)' : ''}`,
  );
  const folds = classFolds(seen, k, seed);
  const monitor = config.monitor ?? TRAIN_DEFAULTS.monitor;
  const validationPairs = config.validationPairs ?? HELD_OUT_PAIRS.validation;
  const runs: { network: SiameseNetwork; validation: LabelledDataset; weights: Map<number, tf.Tensor[]>; history: EpochRecord[]; bestEpoch: number; seconds: number }[] = [];
  try {
    for (const classes of folds) {
      const parts = splitDataset(data, { seed, holdoutClasses, validationClasses: classes });
      checkHeldOutParts(data, parts, 'runTraining');
      const network = run.buildNetwork();
      const weights = new Map<number, tf.Tensor[]>();
      const entry = { network, validation: parts.validation, weights, history: [] as EpochRecord[], bestEpoch: 0, seconds: 0 };
      runs.push(entry);
      const keep = (epoch: number): void => {
        weights.set(epoch, network.getWeights().map((t) => t.clone()));
      };
      const result = await trainSiamese(
        network,
        { train: parts.train, validation: parts.validation },
        // Every fold trains every epoch: the mean curve needs each fold's figure at each epoch.
        { ...config, patience: 0, resume: false, callbacks: [...callbackList(config.callbacks), { onTrainBegin: () => keep(0), onEpochEnd: (r) => keep(r.epoch) }] },
        run.onEvent,
      );
      entry.history = [...(result.untrained ? [result.untrained] : []), ...result.history];
      entry.bestEpoch = result.bestEpoch;
      entry.seconds = result.seconds;
    }
    const curve = foldValidationCurve(
      runs.map((r) => r.history),
      monitor,
    );
    const pooled: { scores: number[]; labels: number[] } = { scores: [], labels: [] };
    const foldRecords: FoldRunRecord[] = [];
    for (const [i, r] of runs.entries()) {
      // Out-of-fold scores at the cross-validated epoch count: the weights the final model's recipe reaches there.
      r.network.setWeights(r.weights.get(curve.bestEpoch)!);
      // With S-norm each fold model's scores are normalised against its own cohort, so the pooled scores share one scale.
      const { scores, labels } = await validationPairScores(r.network, r.validation, validationPairs, seed, config.distance, norm);
      for (let p = 0; p < scores.length; p++) {
        pooled.scores.push(scores[p]);
        pooled.labels.push(labels[p]);
      }
      const own = accuracyCalibration(scores, labels, `fold ${i + 1}`);
      foldRecords.push({
        fold: i + 1,
        classes: folds[i],
        trainClasses: seen.filter((c) => !folds[i].includes(c)),
        bestEpoch: r.bestEpoch,
        curve: r.history.map((e) => ({ epoch: e.epoch, auc: e.validation!.auc, eer: e.validation!.eer, accuracy: e.validation!.accuracy })),
        threshold: own.threshold,
        trainSeconds: Math.round(r.seconds * 10) / 10,
      });
    }
    const dataset = data.origin?.dataset ?? data.name;
    const calibration = accuracyCalibration(Float64Array.from(pooled.scores), Uint8Array.from(pooled.labels), `${dataset} out-of-fold validation pairs of ${k} class folds${norm ? ' (s-norm)' : ''}`);
    const record: ValidationFoldsRecord = {
      k,
      monitor,
      folds: foldRecords,
      mean: curve.points,
      bestEpoch: curve.bestEpoch,
      calibration: { pairs: pooled.labels.length, threshold: calibration.threshold, accuracy: calibration.accuracy, scores: norm ? 's-norm' : 'distance' },
      trainSeconds: Math.round(runs.reduce((a, r) => a + r.seconds, 0) * 10) / 10,
    };
    return { record, calibration };
  } finally {
    for (const r of runs) {
      for (const list of r.weights.values()) for (const t of list) t.dispose();
      r.network.dispose();
    }
  }
}
