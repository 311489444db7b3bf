/**
 * Thumbnails of image examples as PNG data URLs (encoded by sharp), for the
 * report's neighbour grid. Their total size is bounded so a report stays small.
 */
import { check } from 'contrastive/internal/errors.js';
import { loadSharp } from '../util/lazy-module.js';

/** Options of {@link thumbnails}. */
export interface ThumbnailOptions {
  /** Longest side of a thumbnail in pixels; larger images are shrunk. Default 64. */
  maxSide?: number;
  /** Bytes all data URLs together may take; images past it are left out. Default 400000. */
  budgetBytes?: number;
}

/**
 * PNG data URLs of `rows` of an image set `x` (row-major, each example
 * [height, width, channels] with values in [0, 1], as the loaders give them).
 * Returns one entry per row, in order; once the byte budget is spent the rest
 * are null.
 *
 * @throws ContrastiveError when the examples are not images of 1 or 3 channels, or a row is out of range.
 */
export async function thumbnails(x: Float32Array, inputShape: readonly number[], rows: ArrayLike<number>, options: ThumbnailOptions = {}): Promise<Array<string | null>> {
  const fn = 'thumbnails';
  check(inputShape.length === 3, fn, `thumbnails need image examples [height, width, channels], got shape ${JSON.stringify(inputShape)}`);
  const [height, width, channels] = inputShape;
  check(channels === 1 || channels === 3, fn, `images must have 1 or 3 channels, got ${channels}`);
  const size = height * width * channels;
  const n = x.length / size;
  const maxSide = options.maxSide ?? 64;
  let budget = options.budgetBytes ?? 400_000;
  const out: Array<string | null> = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    check(Number.isInteger(r) && r >= 0 && r < n, fn, `row ${r} is out of range (the set has ${n} examples)`);
    if (budget <= 0) {
      out.push(null);
      continue;
    }
    const pixels = new Uint8Array(size);
    for (let i = 0; i < size; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, x[r * size + i])) * 255);
    const sharp = await loadSharp(fn);
    let img = sharp(pixels, { raw: { width, height, channels } });
    if (Math.max(width, height) > maxSide) img = img.resize({ width: maxSide, height: maxSide, fit: 'inside' });
    const png = await img.png({ compressionLevel: 9 }).toBuffer();
    const url = `data:image/png;base64,${png.toString('base64')}`;
    if (url.length > budget) {
      budget = 0;
      out.push(null);
      continue;
    }
    budget -= url.length;
    out.push(url);
  }
  return out;
}
