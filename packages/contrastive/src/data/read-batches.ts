/**
 * Reading a dataset's rows batch by batch: a store held in memory answers at once,
 * a streamed one reads ahead so decoding overlaps the work on the current batch.
 */
import type { ExampleStore } from './types.js';

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
