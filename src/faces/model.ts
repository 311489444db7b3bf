/**
 * What turns two face descriptors into a decision: the pretrained descriptor
 * with its calibrated threshold, or a face bundle (a contrastive head trained
 * on the user's own people on top of the frozen descriptor).
 */
import { ContrastiveError, check } from '../errors.js';
import type { PlattParameters } from '../eval/index.js';
import { loadBundle, type BundleManifest } from '../models/index.js';
import type { SiameseNetwork } from '../models/siamese-network.js';
import { scorePairs } from '../train/held-out-pairs.js';
import type { DistanceName } from '../distances/index.js';
import { DEFAULT_FACE_ENGINE, type FaceEngineSettings } from './engine.js';
import { DEFAULT_FACE_MAX_SIDE } from './image.js';
import { PRETRAINED_FACE_CALIBRATION } from './pretrained.js';

/** The face pipeline a model expects its descriptors from. */
export interface FacePipelineSpec extends FaceEngineSettings {
  /** Longest side photos are reduced to. */
  maxSide: number;
  /** Which face of a training image was used when it held several. */
  multipleFaces?: 'largest' | 'skip';
}

/** A decision rule on face descriptors. */
export interface FaceModel {
  /** 'pretrained', or the bundle directory. */
  readonly source: string;
  /** Accept as the same person when distance <= threshold. */
  readonly threshold: number;
  /** p(same | d) = 1 / (1 + exp(a d + b)), or null. */
  readonly platt: PlattParameters | null;
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

/** The default pipeline: the SSD detector on photos reduced to 1920 px. */
export const DEFAULT_FACE_PIPELINE: FacePipelineSpec = { ...DEFAULT_FACE_ENGINE, maxSide: DEFAULT_FACE_MAX_SIDE };

function euclidean(a: Float32Array, b: Float32Array): number {
  check(a.length === b.length, 'faceDistance', `embeddings differ in length (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * The pretrained 128-d descriptor as it is, with the threshold and Platt fit
 * calibrated on the augmented sample faces (see PRETRAINED_FACE_CALIBRATION),
 * or your own `threshold`.
 */
export function pretrainedFaceModel(options: { threshold?: number; pipeline?: Partial<FacePipelineSpec> } = {}): FaceModel {
  const threshold = options.threshold ?? PRETRAINED_FACE_CALIBRATION.threshold;
  check(Number.isFinite(threshold) && threshold > 0, 'pretrainedFaceModel', `threshold must be a positive number, got ${threshold}`);
  return {
    source: 'pretrained',
    threshold,
    platt: PRETRAINED_FACE_CALIBRATION.platt,
    pipeline: { ...DEFAULT_FACE_PIPELINE, ...options.pipeline },
    dim: 128,
    embed: async (d) => d,
    distance: euclidean,
    dispose: () => undefined,
  };
}

/** The face pipeline recorded in a face bundle's manifest, or null when the bundle is not a face bundle. */
export function facePipelineOf(manifest: BundleManifest): FacePipelineSpec | null {
  const p = (manifest.training as { facePipeline?: FacePipelineSpec } | null)?.facePipeline;
  return p && typeof p === 'object' && typeof p.detector === 'string' ? p : null;
}

function networkModel(dir: string, network: SiameseNetwork, manifest: BundleManifest, pipeline: FacePipelineSpec, threshold: number): FaceModel {
  const distanceName: DistanceName = network.distanceName;
  const p = manifest.calibration?.probability;
  return {
    source: dir,
    threshold,
    platt: p ? { a: p.a, b: p.b } : null,
    pipeline,
    dim: network.embeddingDim,
    embed: (d) => network.embedBatched(d),
    distance: (a, b) => scorePairs(a, b, a.length, [0], [0], { distance: distanceName })[0],
    dispose: () => network.dispose(),
  };
}

/**
 * Loads a face bundle written by face training (`contrastive train --dataset faces:DIR`).
 *
 * @throws ContrastiveError when `dir` is not a bundle, not a face bundle (no
 *   face pipeline in its manifest), or has no threshold.
 */
export async function loadFaceModel(dir: string, options: { threshold?: number } = {}): Promise<FaceModel> {
  const { network, manifest } = await loadBundle(dir);
  const pipeline = facePipelineOf(manifest);
  if (!pipeline || network.inputShape.length !== 1 || network.inputShape[0] !== 128) {
    network.dispose();
    throw new ContrastiveError('INVALID_ARGUMENT', `loadFaceModel: ${dir} is not a face bundle (train one with 'contrastive train --dataset faces:DIR')`);
  }
  const threshold = options.threshold ?? manifest.threshold;
  if (threshold === null || !Number.isFinite(threshold)) {
    network.dispose();
    throw new ContrastiveError('STATE', `loadFaceModel: ${dir} has no threshold; calibrate it or pass one`);
  }
  return networkModel(dir, network, manifest, pipeline, threshold);
}
