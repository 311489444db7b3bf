/**
 * Embeds inputs with a saved bundle (what an index is built, added to and
 * searched with): onnxruntime-node (the bundle's encoder exported to ONNX in
 * memory, several times faster) where it is installed and the encoder
 * exports, else TF.js on the active backend.
 * Both apply the bundle's preprocessing and L2 normalisation, so they give the
 * same embeddings up to float rounding.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { type BundleManifest, type SiameseNetwork } from 'contrastive/internal/models/index.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { exportOnnx } from '../export/onnx-exporter.js';
import { OnnxEmbedder } from '../export/onnx-runtime.js';
import type { DistanceName } from 'contrastive/internal/distances/names.js';
import { bundleIdentity, type BundleIdentity } from './bundle-identity.js';
import { loadBundle } from '../models/bundle.js';
import { decodeImage } from '../data/image.js';
import { mapLimit } from '../data/map-limit.js';

/** Which engine embeds: 'auto' (ONNX where possible, else TF.js), or one of them. @group Embedding */
export type EmbedEngine = 'auto' | 'onnx' | 'tfjs';

/** Options of {@link BundleEmbedder.load}. @group Embedding */
export interface BundleEmbedderOptions {
  /** Default 'auto'. */
  engine?: EmbedEngine;
}

/** Options of {@link BundleEmbedder.embedFiles}. @group Embedding */
export interface EmbedFilesOptions {
  /** Images decoded at a time; default 8. */
  concurrency?: number;
}

/** A loaded bundle that turns raw inputs (as the loaders give them, or image files) into embeddings. @group Embedding */
export class BundleEmbedder {
  private constructor(
    /** The bundle directory. */
    readonly dir: string,
    readonly manifest: BundleManifest,
    readonly network: SiameseNetwork,
    /** The bundle's identity, recorded in and checked against indexes. */
    readonly identity: BundleIdentity,
    private onnx: OnnxEmbedder | null,
    /** Why ONNX is not used ('' when it is). */
    readonly onnxUnavailable: string,
  ) {}

  /** The engine in use. */
  get engine(): 'onnx' | 'tfjs' {
    return this.onnx ? 'onnx' : 'tfjs';
  }

  get dim(): number {
    return this.manifest.embedding.dim;
  }

  get distance(): DistanceName {
    return this.manifest.embedding.distance;
  }

  /**
   * Loads the bundle in `dir` and prepares the engine.
   *
   * @throws ContrastiveError for a missing or damaged bundle; UNSUPPORTED when engine 'onnx' is asked for and cannot run.
   */
  static async load(dir: string, options: BundleEmbedderOptions = {}): Promise<BundleEmbedder> {
    const fn = 'BundleEmbedder.load';
    const engine = options.engine ?? 'auto';
    check(engine === 'auto' || engine === 'onnx' || engine === 'tfjs', fn, `engine must be auto, onnx or tfjs, got '${String(engine)}'`);
    const identity = await bundleIdentity(dir);
    const { network, manifest } = await loadBundle(dir);
    let onnx: OnnxEmbedder | null = null;
    let why = 'TF.js asked for';
    if (engine !== 'tfjs') {
      try {
        // at the bundle's read-out, as loadBundle embeds
        const bytes = exportOnnx(network.readoutModel, { l2Normalize: manifest.embedding.normalize });
        onnx = await OnnxEmbedder.load(bytes);
        why = '';
      } catch (err) {
        why = (err as Error).message;
        if (engine === 'onnx') {
          network.dispose();
          throw new ContrastiveError('UNSUPPORTED', `${fn}: cannot embed ${dir} with onnxruntime: ${why}`, { cause: err });
        }
      }
    }
    return new BundleEmbedder(dir, manifest, network, identity, onnx, why);
  }

  /**
   * Embeds `n` raw examples stored one after another in `x` (as the dataset
   * loaders and decodeImage return them, before the bundle's preprocessing).
   *
   * @returns [n, dim] row-major.
   */
  async embed(x: Float32Array, n: number): Promise<Float32Array> {
    const fn = 'BundleEmbedder.embed';
    check(x instanceof Float32Array, fn, 'x must be a Float32Array');
    check(Number.isInteger(n) && n >= 1 && x.length % n === 0, fn, `x holds ${x.length} values, not n = ${n} examples`);
    return this.embedPrepared(toModelInput(x, this.manifest.input.preprocessing), n);
  }

  /**
   * Embeds image files (PNG, JPEG, WebP, TIFF, GIF, PGM/PPM), each decoded and
   * resized as the bundle's preprocessing says (size, channels, then its scale,
   * mean and std), as `contrastive embed` and `index add` read them.
   *
   * @returns [files.length, dim] row-major, in the order of `files`.
   * @throws ContrastiveError INVALID_ARGUMENT when the bundle does not take images;
   *   NOT_FOUND or INVALID_DATA naming a file that is missing or cannot be decoded.
   */
  async embedFiles(files: readonly string[], options: EmbedFilesOptions = {}): Promise<Float32Array> {
    const fn = 'BundleEmbedder.embedFiles';
    check(Array.isArray(files) && files.length > 0 && files.every((f) => typeof f === 'string' && f !== ''), fn, 'files must be a non-empty list of file paths');
    const concurrency = options.concurrency ?? 8;
    check(Number.isInteger(concurrency) && concurrency >= 1, fn, `concurrency must be an integer >= 1, got ${concurrency}`);
    const p = this.manifest.input.preprocessing;
    if (p.kind !== 'image') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: the bundle ${this.dir} takes ${p.kind} inputs of shape ${JSON.stringify(this.manifest.input.shape)}, not images; embed them with embed(x, n)`);
    }
    check(p.channels === 1 || p.channels === 3, fn, `the bundle ${this.dir} takes images with ${p.channels} channels; only 1 or 3 can be decoded`);
    const image = { width: p.width, height: p.height, channels: p.channels } as const;
    const rows = await mapLimit(files, concurrency, (file) => decodeImage(file, image, fn));
    const size = p.width * p.height * p.channels;
    const x = new Float32Array(rows.length * size);
    rows.forEach((r, i) => x.set(r, i * size));
    return this.embed(x, rows.length);
  }

  /** Embeds one image file as {@link embedFiles} does: `dim` values. */
  async embedFile(file: string): Promise<Float32Array> {
    return this.embedFiles([file]);
  }

  /**
   * Embeds `n` examples that already went through the bundle's preprocessing
   * (e.g. from readPairInput).
   *
   * @returns [n, dim] row-major.
   */
  async embedPrepared(input: Float32Array, n: number): Promise<Float32Array> {
    const fn = 'BundleEmbedder.embed';
    check(input instanceof Float32Array, fn, 'input must be a Float32Array');
    check(Number.isInteger(n) && n >= 1 && input.length % n === 0, fn, `input holds ${input.length} values, not n = ${n} examples`);
    if (this.onnx) return this.onnx.embed(input, n);
    const x = input;
    const shape = this.manifest.input.shape;
    if (shape.every((d) => d !== null)) {
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      check(x.length === n * size, fn, `each example must hold ${size} values (shape ${JSON.stringify(shape)}), got ${x.length / n}`);
    }
    return this.network.embedBatched(input);
  }

  /** Frees the model and the onnxruntime session. */
  async dispose(): Promise<void> {
    const o = this.onnx;
    this.onnx = null;
    await o?.dispose();
    this.network.dispose();
  }
}
