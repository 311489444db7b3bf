/**
 * The decision on two face descriptors under a model: distance, threshold,
 * verdict, p(same). Browser-safe: a page that describes faces with its own
 * face-api (faceEngineFrom) decides with the same rule as Node.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { probabilitySame } from 'contrastive/internal/eval/calibration.js';
import type { FaceModel } from './pretrained.js';

/** The answer of {@link compareFaces}. @group Verification */
export interface FaceComparison {
  /** Distance of the two faces (descriptor or head embedding). */
  distance: number;
  threshold: number;
  /** distance <= threshold. */
  same: boolean;
  /** p(same | distance) from the model's Platt fit, or null. */
  probability: number | null;
}

/**
 * Compares two 128-d face descriptors with `model` (the pretrained rule or a face bundle's head).
 *
 * @throws ContrastiveError when a descriptor is not 128 finite numbers.
 * @group Verification
 */
export async function compareFaces(a: Float32Array, b: Float32Array, model: FaceModel): Promise<FaceComparison> {
  const fn = 'compareFaces';
  for (const [name, d] of [['a', a], ['b', b]] as const) {
    check(d instanceof Float32Array && d.length === 128, fn, `descriptor ${name} must be a Float32Array of 128 values, got ${d?.length ?? typeof d}`);
    if (!d.every(Number.isFinite)) throw new ContrastiveError('NUMERIC', `${fn}: descriptor ${name} has non-finite values`);
  }
  const x = new Float32Array(256);
  x.set(a, 0);
  x.set(b, 128);
  const e = await model.embed(x);
  const distance = model.distance(e.subarray(0, model.dim), e.subarray(model.dim, 2 * model.dim));
  if (!Number.isFinite(distance)) throw new ContrastiveError('NUMERIC', `${fn}: the distance is ${distance}`);
  return {
    distance,
    threshold: model.threshold,
    same: distance <= model.threshold,
    probability: model.platt ? probabilitySame(distance, model.platt) : null,
  };
}
