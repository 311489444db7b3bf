/**
 * Face verification of two photos: detect, align, describe, embed, compare.
 */
import { compareFaces } from './compare.js';
import { chooseFace, describeFaces, type FaceReadOptions } from './describe.js';
import { faceDetectorLabel, type FaceBox, type FaceEngine, type RgbImage } from './engine.js';
import { pretrainedFaceModel, type FaceModel } from './pretrained.js';
import { loadFaceEngine } from './node-engine.js';

/** Options of {@link verifyFaces}. @group Verification */
export interface VerifyFacesOptions extends Omit<FaceReadOptions, 'engine' | 'maxSide'> {
  /** The decision rule; default the pretrained descriptor with its calibrated threshold. */
  model?: FaceModel;
  /** Which face of A (left to right, from 0) when it holds several. */
  faceA?: number;
  /** Which face of B when it holds several. */
  faceB?: number;
  /** Engine to use; default one built with the model's pipeline settings. */
  engine?: FaceEngine;
}

/** The answer of {@link verifyFaces}. @group Verification */
export interface FaceVerification {
  /** Distance of the two faces (descriptor or head embedding). */
  distance: number;
  threshold: number;
  /** distance <= threshold. */
  same: boolean;
  /** p(same | distance) from the model's Platt fit, or null. */
  probability: number | null;
  /** Every face found in each photo, left to right. */
  faces: { a: FaceBox[]; b: FaceBox[] };
  /** The faces compared (indices into faces.a and faces.b). */
  chosen: { a: number; b: number };
  /** The detector that found the faces, in words: the distance depends on it. */
  detector: string;
  /** Why the threshold may not suit the caller's people (the model's warnings); print them beside the verdict. */
  warnings: string[];
}

/**
 * Are the faces in photos `a` and `b` the same person?
 *
 * @throws ContrastiveError naming the file when a photo is missing, not an
 *   image, too small, has no face, or has several faces and no choice (the
 *   message lists the boxes found).
 * @group Verification
 */
export async function verifyFaces(a: string | RgbImage, b: string | RgbImage, options: VerifyFacesOptions = {}): Promise<FaceVerification> {
  const model = options.model ?? pretrainedFaceModel();
  const { detector, minConfidence, tinyInputSize, maxSide } = model.pipeline;
  const engine = options.engine ?? (await loadFaceEngine({ detector, minConfidence, tinyInputSize }));
  const read = { engine, maxSide, cache: options.cache };
  const fa = await describeFaces(a, read);
  const fb = await describeFaces(b, read);
  const faceA = chooseFace(fa, options.faceA, 'faceA');
  const faceB = chooseFace(fb, options.faceB, 'faceB');
  const c = await compareFaces(faceA.descriptor, faceB.descriptor, model);
  return {
    ...c,
    faces: { a: fa.faces.map((f) => f.box), b: fb.faces.map((f) => f.box) },
    chosen: { a: fa.faces.indexOf(faceA), b: fb.faces.indexOf(faceB) },
    detector: faceDetectorLabel({ ...engine.settings, maxSide }),
    warnings: [...(model.warnings ?? [])],
  };
}
