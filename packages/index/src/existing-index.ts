/**
 * What an output target already holds, read before a job writes an index
 * there, so that nothing is replaced without `force`.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';
import { EmbeddingIndex } from './embedding-index.js';
import { isPostgresTarget } from './targets.js';

/**
 * The number of items of the index at `out`, or 0 when there is nothing to
 * lose there: no index yet (no file or table; a database without pgvector
 * yet). A file that is not an index is refused unless it is empty (it is
 * replaced only with `force`, which the caller checks first). A server that
 * cannot be reached is not an error here: it fails the job itself, in its own
 * words.
 */
export async function existingIndexItems(out: string, opts: { fn: string; flag?: string; connectTimeoutMs?: number }): Promise<number> {
  try {
    const index = await EmbeddingIndex.open(out, { connectTimeoutMs: opts.connectTimeoutMs });
    try {
      return (await index.stats()).items;
    } finally {
      await index.close();
    }
  } catch (err) {
    if (!(err instanceof ContrastiveError)) throw err;
    if (err.code === 'NOT_FOUND' || isPostgresTarget(out)) return 0;
    await refuseExistingOutput(out, out, { fn: opts.fn, flag: opts.flag, file: true });
    return 0;
  }
}
