/**
 * The relu gradient in one pass on wasm. TF.js computes it as dy * cast(step(x)): three
 * kernels and three passes over the activation (7 % of the CNN step in the profile). We
 * register a gradient for Relu that runs our kernel `relu_grad` (csrc/kernels.c, the same
 * values) on the wasm backend and TF.js's own formula on every other backend.
 *
 * In a layer's backward pass the next kernel is the bias gradient: Sum of this output over
 * all axes but the last, one more full read of it. So the kernel (`relu_grad_sums`) also sums
 * the columns as it writes them, in the row order `sum_rows` uses (the same float32 values),
 * and keeps the sums with the output's data; the Sum kernel (kernels/Sum.ts) takes them
 * from there instead of reading the tensor again.
 *
 * In Node the native kernels (native.ts) take the relu gradient with its sums and the relu
 * itself (kernels/Relu.ts), on the thread plan's threads. Their sums run per block of 1024 rows (each block in row
 * order, the blocks added in order: the same values on any number of threads), and the Sum
 * kernel then sums that way too, so the kept sums still equal a Sum of the tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import { memoryBoundRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { nativeKernels } from './native.js';
import { threadPlan } from './threads.js';

/** Kernel name of the fused relu gradient: inputs dy, x; output dy * step(x). */
export const RELU_GRAD_KERNEL = 'ContrastiveReluGrad';

/** Widest last axis whose column sums the kernel keeps (SUM_BLOCK in csrc/kernels.c). */
const MAX_SUM_COLS = 1024;

/** Column sums of ReluGrad outputs, by the output's data (dropped with it; tensors are immutable). */
const columnSums = new WeakMap<object, Float32Array>();

/**
 * The sums over all leading axes of the ReluGrad output with data `dataId`, if that output
 * has `cols` values in its last axis and the kernel kept them; else undefined.
 */
export function reluGradColumnSums(dataId: object, cols: number): Float32Array | undefined {
  const sums = columnSums.get(dataId);
  return sums && sums.length === cols ? sums : undefined;
}

/** The fused relu gradient on the wasm backend (float32 only: the gradient of a float relu). */
export const reluGradKernelConfig: KernelConfig = {
  kernelName: RELU_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b }: Parameters<KernelFunc>[0]) => {
    const backend = b as unknown as WasmBackendLike;
    const { dy, x } = inputs as Record<string, TensorInfo>;
    const out = backend.makeOutput(x.shape, 'float32');
    const n = tf.util.sizeFromShape(x.shape);
    const cols = x.shape.length >= 2 ? x.shape[x.shape.length - 1] : 0;
    const native = memoryBoundRoute(n, enginesOn()) === 'native' ? nativeKernels() : null;
    const threads = threadPlan().native;
    const [dyp, xp, outp] = [ptr(backend, dy), ptr(backend, x), ptr(backend, out)];
    if (cols < 1 || cols > MAX_SUM_COLS || n === 0) {
      if (native) native.reluGrad(heapF32(backend), dyp / 4, xp / 4, outp / 4, -1, 1, n, threads);
      else kernelsFor(backend).relu_grad(dyp, xp, outp, n);
      return out;
    }
    // With the column sums, kept with the output for the bias gradient's Sum.
    const scratch = backend.wasm._malloc(4 * cols);
    try {
      if (native) native.reluGrad(heapF32(backend), dyp / 4, xp / 4, outp / 4, scratch / 4, n / cols, cols, threads);
      else kernelsFor(backend).relu_grad_sums(dyp, xp, outp, scratch, n / cols, cols);
      columnSums.set(out.dataId, heapF32(backend).slice(scratch / 4, scratch / 4 + cols));
    } finally {
      backend.wasm._free(scratch);
    }
    return out;
  }) as KernelFunc,
};

/** Relu's gradient: the fused kernel on wasm for float32 tensors of one shape, else TF.js's formula. */
export const reluGradConfig: GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const fused = tf.getBackend() === 'wasm' && g.dtype === 'float32' && x.dtype === 'float32' &&
      tf.util.arraysEqual(g.shape, x.shape) && tf.getKernel(RELU_GRAD_KERNEL, 'wasm') !== undefined;
    return { x: () => (fused ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x }) as tf.Tensor) : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
  },
};
