/**
 * Loading onnxruntime-node, in one place. Two doors, for two kinds of caller:
 * - {@link loadOnnxRuntime}: the public module, imported on demand (async), for
 *   the embedder of exported models;
 * - {@link nativeOrt}: the synchronous native session, for the synchronous k-NN
 *   GEMM. onnxruntime-node's public `session.run` wraps the same native method in
 *   a promise and exposes no synchronous one, so this reaches into the package's
 *   `dist/binding.js`; where that fails (a browser, the package missing, another
 *   binding API) it returns null with the reason, and callers fall back to TF.js.
 */
import type * as Ort from 'onnxruntime-node';
import { ContrastiveError } from '../errors.js';
import { loadPackage, packageProblem } from '../optional-package.js';
import { encodeOnnxModel, type OnnxModel } from './proto.js';
import { IS_NODE, requireModule } from '#platform/host.js';

/** The parts of the onnxruntime module the embedder uses. @group ONNX */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

/** The optional peer package that runs ONNX models (its CPU provider ships in the npm package). */
export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

/**
 * How to install onnxruntime-node. Its install script downloads CUDA libraries from NuGet on
 * linux-x64 (and fails where NuGet is unreachable); the CPU provider used here needs none of them.
 */
export const ONNX_RUNTIME_INSTALL = `ONNXRUNTIME_NODE_INSTALL=skip npm install ${ONNX_RUNTIME_PACKAGE}`;

/** Loads onnxruntime-node, or says how to get it. @group ONNX */
export async function loadOnnxRuntime(): Promise<OrtModule> {
  if (!IS_NODE) throw new ContrastiveError('UNSUPPORTED', 'OnnxEmbedder.load: onnxruntime-node runs only in Node; in a page pass options.runtime (onnxruntime-web)');
  // Through the host (a CommonJS require in Node), so that bundlers never
  // see the native package, and resolved from this package as its optional peer.
  const mod = loadPackage('OnnxEmbedder.load', ONNX_RUNTIME_PACKAGE, () => requireModule(ONNX_RUNTIME_PACKAGE) as OrtModule & { default?: OrtModule }, ONNX_RUNTIME_INSTALL);
  const ort = mod.InferenceSession ? mod : mod.default;
  if (!ort?.InferenceSession) throw new ContrastiveError('UNSUPPORTED', `OnnxEmbedder.load: onnxruntime-node did not export InferenceSession`);
  return ort;
}


/** The pieces of onnxruntime-node's native binding used here. */
/** onnxruntime-node's synchronous native session. */
export interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  /** A fetch given as a Tensor (rather than null) is written in place (no output allocation). */
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, { data: unknown }>;
  dispose(): void;
}

/** The synchronous session class and the Tensor class of onnxruntime-node. */
export interface NativeOrt {
  InferenceSession: new () => NativeSession;
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

let loaded: NativeOrt | null | undefined;
let loadError = '';

/**
 * onnxruntime-node's synchronous session and its Tensor class, or null (with
 * the reason in {@link nativeOrtError}) where they cannot be loaded.
 */
export function nativeOrt(): NativeOrt | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!IS_NODE) {
    loadError = 'not running in Node.js';
    return null;
  }
  try {
    const require = requireModule;
    const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as {
      binding?: { InferenceSession?: new () => NativeSession };
      initOrt?: () => void;
    };
    const { Tensor } = require('onnxruntime-node') as { Tensor?: NativeOrt['Tensor'] };
    if (typeof binding?.InferenceSession !== 'function' || typeof initOrt !== 'function' || typeof Tensor !== 'function') {
      loadError = 'onnxruntime-node has no synchronous native session in dist/binding.js (another version?)';
      return null;
    }
    initOrt();
    loaded = { InferenceSession: binding.InferenceSession, Tensor };
  } catch (err) {
    loadError = packageProblem(ONNX_RUNTIME_PACKAGE, err, ONNX_RUNTIME_INSTALL);
  }
  return loaded;
}

/** Why {@link nativeOrt} returned null ('' when it did not). */
export function nativeOrtError(): string {
  return loadError;
}

/**
 * A synchronous native session of `model`: `threads` intra-op threads, one graph run at a time,
 * all graph optimisations. Idle pool threads block unless `spinning`: callers run JS or other
 * sessions between runs, where spinning threads would take the cores. Throws what
 * onnxruntime throws for a graph it rejects.
 */
export function openNativeSession(ort: NativeOrt, model: OnnxModel, threads: number, spinning = false): NativeSession {
  const bytes = encodeOnnxModel(model);
  const session = new ort.InferenceSession();
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
  });
  return session;
}
