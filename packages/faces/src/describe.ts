/**
 * Detection and description of the faces in one photo (a file or an image in
 * memory), with the on-disk cache for files.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { FaceCache, sha256 } from './cache.js';
import type { DescribedFace, FaceBox, FaceEngine, RgbImage } from './engine.js';
import { checkMaxSide, decodeFaceImage, readFileBytes } from './image.js';
import { DEFAULT_FACE_MAX_SIDE } from './engine.js';
import { loadFaceEngine } from './node-engine.js';

/** Options shared by the functions that read photos. @group Detection and description */
export interface FaceReadOptions {
  /** The engine to use; default `loadFaceEngine()` (SSD detector). */
  engine?: FaceEngine;
  /** Longest side photos are reduced to before detection; default 1920. */
  maxSide?: number;
  /** Cache of descriptors for files: a FaceCache, or false for none. Default: the folder of {@link defaultFaceCacheDir}. */
  cache?: FaceCache | false;
}

/** An encoded photo in memory (an upload): its bytes and a name for messages. Cached by content like a file. @group Detection and description */
export interface EncodedFaceImage {
  bytes: Uint8Array;
  name: string;
}

/** The faces found in one photo. @group Detection and description */
export interface FacesInImage {
  /** The file path, the name of an encoded image, or 'image' for decoded pixels. */
  source: string;
  /** Size of the image the boxes refer to (after EXIF rotation and the size limit). */
  width: number;
  height: number;
  /** Faces left to right, each with its box and 128-d descriptor. */
  faces: DescribedFace[];
  /** True when the result came from the cache. */
  cached: boolean;
}

/** The pipeline string of cache keys and bundles: the engine id and the size limit. @group Detection and description */
export function facePipelineId(engine: FaceEngine, maxSide: number): string {
  return `${engine.id}/maxSide=${maxSide}`;
}

/**
 * Finds every face in a photo and computes its descriptor (detection, 68-point
 * landmarks, alignment, 128-d descriptor). Files and encoded images
 * (`{ bytes, name }`, e.g. an upload) are cached by content hash.
 *
 * @throws ContrastiveError naming the file when it is missing, not an image, or too small.
 * @group Detection and description
 */
export async function describeFaces(input: string | RgbImage | EncodedFaceImage, options: FaceReadOptions = {}): Promise<FacesInImage> {
  const fn = 'describeFaces';
  const maxSide = checkMaxSide(options.maxSide ?? DEFAULT_FACE_MAX_SIDE, fn);
  const engine = options.engine ?? (await loadFaceEngine());
  check(typeof input === 'string' || (input && typeof input === 'object'), fn, 'input must be a file path, an RgbImage or { bytes, name }');
  if (typeof input !== 'string' && !('bytes' in input)) {
    return { source: 'image', width: input.width, height: input.height, faces: await engine.describe(input), cached: false };
  }
  if (typeof input === 'string') check(input.length > 0, fn, 'the file path is empty');
  const bytes = typeof input === 'string' ? await readFileBytes(input, fn) : input.bytes;
  const name = typeof input === 'string' ? input : input.name;
  const cache = options.cache === false ? undefined : (options.cache ?? new FaceCache());
  const pipeline = facePipelineId(engine, maxSide);
  const hash = sha256(bytes);
  const hit = await cache?.get(hash, pipeline);
  if (hit) return { source: name, width: hit.width, height: hit.height, faces: hit.faces, cached: true };
  const image = await decodeFaceImage(bytes, name, maxSide, fn);
  const faces = await engine.describe(image);
  await cache?.set(hash, { pipeline, width: image.width, height: image.height, faces });
  return { source: name, width: image.width, height: image.height, faces, cached: false };
}

/**
 * Finds the faces in a photo (detection only, faster than {@link describeFaces}).
 *
 * @throws ContrastiveError naming the file when it is missing, not an image, or too small.
 * @group Detection and description
 */
export async function detectFaces(input: string | RgbImage, options: Omit<FaceReadOptions, 'cache'> = {}): Promise<FaceBox[]> {
  const fn = 'detectFaces';
  const maxSide = checkMaxSide(options.maxSide ?? DEFAULT_FACE_MAX_SIDE, fn);
  const engine = options.engine ?? (await loadFaceEngine());
  const image = typeof input === 'string' ? await decodeFaceImage(await readFileBytes(input, fn), input, maxSide, fn) : input;
  return engine.detect(image);
}

/** A box as short text for messages: `x,y WxH (score s)`. @group Detection and description */
export function describeBox(b: FaceBox): string {
  return `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}x${Math.round(b.height)} (score ${b.score.toFixed(2)})`;
}

/**
 * The one face of a photo to use: face `index` when given, else the only one.
 * `option` names the choice in messages: an option name ('faceA', written `{ faceA: N }`) or any label ("field 'faceA'").
 *
 * @throws ContrastiveError when the photo has no face, several faces and no
 *   choice (listing the boxes), or `index` is out of range.
 * @group Detection and description
 */
export function chooseFace(found: FacesInImage, index: number | undefined, option = 'face'): DescribedFace {
  const fn = 'chooseFace';
  const list = (): string => found.faces.map((f, i) => `${i}: ${describeBox(f.box)}`).join('; ');
  // An option name ('faceA') reads as the caller writes it, `{ faceA: 1 }`; any other label ("field 'faceA'") as given.
  const isName = /^[a-z][A-Za-z0-9]*$/.test(option);
  const withValue = (value: string): string => (isName ? `{ ${option}: ${value} }` : `${option} ${value}`);
  if (found.faces.length === 0) throw new ContrastiveError('INVALID_DATA', `${found.source}: no face found (${found.width}x${found.height} image)`);
  if (index === undefined) {
    if (found.faces.length === 1) return found.faces[0];
    throw new ContrastiveError('INVALID_ARGUMENT', `${found.source}: ${found.faces.length} faces found, choose one with ${withValue('N')} (left to right: ${list()})`);
  }
  check(Number.isInteger(index) && index >= 0, fn, `${isName ? `{ ${option} }` : option} must be an integer >= 0, got ${index}`);
  if (index >= found.faces.length) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${found.source}: ${withValue(String(index))} is out of range: ${found.faces.length} face${found.faces.length === 1 ? '' : 's'} found (${list()})`);
  }
  return found.faces[index];
}
