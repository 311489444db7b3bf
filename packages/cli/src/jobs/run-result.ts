/** What a training run reports (metrics.json) and returns: shared by runTraining and the face training job. */
import type { SiameseNetwork } from 'contrastive/internal/models/index.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import type { TrainResult } from 'contrastive/internal/train/index.js';
import type { BackendName } from '@contrastive/node/internal/engine/backend.js';
import type { ForgeryMetrics } from '@contrastive/signatures/internal/index.js';
import type { EncoderName } from './choices.js';
import type { BackboneRecord } from 'contrastive/internal/models/backbone-record.js';
import type { ValidationFoldsRecord } from './validation-folds.js';

/** Held-out-class figures of a reference embedding (Euclidean distance; the pairs and examples of the run's `heldOutClasses`). @group Training */
export interface RunBaseline {
  mapAtR: number;
  precisionAt1: number;
  auc: number;
  /** The best accuracy any threshold reaches on the pairs. */
  bestAccuracy: number;
}

/** The metrics of one run, as written to metrics.json. @group Training */
export interface RunMetrics {
  /** `bestAccuracy`: the best accuracy any threshold reaches on the same test pairs (the calibrated threshold's ceiling). */
  verification: {
    accuracy: number;
    bestAccuracy?: number;
    auc: number;
    eer: number;
    threshold: number;
    tarAtFar: Record<string, number>;
    pairs: number;
    /** With `scoreNorm: 's-norm'`: the figures above are on S-normalised scores; these on the distances of the same pairs. */
    distance?: { auc: number; eer: number; bestAccuracy: number };
  };
  retrieval: { precisionAt1: number; mapAtR: number; rPrecision: number; recallAtK: Record<string, number>; queries: number } | null;
  dataset: string;
  /** The ready encoder trained, or 'backbone' for a head on a pretrained backbone (then `backbone` says which). */
  encoder: EncoderName | 'backbone';
  /** The pretrained backbone under the head, as the bundle records it; absent without one. */
  backbone?: BackboneRecord;
  /** With a frozen backbone: seconds spent computing the features of the train and validation splits, once (not in `trainSeconds`). */
  backboneFeatureSeconds?: number;
  loss: string;
  miner: string | null;
  margin: number;
  distance: DistanceName;
  epochs: number;
  bestEpoch: number;
  backend: BackendName;
  trainSeconds: number;
  seed: number;
  holdoutClasses: number[];
  /** Class-disjoint validation classes (empty or absent when validation shares the training classes). */
  validationClasses?: number[];
  /** With `validationFolds`: the class folds, each fold's curve and best epoch, the mean curve, the chosen epoch count and the pooled threshold. */
  validationFolds?: ValidationFoldsRecord;
  /**
   * With held-out classes: the figures on their examples only (never seen in
   * training, nor in validation), at the threshold calibrated on validation
   * (with class-disjoint validation the test split is exactly these examples).
   */
  heldOutClasses?: Pick<RunMetrics, 'verification' | 'retrieval'>;
  /**
   * With held-out classes: what the run has to beat there, on the same examples and
   * pairs: the raw inputs L2-normalised, and the same encoder untrained (same seed)
   * read at the same read-out.
   */
  baselines?: { rawInput: RunBaseline; untrained: RunBaseline & { readout: string } };
  /** With `validateUntrained`: the untrained network's validation figures (epoch 0), which an epoch had to beat to be kept. */
  untrainedValidation?: { auc: number; eer: number; accuracy: number; threshold: number };
  /** With `scoreNorm: 's-norm'`: the normalisation and the size of each cohort (the threshold and verification figures are on S-normalised scores). */
  scoreNorm?: { kind: 's-norm'; cohortSize: number };
  /** Where embeddings are read: 'output', 'under-head', 'NAME' or 'NAME:avg|max' (as chosen with `readout: 'auto'`). */
  readout?: string;
  /** The layer read, when not the output (e.g. 'flatten_Flatten1' for 'under-head'). */
  readoutLayer?: string;
  /** Size of the embeddings read there, when not the output. */
  embeddingDim?: number;
  split: { train: number; validation: number; test: number };
  /** Images left out because they could not be decoded (with `load.skipBadImages`); absent when none. */
  skippedImages?: string[];
  /** signatures:DIR: EER for skilled and random forgeries, FAR/FRR at the threshold, on test writers. */
  signature?: ForgeryMetrics;
}

/** What `runTraining` returns: where it wrote, the metrics, the trainer's result and the trained network. @group Training */
export interface RunTrainingResult {
  outDir: string;
  /** The HTML report written, or null with `report: false`. */
  reportFile: string | null;
  bundleDir: string;
  metrics: RunMetrics;
  result: TrainResult;
  network: SiameseNetwork;
}
