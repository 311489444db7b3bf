/**
 * Sums over a tensor's leading axes in one pass: what the Sum and Mean overrides
 * (kernels/Sum.ts, kernels/Mean.ts) take from the stock kernels, which transpose the whole
 * input first. Bias gradients and batch-norm statistics are such sums.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { memoryBoundRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { nativeKernels } from './native.js';
import { threadPlan } from './threads.js';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

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
  else if (memoryBoundRoute(rows * cols, enginesOn()) === 'native') {
    nativeKernels()!.sumRows(heapF32(backend), ptr(backend, x) / 4, ptr(backend, out) / 4, rows, cols, threadPlan().native);
  } else kernelsFor(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
  return out;
}
