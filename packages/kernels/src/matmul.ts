/**
 * The dense path. BatchMatMul and _FusedMatMul go first to our native kernels in Node
 * (native-matmul.ts), then to onnxruntime's native GEMM where it loads (ort-matmul.ts), for
 * the cases ours do not take; otherwise, and when both are off, they run here on both cores:
 * BatchMatMul (the dense layers' gradients) and _FusedMatMul
 * (their forward pass, with bias and relu) split by output rows between the main thread (our
 * SIMD kernel `matmul` in the backend's heap) and the helper worker (the same kernel in its
 * shared memory, after a copy of its rows of A and of all of B). The stock XNNPACK kernel runs
 * on one thread only. Cases it does not cover (a real batch of matrices, other activations,
 * a broadcast bias, small products, one thread) go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelWorker, WorkerOp } from './kernel-worker.js';
import { nativeMatMul, type FusedActivation } from './ort-matmul.js';
import { nativeGemm, singleMatrix as single } from './native-matmul.js';
import { copyBack, copyTail, together } from './split.js';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

type KernelArgs = Parameters<KernelFunc>[0];
type Backend = WasmBackendLike & { disposeData(dataId: object): void };

/** Smallest product (multiply-adds) worth the copies and the hand-off to the worker. */
const MIN_MACS = 1e6;
/** Share of the rows the main thread keeps (it also does the copies). */
const MAIN_SHARE = 0.46;

/** A transposed copy of the last two axes, made by the stock Transpose kernel. */
function flip(args: KernelArgs, t: TensorInfo): TensorInfo {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  const transpose = tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc;
  return transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as TensorInfo;
}

/**
 * Runs act(op(a) op(b) + bias) on two threads, or returns null when the stock kernel should
 * (see the module comment). `bias` is null or a tensor of N values.
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
  if (K !== K2 || M < 8 || M * K * N < MIN_MACS) return null;
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
    const M1 = Math.min(M - 4, Math.max(4, 4 * Math.round((M * MAIN_SHARE) / 4)));
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

/** BatchMatMul: native GEMM, else two threads where {@link matMulTwoThreads} applies, else `fallback`. */
export function batchMatMulFast(args: KernelArgs, fallback: KernelFunc): TensorInfo | TensorInfo[] {
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const backend = args.backend as unknown as Backend;
  // A B^T (an input gradient): onnxruntime's GEMM was faster than ours in bench:native
  // (ours transposes B into panels first), so it goes first there.
  if (transposeB && !transposeA) {
    return nativeMatMul(backend, { a, b, transposeA, transposeB }) ?? nativeGemm(backend, a, b, transposeA, transposeB, null, false)
      ?? matMulTwoThreads(args, a, b, transposeA, transposeB, null, false) ?? fallback(args);
  }
  return nativeGemm(backend, a, b, transposeA, transposeB, null, false)
    ?? nativeMatMul(backend, { a, b, transposeA, transposeB })
    ?? matMulTwoThreads(args, a, b, transposeA, transposeB, null, false) ?? fallback(args);
}

/**
 * _FusedMatMul: native GEMM (every activation), else two threads for no activation or relu,
 * else `fallback`.
 */
export function fusedMatMulFast(args: KernelArgs, fallback: KernelFunc): TensorInfo | TensorInfo[] {
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const act = activation ?? 'linear';
  const ours = !preluActivationWeights && (act === 'linear' || act === 'relu')
    ? nativeGemm(args.backend as unknown as Backend, a, b, transposeA, transposeB, bias ?? null, act === 'relu') : null;
  if (ours) return ours;
  const native = nativeMatMul(args.backend as unknown as Backend, {
    a, b, transposeA, transposeB, bias: bias ?? null, activation: act as FusedActivation, leakyreluAlpha, preluWeights: preluActivationWeights ?? null,
  });
  if (native) return native;
  if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu' && activation !== undefined)) return fallback(args);
  return matMulTwoThreads(args, a, b, transposeA, transposeB, bias ?? null, activation === 'relu') ?? fallback(args);
}
