/**
 * The calibrated default of the pretrained face descriptor (face-api's
 * 128-d faceRecognitionNet, Euclidean distance). face-api's customary 0.6 lets
 * different people through: on the augmented sample faces below it accepted
 * 296 of 4,924 different-identity pairs (6 %).
 *
 * How it was calibrated (`node --import tsx bench/face-threshold.ts --per-identity 6`):
 * the 22 faces of face-api's six sample photos are 22 identities; each has 6
 * images (its crop plus 5 seeded augmentations: flip, brightness 0.7-1.3, crop
 * shift up to 8 %, rotation up to 10 degrees, blur, JPEG quality 35-90), of
 * which the SSD pipeline found exactly one face in 102. The threshold is the
 * best-accuracy point on all 227 similar pairs and as many random dissimilar
 * ones; identity-disjoint 5-fold cross-validation (threshold chosen without a
 * fold's people, accuracy measured on them) gave per-fold thresholds
 * 0.486-0.507 and a mean held-out accuracy of 0.994. These are augmented crops
 * of six photos, not a real identity set: two augmentations of one crop are far
 * easier to match than two photos of one person taken apart, so the threshold
 * is likely too strict for real photos. Calibrate on your own people
 * (`contrastive face calibrate --dataset faces:DIR`, `calibrateFaceThreshold`,
 * or train a head with `train --dataset faces:DIR`).
 *
 * p(same | d) is the Platt fit on the same pairs with p = 0.5 pinned at the
 * threshold, so the verdict and the probability agree; a model centres it on
 * the threshold it decides with ({@link plattAtThreshold}).
 *
 * Browser-safe (no Node module is imported here), like engine.ts and compare.ts.
 */

import { check } from 'contrastive/internal/errors.js';
import { squaredDifference } from 'contrastive/internal/distances/squared-difference.js';
import type { PlattParameters } from 'contrastive/internal/eval/calibration.js';
import { DEFAULT_FACE_ENGINE, DEFAULT_FACE_MAX_SIDE, type FaceEngineSettings } from './engine.js';

/** Threshold and Platt fit of the pretrained descriptor, and where they come from. @group Verification */
export const PRETRAINED_FACE_CALIBRATION = {
  threshold: 0.4749,
  // pinned at the threshold (bench/face-threshold.ts, same pairs): b = -a * 0.4749, so p(same | 0.4749) = 0.5
  platt: { a: 28.589, b: -13.577 },
  target: 'accuracy',
  dataset: 'augmented crops of the 22 faces in face-api demo/sample1-6.jpg (102 images, 227 similar + 227 dissimilar pairs)',
  kfold: { folds: 5, by: 'identity', accuracy: 0.994, thresholds: [0.486, 0.507] as [number, number] },
  customary: { threshold: 0.6, falseAccepts: '296 of 4924 different-identity pairs' },
  /** What to tell a user beside the threshold wherever it is printed. */
  caveat:
    "the default face threshold 0.4749 was calibrated on augmented crops of six sample photos, where two images of one person are far easier to match than two photos of one person taken apart: calibrate on your own people with 'contrastive face calibrate --dataset faces:DIR'",
} as const;

/**
 * The Platt curve `platt` with its slope kept and moved so that p = 0.5 at
 * `threshold`: p(same) >= 0.5 exactly when distance <= threshold, whatever
 * threshold a model decides with (its calibrated one or one passed in).
 */
export function plattAtThreshold(platt: PlattParameters, threshold: number): PlattParameters {
  return { a: platt.a, b: -platt.a * threshold };
}

/** The face pipeline a model expects its descriptors from. @group Verification */
export interface FacePipelineSpec extends FaceEngineSettings {
  /** Longest side photos are reduced to. */
  maxSide: number;
  /** Which face of a training image was used when it held several. */
  multipleFaces?: 'largest' | 'skip';
}

/** A decision rule on face descriptors. @group Verification */
export interface FaceModel {
  /** 'pretrained', or the bundle directory. */
  readonly source: string;
  /** Accept as the same person when distance <= threshold. */
  readonly threshold: number;
  /** p(same | d) = 1 / (1 + exp(a d + b)), or null; centred on `threshold` (p = 0.5 there, see {@link plattAtThreshold}). */
  readonly platt: PlattParameters | null;
  /** Why the threshold may not suit the caller's people (how and on what it was calibrated); print them beside its figures. */
  readonly warnings?: readonly string[];
  /** The pipeline the descriptors must come from. */
  readonly pipeline: FacePipelineSpec;
  /** Length of an embedding (128 for the pretrained descriptor). */
  readonly dim: number;
  /** Maps n descriptors (n x 128, row-major) to n embeddings (n x dim). */
  embed(descriptors: Float32Array): Promise<Float32Array>;
  /** Distance of two embeddings. */
  distance(a: Float32Array, b: Float32Array): number;
  /** Frees the model's tensors. */
  dispose(): void;
}

/** The default pipeline: the SSD detector on photos reduced to 1920 px. @group Verification */
export const DEFAULT_FACE_PIPELINE: FacePipelineSpec = { ...DEFAULT_FACE_ENGINE, maxSide: DEFAULT_FACE_MAX_SIDE };

function euclidean(a: Float32Array, b: Float32Array): number {
  check(a.length === b.length, 'faceDistance', `embeddings differ in length (${a.length} vs ${b.length})`);
  return Math.sqrt(squaredDifference(a, 0, b, 0, a.length));
}

/**
 * The pretrained 128-d descriptor as it is, with the threshold and Platt fit
 * calibrated on the augmented sample faces (see PRETRAINED_FACE_CALIBRATION),
 * or your own `threshold`.
 * @group Verification
 */
export function pretrainedFaceModel(options: { threshold?: number; pipeline?: Partial<FacePipelineSpec> } = {}): FaceModel {
  const threshold = options.threshold ?? PRETRAINED_FACE_CALIBRATION.threshold;
  check(Number.isFinite(threshold) && threshold > 0, 'pretrainedFaceModel', `threshold must be a positive number, got ${threshold}`);
  return {
    source: 'pretrained',
    threshold,
    platt: plattAtThreshold(PRETRAINED_FACE_CALIBRATION.platt, threshold),
    // the caveat is about the shipped threshold; a threshold of the caller's own is theirs
    warnings: options.threshold === undefined ? [PRETRAINED_FACE_CALIBRATION.caveat] : [],
    pipeline: { ...DEFAULT_FACE_PIPELINE, ...options.pipeline },
    dim: 128,
    embed: async (d) => d,
    distance: euclidean,
    dispose: () => undefined,
  };
}

