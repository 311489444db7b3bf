/**
 * The embedding map (the projector of `contrastive serve`): a seeded sample of
 * a dataset split embedded with a bundle and laid out in 2-D, UMAP for small
 * samples and PCA beyond, each point with its class, its row name (the form
 * `contrastive verify` reads, e.g. `mnist:test:12`) and a PNG thumbnail.
 */
import { UMAP } from 'umap-js';
import { check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { exampleSize } from '../data/index.js';
import { isPairDataset } from '../data/types.js';
import { toModelInput } from '../models/model-input.js';
import { pixelsToPng } from './example-picture.js';
import { bundleSplit, SPLIT_NAMES, type OpenBundle, type SplitName } from './evaluate-bundle.js';

/** Options of {@link embeddingMap}. */
export interface EmbeddingMapOptions {
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

/** One point of the map. */
export interface EmbeddingMapPoint {
  x: number;
  y: number;
  label: number;
  /** The row: for mnist and fashion-mnist named as `contrastive verify` reads it (`mnist:test:12`), else described. */
  row: string;
}

/** What {@link embeddingMap} returns. */
export interface EmbeddingMap {
  dataset: string;
  split: SplitName;
  method: 'umap' | 'pca';
  points: EmbeddingMapPoint[];
  /** One PNG per point (same order), the example as the model sees it before scaling. */
  thumbnails: Uint8Array[];
}

const FN = 'embeddingMap';
const UMAP_LIMIT = 2000;

/** Top-2 principal components by power iteration on the centred rows (deterministic start). */
export function pca2(emb: Float32Array, n: number, dim: number): Array<[number, number]> {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += emb[i * dim + k] / n;
  const c = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) c[i * dim + k] = emb[i * dim + k] - mean[k];
  const components: Float64Array[] = [];
  for (let comp = 0; comp < 2; comp++) {
    let v = Float64Array.from({ length: dim }, (_, k) => 1 / Math.sqrt(dim) + (k % 2 ? 1e-3 : -1e-3));
    for (let iter = 0; iter < 200; iter++) {
      const w = new Float64Array(dim);
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += c[i * dim + k] * v[k];
        for (let k = 0; k < dim; k++) w[k] += dot * c[i * dim + k];
      }
      for (const u of components) {
        let d = 0;
        for (let k = 0; k < dim; k++) d += w[k] * u[k];
        for (let k = 0; k < dim; k++) w[k] -= d * u[k];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    components.push(v);
  }
  return Array.from({ length: n }, (_, i) => {
    const p = [0, 0];
    for (let j = 0; j < 2; j++) for (let k = 0; k < dim; k++) p[j] += c[i * dim + k] * components[j][k];
    return [p[0], p[1]] as [number, number];
  });
}

/**
 * Embeds a seeded sample of a split with `bundle` and lays it out in 2-D.
 *
 * @throws ContrastiveError when the bundle was not trained on a dataset and
 *   none is given, the dataset is a pairs dataset (no classes to colour), or
 *   its examples do not fit the bundle.
 */
export async function embeddingMap(bundle: OpenBundle, options: EmbeddingMapOptions = {}): Promise<EmbeddingMap> {
  const dataset = options.dataset ?? bundle.manifest.training?.dataset;
  check(typeof dataset === 'string', FN, `the bundle ${bundle.dir} records no training dataset; name one (e.g. --map-dataset mnist)`);
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

  const method = options.method ?? (n <= UMAP_LIMIT ? 'umap' : 'pca');
  let xy: Array<[number, number]>;
  if (method === 'umap') {
    const rng = new Rng(seed ^ 0x0a11);
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, n - 1), random: () => rng.next() });
    const vectors = Array.from({ length: n }, (_, i) => Array.from(emb.subarray(i * dim, (i + 1) * dim)));
    xy = umap.fit(vectors).map((p) => [p[0], p[1]] as [number, number]);
  } else {
    xy = pca2(emb, n, dim);
  }

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
