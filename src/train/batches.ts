/** Copying examples out of a dataset into contiguous batch buffers. */
import * as tf from '@tensorflow/tfjs';

/** Copies rows `indices` of `x` (rows of `rowSize` floats) into a new buffer, in order. */
export function gatherRows(x: Float32Array, rowSize: number, indices: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array {
  const buf = out ?? new Float32Array(indices.length * rowSize);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * rowSize;
    buf.set(x.subarray(src, src + rowSize), offset + k * rowSize);
  }
  return buf;
}

/** A [rows, ...inputShape] tensor made from rows `indices` of `x`. */
export function batchTensor(x: Float32Array, inputShape: readonly number[], indices: ArrayLike<number>): tf.Tensor {
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  return tf.tensor(gatherRows(x, rowSize, indices), [indices.length, ...inputShape]);
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
): tf.Tensor {
  const rowSize = inputShape.reduce((s, v) => s * v, 1);
  const buf = new Float32Array((ia.length + ib.length) * rowSize);
  gatherRows(a, rowSize, ia, buf, 0);
  gatherRows(b, rowSize, ib, buf, ia.length * rowSize);
  return tf.tensor(buf, [ia.length + ib.length, ...inputShape]);
}
