/**
 * Embeds inputs with a saved bundle for an index: onnxruntime-node (the
 * bundle's encoder exported to ONNX in memory, several times faster) where
 * it is installed and the encoder exports, else TF.js on the active backend.
 * Both apply the bundle's preprocessing and L2 normalisation, so they give the
 * same embeddings up to float rounding.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { type BundleManifest, type SiameseNetwork } from 'contrastive/internal/models/index.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { exportOnnx } from '@contrastive/node/internal/export/onnx-exporter.js';
import { OnnxEmbedder } from '@contrastive/node/internal/export/onnx-runtime.js';
import type { DistanceName } from 'contrastive/internal/distances/names.js';
import { bundleIdentity } from './bundle-identity.js';
import type { ModelIdentity } from './store.js';
import { loadBundle } from '@contrastive/node/internal/models/bundle.js';

/** Which engine embeds: 'auto' (ONNX where possible, else TF.js), or one of them. @group Embedding */
export type EmbedEngine = 'auto' | 'onnx' | 'tfjs';

/** Options of {@link BundleEmbedder.load}. @group Embedding */
export interface BundleEmbedderOptions {
  /** Default 'auto'. */
  engine?: EmbedEngine;
}

/** A loaded bundle that turns raw inputs (as the loaders give them) into embeddings. @group Embedding */
export class BundleEmbedder {
  private constructor(
    /** The bundle directory. */
    readonly dir: string,
    readonly manifest: BundleManifest,
    readonly network: SiameseNetwork,
    /** The bundle's identity, recorded in and checked against indexes. */
    readonly identity: ModelIdentity,
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
        const bytes = exportOnnx(network.encoder, { l2Normalize: manifest.embedding.normalize });
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
