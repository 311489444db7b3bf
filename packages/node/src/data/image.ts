/**
 * Decoding one image file into the floats a model consumes: sharp decodes
 * PNG, JPEG, WebP, TIFF, GIF and AVIF; PGM/PPM (AT&T/ORL faces) go through our
 * own reader because sharp's prebuilt libvips cannot load them. BMP is not
 * supported (neither sharp nor we decode it): convert such files to PNG.
 */
import path from 'node:path';
import type { Sharp } from 'sharp';
import { loadSharp } from '../util/sharp.js';
import { oneLine } from 'contrastive/internal/util/format.js';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { decodeNetpbm, looksLikeNetpbm } from './netpbm.js';
import { readUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

/**
 * How an image is brought to width x height:
 * - 'cover' (default): scale to fill the whole target, centre-crop the overflow.
 *   Keeps the aspect ratio and adds no artificial borders (suits faces: LFW,
 *   AT&T/ORL are near-square and centred).
 * - 'contain': scale to fit inside, pad with `background` (suits wide images
 *   such as signatures, which cover would crop).
 * - 'fill': stretch to exactly width x height, ignoring the aspect ratio.
 * @group Datasets
 */
export type ImageFit = 'cover' | 'contain' | 'fill';

/** How images are decoded and shaped. @group Datasets */
export interface ImageOptions {
  /** Target width in pixels. */
  width: number;
  /** Target height in pixels. */
  height: number;
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  /** Resize mode; default 'cover'. */
  fit?: ImageFit;
  /** Grey level in [0, 1] for padding ('contain') and for flattening transparency; default 0 (black). */
  background?: number;
}

/** File extensions treated as images when scanning folders (lower case). @group Datasets */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.webp', '.tif', '.tiff', '.gif', '.avif', '.pgm', '.ppm', '.pnm', '.bmp',
];

/** True when `file` has one of {@link IMAGE_EXTENSIONS}. @group Datasets */
export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** Validates image options; `fn` names the public function for the message. */
export function checkImageOptions(options: ImageOptions, fn: string): Required<ImageOptions> {
  check(options !== null && typeof options === 'object', fn, 'options { width, height, channels } are required');
  const { width, height, channels } = options;
  check(Number.isInteger(width) && width >= 1 && width <= 4096, fn, `width must be an integer in 1..4096, got ${width}`);
  check(Number.isInteger(height) && height >= 1 && height <= 4096, fn, `height must be an integer in 1..4096, got ${height}`);
  check(channels === 1 || channels === 3, fn, `channels must be 1 (grayscale) or 3 (RGB), got ${channels}`);
  const fit = options.fit ?? 'cover';
  check(fit === 'cover' || fit === 'contain' || fit === 'fill', fn, `fit must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
  const background = options.background ?? 0;
  check(typeof background === 'number' && background >= 0 && background <= 1, fn, `background must be a grey level in [0, 1], got ${background}`);
  return { width, height, channels, fit, background };
}

/**
 * Decodes `file` into `height * width * channels` floats in [0, 1], row-major,
 * channels interleaved (the layout of inputShape [height, width, channels]).
 * Transparency is flattened onto the background; EXIF orientation is applied.
 *
 * Only a regular file of at most {@link USER_FILE_LIMITS}.image bytes is read
 * (see readUserFile).
 *
 * @param fn name of the public function, used in error messages.
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a
 *   folder, FIFO or device, INVALID_DATA naming the file for an undecodable or
 *   too large one, UNSUPPORTED for BMP.
 * @group Datasets
 */
export async function decodeImage(file: string, options: ImageOptions, fn = 'decodeImage'): Promise<Float32Array> {
  checkImageOptions(options, fn);
  const bytes = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.image, what: 'image', fn });
  return decodeImageBytes(bytes, options, fn, file);
}

/**
 * Decodes `file` like {@link decodeImage} into 8-bit pixels (`height * width * channels`
 * bytes, the same layout): a quarter of the memory; v / 255 is the float decodeImage gives.
 *
 * @throws ContrastiveError as {@link decodeImage}.
 * @group Datasets
 */
export async function decodeImagePixels(file: string, options: ImageOptions, fn = 'decodeImagePixels'): Promise<Uint8Array> {
  const { width, height, channels } = checkImageOptions(options, fn);
  const bytes = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.image, what: 'image', fn });
  const { pixels, got } = await decodeRaw(bytes, options, fn, file);
  const n = width * height;
  if (got === channels) return new Uint8Array(pixels.buffer, pixels.byteOffset, n * channels);
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const base = p * got;
    const colour = got >= 3;
    if (channels === 1) out[p] = colour ? Math.round(0.2126 * pixels[base] + 0.7152 * pixels[base + 1] + 0.0722 * pixels[base + 2]) : pixels[base];
    else for (let c = 0; c < 3; c++) out[p * 3 + c] = colour ? pixels[base + c] : pixels[base];
  }
  return out;
}

/** sharp's raw output for `bytes`: width x height pixels of `got` channels (normally the channels asked for). */
async function decodeRaw(bytes: Uint8Array, options: ImageOptions, fn: string, name: string): Promise<{ pixels: Buffer; got: number }> {
  const { width, height, channels, fit, background } = checkImageOptions(options, fn);
  const file = name;
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    throw new ContrastiveError('UNSUPPORTED', `${fn}: ${file}: BMP images are not supported (sharp cannot decode them); convert them to PNG`);
  }
  const grey = Math.round(background * 255);
  const bg = { r: grey, g: grey, b: grey, alpha: 1 };
  const sharp = loadSharp(fn);
  try {
    let img: Sharp;
    if (looksLikeNetpbm(bytes)) {
      const raw = decodeNetpbm(bytes);
      img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
    } else {
      img = sharp(bytes, { failOn: 'error' }).autoOrient();
    }
    img = img.flatten({ background: bg });
    img = channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    const out = await img.resize(width, height, { fit, background: bg }).raw().toBuffer({ resolveWithObject: true });
    if (out.info.width !== width || out.info.height !== height) {
      throw new Error(`resized to ${out.info.width}x${out.info.height} instead of ${width}x${height}`);
    }
    return { pixels: out.data, got: out.info.channels };
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${file}: cannot decode image (${oneLine((err as Error).message)})`, { cause: err });
  }
}
/**
 * Decodes an image held in memory (an upload, say) exactly as {@link decodeImage}
 * decodes a file; `name` stands for the file in error messages.
 *
 * @throws ContrastiveError INVALID_DATA naming `name` for undecodable bytes, UNSUPPORTED for BMP.
 * @group Datasets
 */
export async function decodeImageBytes(bytes: Uint8Array, options: ImageOptions, fn = 'decodeImageBytes', name = 'image'): Promise<Float32Array> {
  const { width, height, channels } = checkImageOptions(options, fn);
  const { pixels, got } = await decodeRaw(bytes, options, fn, name);
  // sharp normally returns exactly the channels asked for; convert defensively otherwise.
  const n = width * height;
  const x = new Float32Array(n * channels);
  if (got === channels) {
    for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  } else {
    for (let p = 0; p < n; p++) {
      const base = p * got;
      const colour = got >= 3;
      if (channels === 1) {
        x[p] = colour ? (0.2126 * pixels[base] + 0.7152 * pixels[base + 1] + 0.0722 * pixels[base + 2]) / 255 : pixels[base] / 255;
      } else {
        for (let c = 0; c < 3; c++) x[p * 3 + c] = (colour ? pixels[base + c] : pixels[base]) / 255;
      }
    }
  }
  return x;
}
