/**
 * The embedding map of a dataset split (the projector of `contrastive serve`):
 * a seeded sample of the split embedded with a bundle and laid out in 2-D by
 * the report's projection (UMAP for small samples, PCA beyond), each point
 * with its class, its row name (the form `contrastive verify` reads, e.g.
 * `mnist:test:12`) and a PNG thumbnail.
 */
import { check } from 'contrastive/internal/errors.js';
import { embeddingMap } from '@contrastive/node/internal/report/projection.js';
import { Rng } from 'contrastive/internal/util/rng.js';

import { isPairDataset } from 'contrastive/internal/data/types.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { pixelsToPng } from './example-picture.js';
import { bundleSplit, SPLIT_NAMES, type OpenBundle, type SplitName } from './evaluate-bundle.js';
import { exampleSize } from 'contrastive/internal/data/index.js';

/** Options of {@link embeddingMap}. @group Export */
export interface SplitMapOptions {
  /** Dataset spec; default the bundle's training dataset. */
  dataset?: string;
  /** Split of the training run; default 'test'. */
  split?: SplitName;
  /** Points drawn from the split (seeded, without replacement); default 300. */
  count?: number;
  /** Seed of the draw and of UMAP; default 1. */
  seed?: number;
  /** Layout; default 'umap' up to 2,000 points, else 'pca'. */
  method?: 'umap' | 'pca';
}

/** One point of the map. @group Export */
export interface SplitMapPoint {
  x: number;
  y: number;
  label: number;
  /** The row: for mnist and fashion-mnist named as `contrastive verify` reads it (`mnist:test:12`), else described. */
  row: string;
}

/** What {@link embeddingMap} returns. @group Export */
export interface SplitMap {
  dataset: string;
  split: SplitName;
  method: 'umap' | 'pca';
  points: SplitMapPoint[];
  /** One PNG per point (same order), the example as the model sees it before scaling. */
  thumbnails: Uint8Array[];
}

const FN = 'splitEmbeddingMap';
const UMAP_LIMIT = 2000;

/**
 * Embeds a seeded sample of a split with `bundle` and lays it out in 2-D.
 *
 * @throws ContrastiveError when the bundle was not trained on a dataset and
 *   none is given, the dataset is a pairs dataset (no classes to colour), or
 *   its examples do not fit the bundle.
 * @group Export
 */
export async function splitEmbeddingMap(bundle: OpenBundle, options: SplitMapOptions = {}): Promise<SplitMap> {
  const dataset = options.dataset ?? bundle.manifest.training?.dataset;
  check(typeof dataset === 'string', FN, `the bundle ${bundle.dir} records no training dataset; name the dataset to map`);
  const split = options.split ?? 'test';
  check(SPLIT_NAMES.includes(split), FN, `split must be one of ${SPLIT_NAMES.join(', ')}, got '${String(split)}'`);
  const count = options.count ?? 300;
  check(Number.isInteger(count) && count >= 3, FN, `count must be an integer >= 3, got ${count}`);
  const seed = options.seed ?? 1;
  const { data } = await bundleSplit(bundle, dataset, split, undefined, FN);
  check(!isPairDataset(data), FN, `dataset '${dataset}' is a pairs dataset; the map needs labelled examples`);

  const total = data.labels.length;
  const rows = new Rng(seed).shuffle(Int32Array.from({ length: total }, (_, i) => i)).slice(0, Math.min(count, total)).sort();
  const n = rows.length;
  const size = exampleSize(data.inputShape);
  const raw = new Float32Array(n * size);
  rows.forEach((r, i) => raw.set(data.x.subarray(r * size, (r + 1) * size), i * size));
  const emb = await bundle.network.embedBatched(toModelInput(raw, bundle.manifest.input.preprocessing));
  const dim = bundle.network.embeddingDim;

  // Every sampled point is mapped (the sample is the subsample), UMAP up to UMAP_LIMIT points.
  const map = embeddingMap(emb, dim, { seed, method: options.method, umapLimit: UMAP_LIMIT, umapPoints: UMAP_LIMIT, maxPoints: n });
  const method = map.method;
  const xy = Array.from({ length: n }, (_, i) => [map.x[i], map.y[i]] as [number, number]);

  // Rows of the datasets verify reads are named its way (DATASET:SPLIT:INDEX is a row of the run's split).
  const rowName = (r: number): string =>
    dataset === 'mnist' || dataset === 'fashion-mnist' ? (split === 'all' ? `${dataset}:${r}` : `${dataset}:${split}:${r}`) : `${dataset} ${split} split, row ${r}`;
  const points = Array.from(rows, (r, i) => ({ x: xy[i][0], y: xy[i][1], label: data.labels[r], row: rowName(r) }));
  const shape = data.inputShape;
  const thumbnails: Uint8Array[] = [];
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) {
    const [height, width, channels] = shape as [number, number, 1 | 3];
    for (let i = 0; i < n; i++) {
      thumbnails.push(await pixelsToPng(raw.subarray(i * size, (i + 1) * size), width, height, channels));
    }
  }
  return { dataset, split, method, points, thumbnails };
}
