/** Copying rows out of a flat row-major buffer: batches for training, pairs of embeddings for scoring. */

/** Copies rows `indices` of `x` (rows of `rowSize` floats) into a new buffer (or `out` at `offset`), in order. */
export function gatherRows(x: Float32Array, rowSize: number, indices: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array {
  const buf = out ?? new Float32Array(indices.length * rowSize);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * rowSize;
    buf.set(x.subarray(src, src + rowSize), offset + k * rowSize);
  }
  return buf;
}
