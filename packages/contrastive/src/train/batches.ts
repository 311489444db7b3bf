/** Copying examples out of a dataset into contiguous batch buffers. */
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../util/rows.js';

/** A [rows, ...inputShape] tensor made from rows `indices` of `x`. */
export function batchTensor(
  x: Float32Array,
  inputShape: readonly number[],
  indices: ArrayLike<number>,
  augment?: (buf: Float32Array, rows: number) => void,
): tf.Tensor {
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const buf = gatherRows(x, rowSize, indices);
  augment?.(buf, indices.length);
  return tf.tensor(buf, [indices.length, ...inputShape]);
}

/**
 * One tensor holding both sides of a batch of pairs: rows 0..B-1 are the first
 * elements, rows B..2B-1 the second. The encoder runs once over it (shared
 * weights), and the embeddings are split back into the two sides.
 */
export function pairBatchTensor(
  a: Float32Array,
  b: Float32Array,
  inputShape: readonly number[],
  ia: ArrayLike<number>,
  ib: ArrayLike<number>,
  augment?: (buf: Float32Array, rows: number) => void,
): tf.Tensor {
  const rowSize = inputShape.reduce((s, v) => s * v, 1);
  const buf = new Float32Array((ia.length + ib.length) * rowSize);
  gatherRows(a, rowSize, ia, buf, 0);
  gatherRows(b, rowSize, ib, buf, ia.length * rowSize);
  augment?.(buf, ia.length + ib.length);
  return tf.tensor(buf, [ia.length + ib.length, ...inputShape]);
}

/**
 * Shifts each image of a batch by a random whole number of pixels in
 * [-maxShift, maxShift] along both axes (seeded), filling with zeros: the
 * cheapest augmentation that makes small-data image models generalise.
 * `buf` holds `n` images of [height, width, channels], row-major; changed in place.
 */
export function shiftImages(buf: Float32Array, n: number, shape: readonly number[], maxShift: number, rng: { int(n: number): number }): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  const tmp = new Float32Array(size);
  for (let k = 0; k < n; k++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) continue;
    const img = buf.subarray(k * size, (k + 1) * size);
    tmp.fill(0);
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      const sy = y - dy;
      const x0 = Math.max(0, dx);
      const x1 = Math.min(w, w + dx);
      tmp.set(img.subarray((sy * w + x0 - dx) * c, (sy * w + x1 - dx) * c), (y * w + x0) * c);
    }
    img.set(tmp);
  }
}
