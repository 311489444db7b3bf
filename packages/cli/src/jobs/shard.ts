/**
 * One shard of a large embedding job (`embed --shard i/n`, `index build --shard
 * i/n`): shard i of n is the i-th of n contiguous, near-equal blocks of the rows
 * in their sorted input order (the dataset's order: classes by name, files by
 * name). Contiguous blocks, not a hash of the path: every shard is within one
 * row of the same size, and the shards' outputs concatenated in order 0..n-1 are
 * exactly the one-shot output (the same rows, in the same order).
 */
import { check } from 'contrastive/internal/errors.js';

/** Shard `index` (0-based) of `count`. @group Export */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Reads 'i/n' (0 <= i < n): the i-th shard of n.
 * @throws ContrastiveError naming the text when it is not of that form.
 * @group Export
 */
export function parseShard(text: string, fn = 'shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(String(text));
  check(m !== null, fn, `--shard '${text}' is not of the form i/n (shard i of n, counted from 0), e.g. 0/4`);
  const shard = { index: Number(m![1]), count: Number(m![2]) };
  checkShard(shard, fn);
  return shard;
}

/** Throws unless `shard` is a shard i of n with 0 <= i < n. */
export function checkShard(shard: Shard, fn: string): void {
  check(
    shard !== null && typeof shard === 'object' && Number.isSafeInteger(shard.count) && shard.count >= 1 && Number.isSafeInteger(shard.index) && shard.index >= 0 && shard.index < shard.count,
    fn,
    `shard ${shard?.index}/${shard?.count}: needs a count n >= 1 and an index i with 0 <= i < n (counted from 0)`,
  );
}

/** The rows [start, end) of `rows` that shard `shard` takes. @group Export */
export function shardRange(rows: number, shard: Shard): { start: number; end: number } {
  checkShard(shard, 'shard');
  return { start: Math.floor((shard.index * rows) / shard.count), end: Math.floor(((shard.index + 1) * rows) / shard.count) };
}

/** The row numbers shard `shard` takes of `rows` rows, ascending. */
export function shardRows(rows: number, shard: Shard): Int32Array {
  const { start, end } = shardRange(rows, shard);
  return Int32Array.from({ length: end - start }, (_, k) => start + k);
}
