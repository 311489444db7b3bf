/**
 * A 2-D map of embeddings for the report: UMAP (umap-js) for small sets, where
 * it shows clusters best, PCA for large ones. UMAP maps a seeded subsample of
 * at most 1,000 points, because its cost grows faster than the number of
 * points and a report should not wait on its map; PCA is one small
 * eigenproblem, so it maps up to 5,000. Seeded: the same embeddings and seed
 * give the same map.
 */
import { UMAP } from 'umap-js';
import { check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';

/** Options of {@link embeddingMap}. @group Report */
export interface EmbeddingMapOptions {
  /** Seed of the subsample and of UMAP. Default 42. */
  seed?: number;
  /** Largest set mapped with UMAP; larger sets use PCA. Default 5000. */
  umapLimit?: number;
  /** At most this many points are mapped by UMAP (a seeded subsample beyond it). Default 1000. */
  umapPoints?: number;
  /** At most this many points are mapped by PCA (a seeded subsample beyond it). Default 5000. */
  maxPoints?: number;
  /** Force a method instead of choosing by size. */
  method?: 'umap' | 'pca';
}

/** A 2-D map of (a subsample of) the rows. @group Report */
export interface EmbeddingMap {
  method: 'umap' | 'pca';
  /** Rows of the input that were mapped, in increasing order. */
  rows: Int32Array;
  /** Rows in the input (rows.length of them were mapped). */
  total: number;
  x: Float64Array;
  y: Float64Array;
}

/**
 * Projects `embeddings` (row-major [n, dim]) to two dimensions.
 *
 * @throws ContrastiveError when the length is not a multiple of dim, or a value is not finite.
 * @group Report
 */
export function embeddingMap(embeddings: Float32Array, dim: number, options: EmbeddingMapOptions = {}): EmbeddingMap {
  const fn = 'embeddingMap';
  check(Number.isInteger(dim) && dim >= 1, fn, `dim must be a positive integer, got ${dim}`);
  check(embeddings.length % dim === 0, fn, `embeddings has ${embeddings.length} values, not a multiple of dim ${dim}`);
  for (let k = 0; k < embeddings.length; k++) check(Number.isFinite(embeddings[k]), fn, `embeddings[${k}] is ${embeddings[k]}, expected a finite number`);
  const n = embeddings.length / dim;
  const seed = options.seed ?? 42;
  const umapLimit = options.umapLimit ?? 5000;
  const umapPoints = options.umapPoints ?? 1000;
  const maxPoints = options.maxPoints ?? 5000;
  for (const [name, v] of Object.entries({ umapLimit, umapPoints, maxPoints })) check(Number.isInteger(v) && v >= 1, fn, `${name} must be a positive integer, got ${v}`);
  const rng = new Rng(seed);
  // UMAP needs a few neighbours per point; tiny sets get PCA.
  const method = options.method ?? (n <= umapLimit && n >= 16 ? 'umap' : 'pca');
  const limit = method === 'umap' ? umapPoints : maxPoints;
  let rows = Int32Array.from({ length: n }, (_, k) => k);
  if (n > limit) rows = rng.shuffle(rows).slice(0, limit).sort();
  const m = rows.length;
  if (method === 'umap' && m >= 4) {
    const data = Array.from(rows, (r) => Array.from(embeddings.subarray(r * dim, (r + 1) * dim)));
    // 200 optimisation epochs (umap-learn's choice for large sets) instead of umap-js's 500: the same picture in half the time.
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, m - 1), minDist: 0.1, nEpochs: 200, random: () => rng.next() });
    const out = umap.fit(data);
    return { method: 'umap', rows, total: n, x: Float64Array.from(out, (p) => p[0]), y: Float64Array.from(out, (p) => p[1]) };
  }
  const { x, y } = pca2(embeddings, dim, rows, rng);
  return { method: 'pca', rows, total: n, x, y };
}

/** Scores of the rows on the two leading principal components (power iteration with deflation). */
function pca2(e: Float32Array, dim: number, rows: Int32Array, rng: Rng): { x: Float64Array; y: Float64Array } {
  const m = rows.length;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j] += e[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= Math.max(1, m);
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (const r of rows) {
    for (let j = 0; j < dim; j++) c[j] = e[r * dim + j] - mean[j];
    for (let i = 0; i < dim; i++) {
      const ci = c[i];
      if (ci === 0) continue;
      for (let j = i; j < dim; j++) cov[i * dim + j] += ci * c[j];
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[i * dim + j] = cov[j * dim + i];
  const components: Float64Array[] = [];
  for (let comp = 0; comp < 2; comp++) {
    let v = Float64Array.from({ length: dim }, () => rng.next() - 0.5);
    for (let it = 0; it < 200; it++) {
      const w = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += cov[i * dim + j] * v[j];
        w[i] = s;
      }
      for (const u of components) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += w[j] * u[j];
        for (let j = 0; j < dim; j++) w[j] -= dot * u[j];
      }
      const norm = Math.hypot(...w);
      if (norm === 0) {
        v = new Float64Array(dim); // no variance left (dim 1): a flat second axis
        break;
      }
      for (let j = 0; j < dim; j++) w[j] /= norm;
      v = w;
    }
    components.push(v);
  }
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  rows.forEach((r, k) => {
    let sx = 0;
    let sy = 0;
    for (let j = 0; j < dim; j++) {
      const cj = e[r * dim + j] - mean[j];
      sx += cj * components[0][j];
      sy += cj * components[1][j];
    }
    x[k] = sx;
    y[k] = sy;
  });
  return { x, y };
}
