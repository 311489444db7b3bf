/**
 * The dense path of BatchMatMul and _FusedMatMul (kernels/BatchMatMul.ts,
 * kernels/_FusedMatMul.ts): {@link runMatMul} tries the engines of the dispatch policy's
 * `matMulRoute` (dispatch.ts) in order: our native kernels (native-matmul.ts), onnxruntime's
 * GEMM (ort-matmul.ts), the two-thread wasm kernel here, the stock kernel.
 *
 * The two-thread kernel splits the output rows between the main thread (our SIMD kernel
 * `matmul` in the backend's heap) and the helper worker (the same kernel in its shared
 * memory, after a copy of its rows of A and of all of B): the stock XNNPACK kernel runs on one
 * thread only. It takes single matrices with no activation or relu and a bias of N values.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { DISPATCH_THRESHOLDS, matMulRoute, type MatMulShape } from './dispatch.js';
import { enginesOn } from './engines.js';
import { kernelWorker, WorkerOp } from './kernel-worker.js';
import { nativeMatMul, type FusedActivation } from './ort-matmul.js';
import { nativeGemm, singleMatrix as single } from './native-matmul.js';
import { stockKernel } from './override.js';
import { copyBack, copyTail, together } from './split.js';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

type KernelArgs = Parameters<KernelFunc>[0];
type Backend = WasmBackendLike & { disposeData(dataId: object): void };

/** A transposed copy of the last two axes, made by the stock Transpose kernel. */
function flip(args: KernelArgs, t: TensorInfo): TensorInfo {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  const transpose = stockKernel(tf.Transpose).kernelFunc;
  return transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as TensorInfo;
}

/**
 * Runs act(op(a) op(b) + bias) on two threads, or returns null where it cannot (not single
 * float32 matrices, a bias that is not N values, the helper not started). `bias` is null or a
 * tensor of N values. Whether a product is worth it is the dispatch policy's question.
 */
export function matMulTwoThreads(
  args: KernelArgs, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
  bias: TensorInfo | null, relu: boolean,
): TensorInfo | null {
  const backend = args.backend as unknown as Backend;
  const sa = single(a);
  const sb = single(b);
  if (!sa || !sb || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== b.shape.length) return null;
  const [M, K] = transposeA ? [sa[1], sa[0]] : sa;
  const [K2, N] = transposeB ? [sb[1], sb[0]] : sb;
  if (K !== K2 || M < 8) return null; // each thread takes whole 4-row tiles
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== N || bias.shape[bias.shape.length - 1] !== N)) return null;
  const worker = kernelWorker();
  if (!worker) return null;

  const b2 = transposeB ? flip(args, b) : b;
  try {
    const out = backend.makeOutput([...a.shape.slice(0, -2), M, N], 'float32');
    const k = kernelsFor(backend);
    const [ap, bp, outp] = [ptr(backend, a), ptr(backend, b2), ptr(backend, out)];
    const biasp = bias ? ptr(backend, bias) : 0;
    // A(i,k) = a[i*sI + k*sK]: row-major [M, K], or transposed (stored [K, M]).
    const [sI, sK] = transposeA ? [1, M] : [K, 1];
    const M1 = Math.min(M - 4, Math.max(4, 4 * Math.round((M * DISPATCH_THRESHOLDS.helperMainShare.value) / 4)));
    const M2 = M - M1;
    // The worker's rows of A: contiguous rows when A is row-major, else all of it (strided columns).
    const aw = transposeA ? copyTail(backend, worker, ap, K * M, 0, 1) + 4 * M1 : copyTail(backend, worker, ap, K, M1, M);
    const bw = copyTail(backend, worker, bp, K * N, 0, 1);
    const biasw = bias ? copyTail(backend, worker, biasp, N, 0, 1) : 0;
    const cw = worker.alloc(M2 * N);
    together(worker, WorkerOp.MatMul, [aw, bw, cw, M2, K, N, sI, sK, biasw, relu ? 1 : 0], () => {
      k.matmul(ap, bp, outp, M1, K, N, sI, sK, biasp, relu ? 1 : 0);
    });
    copyBack(backend, worker, cw, M2 * N, outp, M1 * N);
    return out;
  } finally {
    if (b2 !== b) backend.disposeData(b2.dataId);
  }
}

/**
 * The stock BatchMatMul or _FusedMatMul with a transposed operand transposed first: its fast
 * path, and for _FusedMatMul the only right one (with transposeA and an activation other than
 * relu/linear the stock kernel returns wrong values, test/engine/matmul.test.ts).
 */
export function stockTransposed(args: KernelArgs, fallback: KernelFunc): TensorInfo | TensorInfo[] {
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (!transposeA && !transposeB) return fallback(args);
  const backend = args.backend as unknown as Backend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const a2 = transposeA ? flip(args, a) : a;
  const b2 = transposeB ? flip(args, b) : b;
  try {
    return fallback({ ...args, inputs: { ...args.inputs, a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
  }
}

/** What a dense kernel computes: act(op(a) op(b) + bias). */
export interface DenseCall {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias: TensorInfo | null;
  activation: FusedActivation;
  leakyreluAlpha?: number;
  preluWeights: TensorInfo | null;
}

/** The policy's view of a dense call (batch dims broadcast as TF.js does; a bad pair counts as one matrix). */
export function matMulShape(c: DenseCall): MatMulShape {
  const [ra, rb] = [c.a.shape.length, c.b.shape.length];
  const [M, K] = c.transposeA ? [c.a.shape[ra - 1], c.a.shape[ra - 2]] : [c.a.shape[ra - 2], c.a.shape[ra - 1]];
  const N = c.transposeB ? c.b.shape[rb - 2] : c.b.shape[rb - 1];
  let batch = 1;
  try {
    batch = tf.util.sizeFromShape(tf.broadcast_util.assertAndGetBroadcastShape(c.a.shape.slice(0, -2), c.b.shape.slice(0, -2)));
  } catch {
    // The stock kernel reports the mismatch.
  }
  const single = single2(c.a) && single2(c.b) && ra === rb;
  // A prelu is an activation only onnxruntime fuses: the policy sees it as one it cannot.
  const activation = c.preluWeights ? 'prelu' : c.activation;
  return { M, K, N, batch, single, transposeA: c.transposeA, transposeB: c.transposeB, bias: c.bias !== null, activation };
}

const single2 = (t: TensorInfo): boolean => single(t) !== null;

/**
 * Runs a dense kernel call on the engines of the dispatch policy's route, in order, each
 * either answering or declining (null); `fallback` is the stock kernel.
 */
export function runMatMul(args: KernelArgs, c: DenseCall, fallback: KernelFunc): TensorInfo | TensorInfo[] {
  const backend = args.backend as unknown as Backend;
  const relu = c.activation === 'relu';
  for (const engine of matMulRoute(matMulShape(c), enginesOn())) {
    let out: TensorInfo | null = null;
    if (engine === 'native') out = nativeGemm(backend, c.a, c.b, c.transposeA, c.transposeB, c.bias, relu);
    else if (engine === 'onnxruntime') {
      out = nativeMatMul(backend, {
        a: c.a, b: c.b, transposeA: c.transposeA, transposeB: c.transposeB, bias: c.bias, activation: c.activation,
        leakyreluAlpha: c.leakyreluAlpha, preluWeights: c.preluWeights,
      });
    } else if (engine === 'helper') out = matMulTwoThreads(args, c.a, c.b, c.transposeA, c.transposeB, c.bias, relu);
    else return stockTransposed(args, fallback);
    if (out) return out;
  }
  return stockTransposed(args, fallback);
}
