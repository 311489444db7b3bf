/**
 * Merging index shards into one index (`contrastive index merge OUT IN...`):
 * a large collection embedded on many machines (`index build --shard i/n`, one
 * SQLite file each) becomes one index, SQLite or PostgreSQL + pgvector. Shards
 * must agree on what their vectors mean (the same model identity, embedding size
 * and distance) and no id may be in two of them; the output is written beside
 * its target and replaces it in one step, only when everything merged. An
 * approximate-search structure kept beside an index is not merged: build it on
 * the merged index.
 */
import { existsSync } from 'node:fs';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { refuseOutputOverInput } from '@contrastive/node/internal/util/output-dir.js';
import { EmbeddingIndex } from './embedding-index.js';
import { existingIndexItems } from './existing-index.js';
import type { HnswOptions } from './pg-store.js';
import type { IndexMeta } from './store.js';
import { describeTarget, isPostgresTarget } from './targets.js';

/** Options of {@link mergeIndexes}. @group Index */
export interface MergeIndexOptions {
  /** Replace an index at the output that holds items, or a file that is not empty (never an input). */
  force?: boolean;
  /** Build a pgvector HNSW index on the merged table (PostgreSQL output only). */
  hnsw?: boolean | HnswOptions;
  /** PostgreSQL connect timeout. */
  connectTimeoutMs?: number;
  /** Called after each input is copied, with the items done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link mergeIndexes} returns. @group Index */
export interface MergeIndexResult {
  /** The output, without any password. */
  where: string;
  store: 'sqlite' | 'postgres';
  items: number;
  dim: number;
  distance: IndexMeta['distance'];
  model: IndexMeta['model'];
  /** Each input and the items it gave, in the order given. */
  inputs: { where: string; items: number }[];
}

const FN = 'index merge';

/** The first way `meta` differs from the first input's, or null. */
function mismatch(first: IndexMeta, meta: IndexMeta): string | null {
  if (meta.model.hash !== first.model.hash) return `was built by another model (${meta.model.description ?? meta.model.hash} vs ${first.model.description ?? first.model.hash}): their vectors are not comparable`;
  if (meta.dim !== first.dim) return `holds vectors of dimension ${meta.dim}, not ${first.dim}`;
  if (meta.distance !== first.distance) return `ranks by ${meta.distance}, not ${first.distance}`;
  return null;
}

/** Before any work: the output is none of the inputs, and what is there already is replaced only with `force`. */
async function refuseOutput(out: string, inputs: readonly string[], options: MergeIndexOptions): Promise<void> {
  const file = !isPostgresTarget(out);
  if (!file) {
    const same = inputs.find((i) => isPostgresTarget(i) && describeTarget(i) === describeTarget(out));
    if (same !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: the output ${describeTarget(out)} is also an input; merge into another table (?table=NAME)`);
  } else {
    const files = inputs.filter((i) => !isPostgresTarget(i)).map((i, k) => ({ path: i, what: `input ${k + 1}` }));
    await refuseOutputOverInput(out, out, files, { fn: FN, flag: 'the output', file: true, force: options.force ?? false });
    if (!existsSync(out)) return;
  }
  if (options.force) return;
  const items = await existingIndexItems(out, { fn: FN, flag: 'the output', connectTimeoutMs: options.connectTimeoutMs });
  if (items > 0) throw new ContrastiveError('STATE', `${FN}: the output ${describeTarget(out)} already holds an index of ${items} items; pass { force: true } to replace it, or choose another output`);
}

/**
 * Merges the indexes `inputs` (files or postgres:// targets) into a new index at
 * `out`: every item of every input, with its label, source and vector, inputs in
 * the order given. Searching the merged index gives what one index built from
 * all the inputs' rows gives.
 *
 * @throws ContrastiveError INVALID_ARGUMENT for no inputs, an input named twice
 *   or an output that is an input; STATE for inputs of different models, sizes
 *   or distances (naming both), an id found in two inputs (naming it and both), or
 *   an output that holds an index without `force`; and the errors of opening an index.
 * @group Index
 */
export async function mergeIndexes(out: string, inputs: readonly string[], options: MergeIndexOptions = {}): Promise<MergeIndexResult> {
  check(typeof out === 'string' && out.length > 0, FN, 'the output must be an index file or a postgres:// URL');
  check(Array.isArray(inputs) && inputs.length > 0, FN, 'give at least one input index');
  const seen = new Set<string>();
  for (const i of inputs) {
    check(typeof i === 'string' && i.length > 0, FN, 'every input must be an index file or a postgres:// URL');
    const key = isPostgresTarget(i) ? describeTarget(i) : i;
    check(!seen.has(key), FN, `input ${describeTarget(i)} is named twice`);
    seen.add(key);
  }
  await refuseOutput(out, inputs, options);

  const opened: EmbeddingIndex[] = [];
  try {
    for (const i of inputs) opened.push(await EmbeddingIndex.open(i, { connectTimeoutMs: options.connectTimeoutMs }));
    const first = opened[0].meta;
    for (const index of opened) {
      const why = mismatch(first, index.meta);
      if (why) throw new ContrastiveError('STATE', `${FN}: ${index.where} ${why} (${opened[0].where} sets what the merged index holds); merge only shards of one build`);
    }
    const counts = await Promise.all(opened.map(async (index) => (await index.stats()).items));
    const total = counts.reduce((a, b) => a + b, 0);
    const owner = new Map<string, number>();
    const result = await EmbeddingIndex.build(
      out,
      { dim: first.dim, distance: first.distance, model: first.model, hnsw: options.hnsw, connectTimeoutMs: options.connectTimeoutMs },
      async (merged) => {
        let done = 0;
        for (let k = 0; k < opened.length; k++) {
          const { items, vectors } = await opened[k].all();
          for (const item of items) {
            const before = owner.get(item.id);
            if (before !== undefined) {
              throw new ContrastiveError('STATE', `${FN}: id '${item.id}' is in both ${opened[before].where} and ${opened[k].where}; shards of one build never share an id (was one input given twice, or built from overlapping rows?)`);
            }
            owner.set(item.id, k);
          }
          const batch = 10_000;
          for (let s = 0; s < items.length; s += batch) {
            const e = Math.min(items.length, s + batch);
            await merged.add(items.slice(s, e).map((item, j) => ({ ...item, vector: vectors.subarray((s + j) * first.dim, (s + j + 1) * first.dim) })));
          }
          done += items.length;
          options.onProgress?.(done, total);
        }
        const stats = await merged.stats();
        return { where: describeTarget(out), store: stats.store, items: stats.items };
      },
    );
    return { ...result, dim: first.dim, distance: first.distance, model: first.model, inputs: opened.map((index, k) => ({ where: index.where, items: counts[k] })) };
  } finally {
    for (const index of opened) await index.close();
  }
}
