/**
 * A model bundle in the browser (or any fetch-capable runtime): loads
 * model.json + weights with TF.js and reads manifest.json beside them, then
 * applies what model.json does not hold: the image preprocessing (resize,
 * channels, (pixel * scale - mean) / std) and the L2 normalisation of the
 * embeddings. Without both, raw model.json outputs give meaningless distances.
 *
 * This module imports only TF.js, the error type, the Platt formula and the read-out
 * (readout.ts: TF.js only), no Node built-in, so a bundler can ship it to a page;
 * `contrastive serve` serves its own page an esbuild bundle of it. In Node, read bundles from disk with `loadBundle` (@contrastive/node) instead
 * (TF.js's file:// handler needs tfjs-node).
 *
 * @module contrastive/browser
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../errors.js';
import { plattSame } from '../util/platt.js';
import { cohortMeanStd, sNorm } from '../util/s-norm.js';
import type { BundleManifest, Preprocessing } from './manifest.js';
import { resolveReadout } from './readout.js';

const FN = 'loadBrowserBundle';

/** What `tf.browser.fromPixels` accepts: an image, canvas, video, bitmap, ImageData, or `{ width, height, data }` RGBA bytes. @group Bundles */
export type PixelSource = Parameters<typeof tf.browser.fromPixels>[0];

/** Options of {@link loadBrowserBundle}. @group Bundles */
export interface BrowserBundleOptions {
  /** The fetch to use (default: the global fetch). */
  fetch?: typeof fetch;
}

/** A pair decision, the same shape `contrastive verify --json` and `POST /api/verify` answer. @group Bundles */
export interface BrowserVerifyResult {
  distance: number;
  threshold: number;
  /** score <= threshold. */
  same: boolean;
  /** What the threshold applies to: the distance, or the pair's S-norm against the bundle's cohort when the manifest has `scoreNorm`. */
  score: number;
  /** p(same | score) from the bundle's Platt parameters, or null when it has none. */
  probability: number | null;
}

/** A loaded bundle: preprocessing, embedding and verification as the CLI does them. @group Bundles */
export interface BrowserBundle {
  /** The bundle's manifest.json. */
  readonly manifest: BundleManifest;
  /** The encoder (model.json) without preprocessing or normalisation. */
  readonly model: tf.LayersModel;
  /** One image as the model input [height, width, channels], preprocessing applied. */
  preprocess(source: PixelSource): tf.Tensor3D;
  /** Embeddings of images (one row each), normalised when the bundle says so. */
  embed(sources: PixelSource[]): Promise<Float32Array[]>;
  /** Embeddings of inputs already preprocessed, `n * prod(input shape)` values. */
  embedInputs(x: Float32Array, n: number): Promise<Float32Array[]>;
  /** The bundle's distance between two embeddings (for a cross-entropy bundle, its head's negated logit). */
  distance(a: Float32Array, b: Float32Array): number;
  /** Are `a` and `b` the same? Threshold: `options.threshold`, else the bundle's. */
  verify(a: PixelSource, b: PixelSource, options?: { threshold?: number }): Promise<BrowserVerifyResult>;
  /** Frees the model's weights. */
  dispose(): void;
}

function fail(message: string): never {
  throw new ContrastiveError('INVALID_DATA', `${FN}: ${message}`);
}

/** The manifest fields this module relies on, checked (the full schema is checked in Node, by loadBundle). */
function checkManifest(raw: unknown, where: string): BundleManifest {
  const m = raw as Partial<BundleManifest> | null;
  if (typeof m !== 'object' || m === null || m.format !== 'contrastive-bundle') fail(`${where} is not a contrastive bundle manifest`);
  if (typeof m.formatVersion !== 'number' || m.formatVersion > 1) fail(`${where} has formatVersion ${String(m.formatVersion)}; this loader reads 1`);
  const p = m.input?.preprocessing;
  if (!p || !['image', 'vector', 'sequence'].includes(p.kind)) fail(`${where}: input.preprocessing is missing or unknown`);
  if (p.kind === 'image' && ![1, 3].includes(p.channels)) fail(`${where}: images with ${p.channels} channels cannot be read (1 or 3)`);
  const e = m.embedding;
  if (!e || !Number.isInteger(e.dim) || typeof e.normalize !== 'boolean' || !['euclidean', 'squaredEuclidean', 'cosine'].includes(e.distance)) {
    fail(`${where}: embedding { dim, normalize, distance } is missing or invalid`);
  }
  if (typeof m.files?.model !== 'string') fail(`${where}: files.model is missing`);
  return m as BundleManifest;
}

function perChannel(v: number | number[], channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => (Array.isArray(v) ? v[c] : v));
}

/**
 * Brings raw 0..255 RGB pixels [h, w, 3] to the model's image input: scale to
 * cover width x height and centre-crop the overflow (what `decodeImage`'s
 * default 'cover' fit does with sharp), grey by luminance for one channel,
 * then (pixel * scale - mean) / std. Equal to the CLI's input for images that
 * already have the model's size and channels; resampled ones differ slightly
 * (bilinear here, Lanczos in sharp).
 * @group Bundles
 */
export function preprocessPixels(rgb: tf.Tensor3D, p: Extract<Preprocessing, { kind: 'image' }>): tf.Tensor3D {
  return tf.tidy(() => {
    let x = tf.cast(rgb, 'float32') as tf.Tensor3D;
    const [h, w] = x.shape;
    if (h !== p.height || w !== p.width) {
      const s = Math.max(p.width / w, p.height / h);
      const ch = Math.min(h, Math.round(p.height / s));
      const cw = Math.min(w, Math.round(p.width / s));
      x = tf.slice(x, [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), 0], [ch, cw, 3]);
      // Average whole blocks first so a large photo is not aliased by bilinear sampling.
      const k = Math.floor(Math.min(ch / p.height, cw / p.width));
      if (k >= 2) x = tf.avgPool(x, k, k, 'valid') as tf.Tensor3D;
      x = tf.image.resizeBilinear(x, [p.height, p.width], false, true);
    }
    if (p.channels === 1) x = tf.sum(tf.mul(x, tf.tensor1d([0.2126, 0.7152, 0.0722])), 2, true) as tf.Tensor3D;
    const mean = tf.tensor1d(perChannel(p.mean, p.channels));
    const std = tf.tensor1d(perChannel(p.std, p.channels));
    return tf.div(tf.sub(tf.mul(x, p.scale), mean), std) as tf.Tensor3D;
  });
}

function distanceOf(name: string, a: Float32Array, b: Float32Array): number {
  let sq = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    sq += d * d;
    dot += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  if (name === 'squaredEuclidean') return sq;
  if (name === 'cosine') return 1 - dot / Math.sqrt(Math.max(na * nb, 1e-24));
  return Math.sqrt(sq);
}

/** The little-endian float32 cohort a manifest's scoreNorm names. */
async function fetchCohort(url: string, doFetch: typeof fetch): Promise<Float32Array> {
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', `${FN}: ${url} could not be fetched: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new ContrastiveError('NOT_FOUND', `${FN}: ${url} answered HTTP ${response.status} (the bundle's S-norm cohort)`);
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength % 4 !== 0) fail(`${url} is not float32 rows (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** The S-norm of a pair at `distance` against the cohort (eval's sNormScores for one pair). */
function sNormAgainst(distance: number, a: Float32Array, b: Float32Array, cohort: Float32Array, dim: number, name: string): number {
  const rows = cohort.length / dim;
  const da = new Float64Array(rows);
  const db = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = cohort.subarray(r * dim, (r + 1) * dim);
    da[r] = distanceOf(name, a, c);
    db[r] = distanceOf(name, b, c);
  }
  const sa = cohortMeanStd(da);
  const sb = cohortMeanStd(db);
  return sNorm(distance, sa.mean, sa.std, sb.mean, sb.std);
}

function probability(d: number, platt: { a: number; b: number } | null | undefined): number | null {
  return platt ? plattSame(platt.a * d + platt.b) : null;
}

async function fetchJson(url: string, doFetch: typeof fetch): Promise<unknown> {
  let res: Response;
  try {
    res = await doFetch(url);
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', `${FN}: cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new ContrastiveError('NOT_FOUND', `${FN}: ${url} answered HTTP ${res.status}`);
  try {
    return await res.json();
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${url} is not valid JSON`, { cause: err });
  }
}

/**
 * Loads the bundle served at `url` (the directory holding manifest.json and
 * the files it names), e.g. `await loadBrowserBundle('/bundle')` in a page.
 *
 * @throws ContrastiveError naming the URL when a file is missing, not JSON,
 *   or not a bundle this loader reads, or when the model disagrees with the manifest.
 * @example
 * <!-- docs-test: typecheck-only (needs a page and a bundle served over HTTP) -->
 * ```ts
 * import { loadBrowserBundle } from 'contrastive/browser';
 *
 * const bundle = await loadBrowserBundle('/models/digits'); // manifest.json, model.json, weights.bin
 * const img = document.querySelector('img')!;
 * const [embedding] = await bundle.embed([img]);
 * console.log(embedding.length, await bundle.verify(img, img)); // { distance: 0, same: true, ... }
 * ```
 * @group Bundles
 */
export async function loadBrowserBundle(url: string, options: BrowserBundleOptions = {}): Promise<BrowserBundle> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = url.endsWith('/') ? url : `${url}/`;
  const manifestUrl = `${base}manifest.json`;
  const manifest = checkManifest(await fetchJson(manifestUrl, doFetch), manifestUrl);
  const modelUrl = base + manifest.files.model;
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.http(modelUrl, { fetchFunc: doFetch }));
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${modelUrl} could not be loaded as a TF.js layers model: ${(err as Error).message}`, { cause: err });
  }
  const outDim = model.outputs[0]?.shape[1];
  const want = manifest.readout?.outputDim ?? manifest.embedding.dim;
  if (outDim !== want) {
    model.dispose();
    fail(`${modelUrl} outputs ${String(outDim)} values per example but ${manifestUrl} says ${manifest.readout ? 'readout.outputDim' : 'embedding.dim'} ${want}`);
  }
  try {
    const cohort = manifest.scoreNorm ? await fetchCohort(base + manifest.scoreNorm.file, doFetch) : undefined;
    return browserBundle(model, manifest, cohort);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Wraps a loaded encoder and its manifest (for models loaded another way, e.g.
 * `tf.io.fromMemory`); `cohort` is the manifest's S-norm cohort (its
 * `scoreNorm.file` as float32 rows), needed when the manifest has `scoreNorm`.
 * @group Bundles
 */
export function browserBundle(model: tf.LayersModel, manifest: BundleManifest, cohort?: Float32Array): BrowserBundle {
  checkManifest(manifest, 'manifest');
  if (manifest.scoreNorm && !(cohort instanceof Float32Array && cohort.length === manifest.scoreNorm.size * manifest.embedding.dim)) {
    fail(`the manifest's scoreNorm needs its cohort: ${manifest.scoreNorm.size} rows of ${manifest.embedding.dim} float32 (loadBrowserBundle fetches ${manifest.scoreNorm.file})`);
  }
  const shape = manifest.input.shape;
  const dim = manifest.embedding.dim;
  const head = (manifest.loss as { head?: { weights: number[]; bias: number } } | null)?.head ?? null;
  // Embeddings are read where the manifest says (a layer under the head), as the Node loader reads them.
  let reader = model;
  if (manifest.readout) {
    const r = manifest.readout;
    let resolved;
    try {
      resolved = resolveReadout(model, { layer: r.layer, ...(r.pool ? { pool: r.pool } : {}) });
    } catch (err) {
      fail(`manifest readout: ${(err as Error).message}`);
    }
    if (resolved.dim !== dim) fail(`the read-out at '${r.layer}' gives ${resolved.dim} values per example but the manifest says embedding.dim ${dim}`);
    reader = resolved.model;
  }

  const embedTensor = async (x: tf.Tensor): Promise<Float32Array[]> => {
    const out = tf.tidy(() => {
      let e = reader.predict(x) as tf.Tensor2D;
      if (manifest.embedding.normalize) e = tf.mul(e, tf.rsqrt(tf.maximum(tf.sum(tf.square(e), 1, true), 1e-12)));
      return e;
    });
    const flat = (await out.data()) as Float32Array;
    out.dispose();
    return Array.from({ length: flat.length / dim }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
  };

  const bundle: BrowserBundle = {
    manifest,
    model,
    preprocess(source) {
      const p = manifest.input.preprocessing;
      if (p.kind !== 'image') throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: the bundle takes ${p.kind} inputs, not images`);
      return tf.tidy(() => preprocessPixels(tf.browser.fromPixels(source, 3), p));
    },
    async embed(sources) {
      const x = tf.tidy(() => tf.stack(sources.map((s) => bundle.preprocess(s))));
      try {
        return await embedTensor(x);
      } finally {
        x.dispose();
      }
    },
    async embedInputs(x, n) {
      if (shape.some((d) => d === null)) throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: embedInputs needs a fixed input shape, the bundle's is ${JSON.stringify(shape)}`);
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      if (x.length !== n * size) throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: embedInputs: ${x.length} values are not ${n} inputs of shape ${JSON.stringify(shape)}`);
      const t = tf.tensor(x, [n, ...(shape as number[])]);
      try {
        return await embedTensor(t);
      } finally {
        t.dispose();
      }
    },
    distance(a, b) {
      if (!head) return distanceOf(manifest.embedding.distance, a, b);
      let logit = head.bias;
      for (let k = 0; k < a.length; k++) logit += head.weights[k] * Math.abs(a[k] - b[k]);
      return -logit;
    },
    async verify(a, b, options = {}) {
      const threshold = options.threshold ?? manifest.threshold;
      if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
        throw new ContrastiveError('STATE', `${FN}: the bundle has no threshold; pass { threshold } or calibrate it ('contrastive calibrate')`);
      }
      const [ea, eb] = await bundle.embed([a, b]);
      const distance = bundle.distance(ea, eb);
      // a bundle with a cohort states its threshold on the pair's S-norm against it, as verify in Node does
      const score = cohort ? sNormAgainst(distance, ea, eb, cohort, dim, manifest.embedding.distance) : distance;
      return { distance, threshold, same: score <= threshold, score, probability: probability(score, manifest.calibration?.probability) };
    },
    dispose() {
      model.dispose();
    },
  };
  return bundle;
}
