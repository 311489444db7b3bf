/**
 * Embedding with onnxruntime: runs a model written by {@link exportOnnx} on
 * onnxruntime-node's CPU provider, several times faster than TF.js on wasm.
 * The package is imported only when an embedder is loaded, so the library
 * still works in a browser or where it is not installed (TF.js is the fallback).
 */
import type * as Ort from 'onnxruntime-node';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadOnnxRuntime, type OrtModule } from '@contrastive/kernels';
import { readUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

const FN = 'OnnxEmbedder';

/** Options of {@link OnnxEmbedder.load}. @group ONNX */
export interface OnnxEmbedderOptions {
  /** Threads of one operator (onnxruntime intra-op threads; default 2, the cores of the target machine). */
  threads?: number;
  /** Examples per onnxruntime call in {@link OnnxEmbedder.embed} (default 1024). */
  batchSize?: number;
  /**
   * The onnxruntime module to use instead of importing 'onnxruntime-node'
   * (e.g. onnxruntime-web in a browser; same API).
   */
  runtime?: OrtModule;
}

/** Runs an exported encoder: flat float32 examples in, flat embeddings out. @group ONNX */
export class OnnxEmbedder {
  /** Shape of one example (TF.js order, without the batch axis); null marks a size that may vary (sequence length). */
  readonly inputShape: readonly (number | null)[];
  /** Name of the model's input. */
  readonly inputName: string;
  /** Name of the model's output. */
  readonly outputName: string;

  private constructor(
    private readonly ort: OrtModule,
    private session: Ort.InferenceSession | null,
    private readonly batchSize: number,
    inputShape: (number | null)[],
  ) {
    this.inputName = session!.inputNames[0];
    this.outputName = session!.outputNames[0];
    this.inputShape = inputShape;
  }

  /**
   * Loads an ONNX model (a file path or the bytes from {@link exportOnnx})
   * into an onnxruntime session with `threads` intra-op threads.
   *
   * @throws ContrastiveError NOT_FOUND for a missing file, UNSUPPORTED when
   *   onnxruntime-node is absent, INVALID_DATA when onnxruntime rejects the model.
   */
  static async load(model: string | Uint8Array, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const threads = options.threads ?? 2;
    const batchSize = options.batchSize ?? 1024;
    check(Number.isInteger(threads) && threads >= 1, `${FN}.load`, `options.threads must be a positive integer, got ${threads}`);
    check(Number.isInteger(batchSize) && batchSize >= 1, `${FN}.load`, `options.batchSize must be a positive integer, got ${batchSize}`);
    check(typeof model === 'string' || model instanceof Uint8Array, `${FN}.load`, 'model must be a file path or the bytes of an ONNX model');
    let bytes: Uint8Array;
    if (typeof model === 'string') {
      try {
        bytes = await readUserFile(model, { maxBytes: USER_FILE_LIMITS.large, what: 'ONNX model' });
      } catch (err) {
        if (!(err instanceof ContrastiveError)) throw err;
        throw new ContrastiveError(err.code, `${FN}.load: cannot read ONNX model '${model}' (${err.message.slice(model.length + 2)})`, { cause: err });
      }
    } else {
      bytes = model;
    }
    const ort = options.runtime ?? (await loadOnnxRuntime());
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      const where = typeof model === 'string' ? `'${model}'` : 'the given bytes';
      throw new ContrastiveError('INVALID_DATA', `${FN}.load: onnxruntime rejected the model in ${where}: ${(err as Error).message}`, { cause: err });
    }
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      const counts = `${session.inputNames.length} inputs, ${session.outputNames.length} outputs`;
      await session.release();
      throw new ContrastiveError('UNSUPPORTED', `${FN}.load: the model has ${counts}; an embedder needs exactly one of each`);
    }
    const meta = session.inputMetadata?.[0];
    const shape = meta && meta.isTensor ? meta.shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : null)) : [];
    return new OnnxEmbedder(ort, session, batchSize, shape);
  }

  /** Per-example input shape for examples of `size` values (fills in one variable dim). */
  private exampleDims(size: number): number[] {
    if (this.inputShape.length === 0) return [size];
    const known = this.inputShape.reduce<number>((p, d) => p * (d ?? 1), 1);
    const unknown = this.inputShape.filter((d) => d == null).length;
    const want = this.inputShape.map((d) => d ?? '?').join('x');
    if (unknown === 0) {
      check(size === known, `${FN}.embed`, `each example must hold ${known} values (shape ${want}), got ${size}`);
      return this.inputShape as number[];
    }
    check(unknown === 1 && size % known === 0 && size > 0, `${FN}.embed`, `examples of ${size} values do not fit the input shape ${want}`);
    return this.inputShape.map((d) => d ?? size / known);
  }

  /**
   * Embeds `n` examples stored one after another in `x` (TF.js layout, e.g.
   * NHWC images), in batches of `batchSize`.
   *
   * @returns the n embeddings, row after row ([n, dim] flattened).
   */
  async embed(x: Float32Array, n: number): Promise<Float32Array> {
    check(this.session !== null, `${FN}.embed`, 'the embedder was disposed');
    check(x instanceof Float32Array, `${FN}.embed`, 'x must be a Float32Array');
    check(Number.isInteger(n) && n >= 1, `${FN}.embed`, `n must be a positive integer, got ${n}`);
    check(x.length % n === 0, `${FN}.embed`, `x holds ${x.length} values, not a multiple of n = ${n}`);
    const per = x.length / n;
    const dims = this.exampleDims(per);
    let out: Float32Array | undefined;
    let dim = 0;
    for (let start = 0; start < n; start += this.batchSize) {
      const count = Math.min(this.batchSize, n - start);
      const input = new this.ort.Tensor('float32', x.subarray(start * per, (start + count) * per), [count, ...dims]);
      const result = await this.session.run({ [this.inputName]: input });
      const y = result[this.outputName];
      const data = y.data as Float32Array;
      if (out === undefined) {
        dim = data.length / count;
        out = new Float32Array(n * dim);
      }
      out.set(data, start * dim);
      y.dispose?.();
    }
    for (let i = 0; i < out!.length; i++) {
      if (!Number.isFinite(out![i])) {
        throw new ContrastiveError('NUMERIC', `${FN}.embed: embedding ${Math.floor(i / dim)} holds a non-finite value (check the input for NaN or huge values)`);
      }
    }
    return out!;
  }

  /** Frees the onnxruntime session. */
  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}
