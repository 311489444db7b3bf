/**
 * `contrastive face calibrate --dataset faces:DIR`: the face threshold chosen
 * on the user's own people, with identity-disjoint k-fold cross-validation
 * (calibrateFaceThreshold), for the pretrained descriptor (whose shipped
 * threshold comes from augmented crops of six photos) or a face bundle's head
 * (written into the bundle, as `contrastive calibrate` does for other bundles).
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import type { ProgressListener } from 'contrastive/internal/util/progress.js';
import {
  calibrateFaceThreshold,
  faceDetectorLabel,
  loadFaceDataset,
  loadFaceEngine,
  loadFaceModel,
  pretrainedFaceModel,
  type FaceCache,
  type FaceCalibration,
  type FaceDetectorName,
  type FaceEngine,
  type FaceModel,
} from '@contrastive/faces/internal/index.js';
import { updateManifest } from '@contrastive/node/internal/models/bundle.js';

/** Options of {@link calibrateFaces}. */
export interface FaceCalibrateOptions {
  /** A face bundle directory whose head is calibrated (and written); default the pretrained descriptor. */
  model?: string;
  /** The pretrained descriptor's detector (a bundle uses its own); default 'ssd'. */
  detector?: FaceDetectorName;
  /** Identity folds; default 5, or fewer so that each holds two people (at least 2 folds). */
  folds?: number;
  /** Seed of the identity folds and the different-person pairs; default 0. */
  seed?: number;
  /** Leave out photos without a face the detector finds instead of failing. */
  skipNoFace?: boolean;
  /** Descriptor cache, or false for none; default the user cache folder. */
  cache?: FaceCache | false;
  engine?: FaceEngine;
  /** Told how many photos are described (task 'describing photos'). */
  onProgress?: ProgressListener;
}

/** What {@link calibrateFaces} returns. */
export interface FaceCalibrateResult extends FaceCalibration {
  /** 'pretrained', or the bundle directory. */
  model: string;
  /** The folder calibrated on. */
  dataset: string;
  /** Photos described and used, and those left out (with skipNoFace) and why. */
  images: number;
  skipped: { file: string; reason: string }[];
  /** The detector that found the faces, in words. */
  detector: string;
  /** The bundle's manifest written, or null for the pretrained descriptor. */
  written: string | null;
  /** The bundle's threshold before, or the shipped default for the pretrained descriptor. */
  previousThreshold: number | null;
}

/**
 * Calibrates the face threshold on the people of `dir` (one sub-folder per
 * person): every photo described (cached), embedded by the model (the
 * pretrained descriptor as is, or a bundle's head), the best-accuracy
 * threshold chosen on balanced pairs of all people and measured by
 * identity-disjoint k-fold, p(same) fitted with p = 0.5 at the threshold.
 * With `model`, the threshold and the fit are written into the bundle's
 * manifest (use people the head was not trained on). `warnings` says when
 * there are too few people or pairs for the figures to mean much.
 *
 * @throws ContrastiveError for a folder with fewer than 2 people with faces,
 *   photos without a face (without skipNoFace), a bundle that is not a face
 *   bundle, or --detector with a bundle.
 */
export async function calibrateFaces(dir: string, options: FaceCalibrateOptions = {}): Promise<FaceCalibrateResult> {
  const fn = 'face calibrate';
  check(typeof dir === 'string' && dir.length > 0, fn, 'give the folder of people: --dataset faces:DIR');
  if (options.model && options.detector) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: --detector applies to the pretrained descriptor only; the bundle ${options.model} uses the detector it was trained with`);
  }
  const model: FaceModel = options.model ? await loadFaceModel(options.model) : pretrainedFaceModel({ pipeline: options.detector ? { detector: options.detector } : {} });
  try {
    const { detector, minConfidence, tinyInputSize, maxSide, multipleFaces } = model.pipeline;
    const engine = options.engine ?? (await loadFaceEngine({ detector, minConfidence, tinyInputSize }));
    const data = await loadFaceDataset(dir, {
      engine,
      maxSide,
      cache: options.cache,
      multipleFaces: multipleFaces ?? 'largest',
      skipNoFace: options.skipNoFace,
      onImage: (done, total) => options.onProgress?.({ task: 'describing photos', done, total }),
    });
    if (data.numClasses < 2) throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir} holds ${data.numClasses} person with a usable face; a threshold between people needs at least 2 (better 20 or more)`);
    const x = await model.embed(data.x);
    // each fold holds two people or more: a fold of one person has no different-person pair to measure
    const folds = options.folds ?? Math.max(2, Math.min(5, Math.floor(data.numClasses / 2)));
    const cal = calibrateFaceThreshold(x, data.labels, { dim: model.dim, folds, seed: options.seed ?? 0 });
    let written: string | null = null;
    const previousThreshold = model.threshold;
    if (options.model) {
      await updateManifest(options.model, {
        threshold: cal.threshold,
        calibration: {
          target: 'accuracy',
          dataset: `faces:${dir} (${cal.identities} people)`,
          probability: { model: 'logistic', a: cal.platt.a, b: cal.platt.b },
          identities: cal.identities,
          pairs: cal.pairs,
          kfold: { folds: cal.folds.length, by: 'identity', accuracy: cal.accuracy },
        },
      });
      written = `${options.model}/manifest.json`;
    }
    return {
      ...cal,
      model: model.source,
      dataset: dir,
      images: data.labels.length,
      skipped: data.skipped,
      detector: faceDetectorLabel({ ...engine.settings, maxSide }),
      written,
      previousThreshold,
    };
  } finally {
    model.dispose();
  }
}
