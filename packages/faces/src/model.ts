/**
 * Face bundles as decision rules: a contrastive head trained on the user's own
 * people on top of the frozen descriptor (`train --dataset faces:DIR`), loaded
 * from disk (Node). The pretrained rule is in pretrained.ts.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { type BundleManifest } from 'contrastive/internal/models/index.js';
import type { SiameseNetwork } from 'contrastive/internal/models/siamese-network.js';
import { scorePairs } from 'contrastive/internal/eval/held-out-pairs.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import { plattAtThreshold, type FaceModel, type FacePipelineSpec } from './pretrained.js';
import { faceCalibrationWarnings } from './calibration.js';
import { loadBundle } from '@contrastive/node/internal/models/bundle.js';

/** The face pipeline recorded in a face bundle's manifest, or null when the bundle is not a face bundle. @group Verification */
export function facePipelineOf(manifest: BundleManifest): FacePipelineSpec | null {
  const p = (manifest.training as { facePipeline?: FacePipelineSpec } | null)?.facePipeline;
  return p && typeof p === 'object' && typeof p.detector === 'string' ? p : null;
}

/** What a face bundle's calibration rests on (recorded by face training and face calibrate), or nulls when not recorded. */
function calibratedOn(manifest: BundleManifest): { identities: number | null; pairs: { similar: number; dissimilar: number } | null } {
  const c = manifest.calibration as { identities?: unknown; pairs?: { similar?: unknown; dissimilar?: unknown } } | null;
  const identities = typeof c?.identities === 'number' ? c.identities : null;
  const pairs = typeof c?.pairs?.similar === 'number' && typeof c.pairs.dissimilar === 'number' ? { similar: c.pairs.similar, dissimilar: c.pairs.dissimilar } : null;
  return { identities, pairs };
}

function networkModel(dir: string, network: SiameseNetwork, manifest: BundleManifest, pipeline: FacePipelineSpec, threshold: number, own: boolean): FaceModel {
  const distanceName: DistanceName = network.distanceName;
  const p = manifest.calibration?.probability;
  const on = calibratedOn(manifest);
  return {
    source: dir,
    threshold,
    platt: p ? plattAtThreshold(p, threshold) : null,
    warnings: own ? faceCalibrationWarnings(`the threshold of ${dir}`, on.identities, on.pairs) : [],
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
 * @group Verification
 */
export async function loadFaceModel(dir: string, options: { threshold?: number } = {}): Promise<FaceModel> {
  const { network, manifest } = await loadBundle(dir);
  const pipeline = facePipelineOf(manifest);
  if (!pipeline || network.inputShape.length !== 1 || network.inputShape[0] !== 128) {
    network.dispose();
    throw new ContrastiveError('INVALID_ARGUMENT', `loadFaceModel: ${dir} is not a face bundle (train one on a faces:DIR dataset: trainFaceModel, or 'contrastive train')`);
  }
  const threshold = options.threshold ?? manifest.threshold;
  if (threshold === null || !Number.isFinite(threshold)) {
    network.dispose();
    throw new ContrastiveError('STATE', `loadFaceModel: ${dir} has no threshold; calibrate it or pass one`);
  }
  return networkModel(dir, network, manifest, pipeline, threshold, options.threshold === undefined);
}
