/**
 * The query / top-k neighbour grid of an image set: a few seeded queries, each
 * followed by its nearest other examples, framed green when of the query's
 * class and red when not. What retrieval looks like, one glance per row.
 */
import { check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import { knn } from 'contrastive/internal/eval/knn.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import { thumbnails, type ThumbnailOptions } from './thumbnails.js';
import type { GridImage } from './document.js';
import type { ExampleStore } from 'contrastive/internal/data/types.js';

/** Options of {@link neighbourGrid}. @group Report */
export interface NeighbourGridOptions extends ThumbnailOptions {
  /** Query rows. Default 8. */
  queries?: number;
  /** Neighbours per query. Default 6. */
  k?: number;
  /** Seed of the query choice. Default 42. */
  seed?: number;
  distance?: DistanceName;
  /** Names of the class labels, for captions. */
  classNames?: readonly string[];
}

/** The images of the grid: one row per query, the query first; rows whose thumbnails do not fit the budget are left out. `x` is the float32 rows of the set, or its example store (only the images shown are read). @group Report */
export async function neighbourGrid(
  embeddings: Float32Array,
  dim: number,
  labels: ArrayLike<number>,
  x: Float32Array | ExampleStore,
  inputShape: readonly number[],
  options: NeighbourGridOptions = {},
): Promise<GridImage[][]> {
  const fn = 'neighbourGrid';
  const n = labels.length;
  check(embeddings.length === n * dim, fn, `embeddings has ${embeddings.length} values, expected ${n} rows x ${dim}`);
  const k = Math.min(options.k ?? 6, n - 1);
  const q = Math.min(options.queries ?? 8, n);
  if (k < 1 || q < 1) return [];
  const rng = new Rng(options.seed ?? 42);
  const queryRows = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i)).slice(0, q);
  const queryEmb = new Float32Array(q * dim);
  queryRows.forEach((r, i) => queryEmb.set(embeddings.subarray(r * dim, (r + 1) * dim), i * dim));
  // k + 1: the query itself is among the references and is dropped below.
  const found = knn(queryEmb, embeddings, Math.min(k + 1, n), options.distance ?? 'euclidean', { dim });
  const name = (c: number): string => options.classNames?.[c] ?? String(c);
  const rows: Array<{ rows: number[]; captions: string[]; marks: GridImage['mark'][] }> = [];
  queryRows.forEach((r, i) => {
    const list = { rows: [r], captions: [`query: ${name(labels[r])}`], marks: ['query'] as GridImage['mark'][] };
    for (let t = 0; t < found.k && list.rows.length <= k; t++) {
      const j = found.indices[i * found.k + t];
      if (j === r) continue;
      list.rows.push(j);
      list.captions.push(`${name(labels[j])} d=${found.distances[i * found.k + t].toFixed(2)}`);
      list.marks.push(labels[j] === labels[r] ? 'same' : 'other');
    }
    rows.push(list);
  });
  const shown = rows.flatMap((l) => l.rows);
  let urls: Array<string | null>;
  if (x instanceof Float32Array) urls = await thumbnails(x, inputShape, shown, options);
  else {
    // a store (bytes, or files read on demand): read only the images shown, not the set
    check(x.count === n, fn, `the example store holds ${x.count} examples but there are ${n} labels`);
    urls = await thumbnails(await x.read(shown), inputShape, Int32Array.from(shown, (_, k) => k), options);
  }
  const grid: GridImage[][] = [];
  let at = 0;
  for (const l of rows) {
    const imgs = urls.slice(at, at + l.rows.length);
    at += l.rows.length;
    if (imgs.some((u) => u === null)) continue;
    grid.push(imgs.map((src, t) => ({ src: src!, caption: l.captions[t], mark: l.marks[t] })));
  }
  return grid;
}
