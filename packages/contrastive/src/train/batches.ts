/** Copying examples out of a dataset into contiguous batch buffers. */
import * as tf from '@tensorflow/tfjs';
import type { ExampleStore } from '../data/types.js';

/** How many batches a streamed store reads ahead of the one training: its files decode while the current batch trains. */
export const READ_AHEAD = 2;

/**
 * Each item of `items` with its rows read from `store` (float32, `rowsOf(item)` in
 * order). A store that is not resident reads {@link READ_AHEAD} batches ahead, so
 * decoding overlaps training; the items come out in their own order either way,
 * which keeps the seeded batch order (and augmentation drawn per batch) unchanged.
 */
export async function* readBatches<T>(store: ExampleStore, items: Iterable<T>, rowsOf: (item: T) => ArrayLike<number>): AsyncGenerator<{ item: T; rows: Float32Array }> {
  if (store.resident) {
    for (const item of items) yield { item, rows: store.readSync(rowsOf(item)) };
    return;
  }
  const queue: { item: T; rows: Promise<Float32Array> }[] = [];
  const it = items[Symbol.iterator]();
  let done = false;
  const fill = (): void => {
    while (!done && queue.length <= READ_AHEAD) {
      const next = it.next();
      if (next.done) {
        done = true;
        break;
      }
      const rows = store.read(rowsOf(next.value));
      // handled here, awaited below: a run stopped early must not leave an unhandled rejection behind
      rows.catch(() => undefined);
      queue.push({ item: next.value, rows });
    }
  };
  fill();
  while (queue.length > 0) {
    const head = queue.shift()!;
    const rows = await head.rows;
    fill();
    yield { item: head.item, rows };
  }
}

/** Copies rows `indices` of `x` (rows of `rowSize` floats) into a new buffer, in order. */
export function gatherRows(x: Float32Array, rowSize: number, indices: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array {
  const buf = out ?? new Float32Array(indices.length * rowSize);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * rowSize;
    buf.set(x.subarray(src, src + rowSize), offset + k * rowSize);
  }
  return buf;
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
