/**
 * The picture of an example named by its source, as an index records it (a
 * file path, or a dataset row such as 'mnist:123'), for showing search hits:
 * a PNG no larger than `maxSide` pixels a side.
 */
import { loadSharp } from '@contrastive/node/internal/util/sharp.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { readUserFile } from '@contrastive/node/internal/util/user-file.js';
import { loadDataset } from '@contrastive/node/internal/data/index.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';
import { exampleSize } from 'contrastive/internal/data/index.js';

/** Options of {@link examplePicture}. @group Export */
export interface ExamplePictureOptions {
  /** Longest side of the PNG; default 128 (smaller images keep their size). */
  maxSide?: number;
  /** Largest picture file read, in bytes; default {@link DEFAULT_MAX_PICTURE_BYTES}. */
  maxBytes?: number;
  /** Stops reading the file (a request's timeout). */
  signal?: AbortSignal;
}

/** Default cap on the size of a picture file read by {@link examplePicture}: 64 MiB. */
export const DEFAULT_MAX_PICTURE_BYTES = 64 * 1024 * 1024;

let mnist: Promise<LabelledDataset> | null = null;

/** Loader values in [0, 1], [h, w, c] row-major, as a PNG. @group Export */
export async function pixelsToPng(x: ArrayLike<number>, width: number, height: number, channels: 1 | 3): Promise<Uint8Array> {
  const px = Buffer.from(Array.from(x, (v) => Math.max(0, Math.min(255, Math.round(v * 255)))));
  return loadSharp('examplePicture')(px, { raw: { width, height, channels } }).png().toBuffer();
}

/**
 * The PNG of `source`, or null when it names nothing this can draw (a row of
 * a dataset other than mnist, a file that is gone or not an image).
 *
 * @throws ContrastiveError INVALID_DATA when the file is not a regular file (a
 *   FIFO, a device such as /dev/zero, a directory) or is over `maxBytes`: it is
 *   refused without being read (see readUserFile).
 * @group Export
 */
export async function examplePicture(source: string, options: ExamplePictureOptions = {}): Promise<Uint8Array | null> {
  const maxSide = options.maxSide ?? 128;
  const row = /^mnist:(\d+)$/.exec(source);
  if (row) {
    mnist ??= loadDataset('mnist') as Promise<LabelledDataset>;
    const data = await mnist;
    const i = Number(row[1]);
    if (i >= data.labels.length) return null;
    const size = exampleSize(data.inputShape);
    const [h, w] = data.inputShape as [number, number, number];
    return pixelsToPng(data.x.subarray(i * size, (i + 1) * size), w, h, 1);
  }
  const sharp = loadSharp('examplePicture');
  let bytes: Buffer;
  try {
    bytes = await readUserFile(source, { maxBytes: options.maxBytes ?? DEFAULT_MAX_PICTURE_BYTES, what: 'picture', signal: options.signal });
  } catch (err) {
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
  try {
    return await sharp(bytes).autoOrient().resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  } catch {
    return null; // PGM and other forms sharp cannot read are shown without a picture
  }
}
