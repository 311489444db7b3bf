/**
 * Faster paths for stock wasm kernels in the shapes training produces, delegating every
 * other case to the stock kernel:
 * - Conv2D (float32, NHWC): in Node our native kernels (native.ts) where they loaded;
 *   otherwise 3x3 stride 1 by Winograd F(2x2, 3x3) (csrc/kernels.c), on one
 *   thread or two; other large enough convs split over two threads with our direct SIMD
 *   kernel. On one thread the stock XNNPACK kernel is a little faster than our direct one,
 *   so it keeps that case.
 * - Sum over the leading axes (bias gradients): the stock kernel transposes the whole input
 *   first; ours reads it once (sum_rows), or not at all where our relu gradient made the input
 *   and kept its column sums (relu-grad.ts).
 * - Identity (tf.clone, and the engine's copy of every tensor a gradient needs): the stock
 *   kernel copies the data; ours shares it, as the cpu backend and the wasm Reshape do.
 *   Safe because no kernel writes into an existing tensor's memory.
 * - BatchMatMul and _FusedMatMul (dense layers, forward and gradients): in Node our native
 *   kernels (native-matmul.ts) or onnxruntime's GEMM (ort-matmul.ts), else split over two
 *   threads (matmul.ts) when large enough;
 *   otherwise, with a transposed operand, the stock kernel takes a slow path for transposes,
 *   so we transpose the operand (cheap) and take its fast one.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convDims } from './conv2d-backprop.js';
import { kernelThreads, WorkerOp } from './kernel-worker.js';
import { nativeKernels } from './native.js';
import { nativeConvForward } from './native-conv.js';
import { copyBack, copyTail, dimsArgs, planSplit, together } from './split.js';
import { batchMatMulFast, fusedMatMulFast } from './matmul.js';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import { reluGradColumnSums } from './relu-grad.js';
import { overrideStock, stockKernel, type KernelArgs } from './override.js';

/** The number of leading axes `axis` names, or 0 when they are not exactly the leading ones (nor all). */
export function leadingAxes(axis: number | number[] | undefined, shape: number[]): number {
  const axes = tf.util.parseAxisParam(axis ?? [], shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < shape.length && axes.every((a, i) => a === i);
  return leading ? axes.length : 0;
}

/**
 * The float32 sums of `x` over its first `k` axes in one pass (`sum_rows`, row order), or the
 * column sums `known` gives for the column count, into a new tensor (kept axes as 1s with `keepDims`).
 */
export function sumLeadingAxes(backend: WasmBackendLike, x: TensorInfo, k: number, keepDims: boolean, known?: (cols: number) => Float32Array | undefined): TensorInfo {
  const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
  const kept = x.shape.slice(k);
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept, 'float32');
  const cols = tf.util.sizeFromShape(kept);
  const sums = known?.(cols);
  if (sums) heapF32(backend).set(sums, ptr(backend, out) / 4);
  else {
    const native = rows > 0 && cols > 0 ? nativeKernels() : null;
    if (native) native.sumRows(heapF32(backend), ptr(backend, x) / 4, ptr(backend, out) / 4, rows, cols, kernelThreads());
    else kernelsFor(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
  }
  return out;
}

export const sumOverride = overrideStock(tf.Sum, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
  if (k === 0) return fallback(args);
  // A bias gradient right after our relu gradient: that kernel already summed the columns.
  return sumLeadingAxes(args.backend as unknown as WasmBackendLike, x, k, keepDims, (cols) => reluGradColumnSums(x.dataId, cols));
});

export const fusedMatMulOverride = overrideStock(tf._FusedMatMul, (args, fallback) => fusedMatMulFast(args, (a) => stockTransposed(a, fallback)));

export const batchMatMulOverride = overrideStock(tf.BatchMatMul, (args, fallback) => batchMatMulFast(args, (a) => stockTransposed(a, fallback)));

/**
 * The stock BatchMatMul or _FusedMatMul with a transposed operand transposed first: its fast
 * path, and for _FusedMatMul the only right one (with transposeA and an activation other than
 * relu/linear the stock kernel returns wrong values, test/engine/matmul.test.ts).
 */
function stockTransposed(args: KernelArgs, fallback: KernelFunc): TensorInfo | TensorInfo[] {
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (!transposeA && !transposeB) return fallback(args);
  const backend = args.backend as unknown as { disposeData(dataId: object): void };
  const transpose = stockKernel(tf.Transpose).kernelFunc;
  const flip = (t: TensorInfo): TensorInfo => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as TensorInfo;
  };
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const a2 = transposeA ? flip(a) : a;
  const b2 = transposeB ? flip(b) : b;
  try {
    return fallback({ ...args, inputs: { ...args.inputs, a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
  }
}

export const conv2dOverride = overrideStock(tf.Conv2D, (args, fallback) => {
  const backend = args.backend as unknown as WasmBackendLike & { disposeData(dataId: object): void };
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || format !== 'channelsLast') return fallback(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
  const d = convDims(info);
  const native = nativeConvForward(backend, x, filter, null, info, false);
  if (native) return native;
  // 3x3 stride 1: Winograd F(2x2, 3x3), 1.5-1.7x faster than direct (ours or XNNPACK), on one
  // thread or two. Otherwise our direct kernel needs FH <= 16, and with few input channels (a
  // first layer) or on one thread XNNPACK alone is faster.
  const wino = d.FH === 3 && d.FW === 3 && d.sh === 1 && d.sw === 1 && d.dh === 1 && d.dw === 1 && d.C % 4 === 0 && d.C >= 8 && d.K % 8 === 0;
  const split = wino || (d.FH <= 16 && d.C >= 8) ? planSplit(d) : null;
  if (!split && !wino) return fallback(args);
  const out = backend.makeOutput(info.outShape, 'float32');
  const k = kernelsFor(backend);
  const [xp, fp, outp] = [ptr(backend, x), ptr(backend, filter), ptr(backend, out)];
  const scratchFloats = wino ? k.conv2d_winograd_scratch(d.C, d.K) : 0;
  const scratch = wino ? backend.wasm._malloc(4 * scratchFloats) : 0;
  type Rest = Parameters<typeof k.conv2d_forward> extends [number, number, number, ...infer R] ? R : never;
  const main = (N: number) => {
    if (wino) k.conv2d_forward_winograd(xp, fp, outp, scratch, ...(dimsArgs(d, N) as Rest));
    else k.conv2d_forward(xp, fp, outp, ...(dimsArgs(d, N) as Rest));
  };
  try {
    if (!split) {
      main(d.N);
      return out;
    }
    const { worker, N1, N2 } = split;
    const ysize = d.OH * d.OW * d.K;
    const xw = copyTail(backend, worker, xp, d.H * d.W * d.C, N1, d.N);
    const fw = copyTail(backend, worker, fp, d.FH * d.FW * d.C * d.K, 0, 1);
    const yw = worker.alloc(N2 * ysize);
    const args2 = wino ? [xw, fw, yw, worker.alloc(scratchFloats), ...dimsArgs(d, N2)] : [xw, fw, yw, ...dimsArgs(d, N2)];
    together(worker, wino ? WorkerOp.ForwardWinograd : WorkerOp.Forward, args2, () => main(N1));
    copyBack(backend, worker, yw, N2 * ysize, outp, N1 * ysize);
    return out;
  } finally {
    if (scratch) backend.wasm._free(scratch);
  }
});

export const identityOverride = overrideStock(tf.Identity, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string') return fallback(args);
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});
