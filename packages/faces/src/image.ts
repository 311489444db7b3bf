/**
 * Reading photos for the face pipeline with sharp: EXIF orientation applied,
 * alpha dropped, colour kept (the descriptor takes RGB), large photos reduced
 * so the longest side is at most `maxSide` (faces of a 4000-px phone photo
 * are far larger than the 150-px crops the descriptor sees).
 */
import { loadSharp } from '@contrastive/node/internal/util/sharp.js';
import { readUserFile, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { DEFAULT_FACE_MAX_SIDE, type RgbImage } from './engine.js';
/** Images smaller than this on either side cannot hold a detectable face. @group Detection and description */
export const MIN_FACE_IMAGE_SIDE = 32;

/** Checks a maxSide option. */
export function checkMaxSide(maxSide: number, fn: string): number {
  check(Number.isInteger(maxSide) && maxSide >= MIN_FACE_IMAGE_SIDE, fn, `maxSide must be an integer >= ${MIN_FACE_IMAGE_SIDE}, got ${maxSide}`);
  return maxSide;
}

/** Reads a photo's bytes: a regular file of at most USER_FILE_LIMITS.image bytes, with a clear error naming it otherwise. */
export async function readFileBytes(file: string, fn: string): Promise<Buffer> {
  return readUserFile(file, { maxBytes: USER_FILE_LIMITS.image, what: 'image', fn });
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP, TIFF, GIF, ...) to RGB.
 * `name` is used in messages.
 *
 * @throws ContrastiveError when the bytes are not an image or the image is too small to hold a face.
 * @group Detection and description
 */
export async function decodeFaceImage(bytes: Uint8Array, name: string, maxSide = DEFAULT_FACE_MAX_SIDE, fn = 'decodeFaceImage'): Promise<RgbImage> {
  checkMaxSide(maxSide, fn);
  const sharp = loadSharp(fn);
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await sharp(bytes, { failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${name}: not a readable image (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  const { width, height, channels } = out.info;
  if (width < MIN_FACE_IMAGE_SIDE || height < MIN_FACE_IMAGE_SIDE) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${name}: image is ${width}x${height}, too small to hold a face (at least ${MIN_FACE_IMAGE_SIDE} px a side)`);
  }
  check(channels === 3, fn, `${name}: decoded to ${channels} channels, expected 3`);
  return { data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length), width, height };
}

/** Reads and decodes a photo for the face pipeline (see {@link decodeFaceImage}). @group Detection and description */
export async function readFaceImage(file: string, maxSide = DEFAULT_FACE_MAX_SIDE, fn = 'readFaceImage'): Promise<RgbImage> {
  return decodeFaceImage(await readFileBytes(file, fn), file, maxSide, fn);
}
