/**
 * Bounded-concurrency map: decoding thousands of images at once would hold all
 * their file buffers in memory; this keeps at most `limit` in flight.
 */

/**
 * Calls `fn` on every item with at most `limit` calls pending, and resolves to
 * the results in input order. On the first rejection no new calls start and the
 * returned promise rejects with that error (pending calls finish in the background).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
