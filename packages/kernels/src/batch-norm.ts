/**
 * Batch normalisation in training at the speed of the layers around it on wasm.
 *
 * A tfjs-layers BatchNormalization in training computes tf.moments (Mean, Sub, Square, Mean)
 * then FusedBatchNorm. On the stock wasm backend its step cost several times the whole cnn step
 * without it (bench/profile.ts --batch-norm): the FusedBatchNorm gradient broadcasts 1/sqrt(var) with
 * Tile (a per-element kernel, 30 % of the step), Mean over the leading axes transposes the
 * whole input first (15 %), and Mean's gradient multiplies dy by a full tensor of ones.
 * We replace those three and the forward kernel, on wasm and for the channels-last float32
 * case with per-channel statistics (C <= 1024) only (the two stock kernels' overrides are
 * kernels/Mean.ts and kernels/FusedBatchNorm.ts; the gradients and shared pieces are here):
 * - Mean over leading axes: one pass (csrc `sum_rows`) and a scale, like our Sum.
 * - Mean's gradient over leading axes: dy / n written once into every row (kernel
 *   `ContrastiveMeanGrad`).
 * - FusedBatchNorm forward: one SIMD pass (csrc/batch-norm.c `batch_norm_apply`).
 * - FusedBatchNorm's gradient: all five gradients from one SIMD pass over x and dy (kernel
 *   `ContrastiveBatchNormGrad`, csrc `batch_norm_grad`).
 * The values are the stock formulas'; every other backend and case keeps TF.js's own.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import type { KernelArgs } from './override.js';
import { leadingAxes } from './sum-rows.js';

/** Kernel name of the fused FusedBatchNorm gradient: inputs x, mean, variance, scale?, dy. */
export const BATCH_NORM_GRAD_KERNEL = 'ContrastiveBatchNormGrad';
/** Kernel name of Mean's gradient over leading axes: input dy (the kept shape); attrs shape, n. */
export const MEAN_GRAD_KERNEL = 'ContrastiveMeanGrad';

/** dy / n repeated over the leading rows: Mean's gradient over leading axes, on wasm. */
export const meanGradKernelConfig: KernelConfig = {
  kernelName: MEAN_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b, attrs }: KernelArgs) => {
    const backend = b as unknown as WasmBackendLike;
    const { dy } = inputs as Record<string, TensorInfo>;
    const { shape, n } = attrs as unknown as { shape: number[]; n: number };
    const out = backend.makeOutput(shape, 'float32');
    const size = tf.util.sizeFromShape(shape);
    const cols = tf.util.sizeFromShape(dy.shape);
    if (size === 0) return out;
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    const d = backend.typedArrayFromHeap(dy) as Float32Array;
    // Float32 division, as the stock div(mul(dy, ones), n) rounds it.
    for (let j = 0; j < cols; j++) o[j] = Math.fround(d[j] / n);
    // Then doubling copies: log2(rows) memmoves instead of a loop per element.
    for (let filled = cols; filled < size; filled *= 2) o.copyWithin(filled, 0, Math.min(filled, size - filled));
    return out;
  }) as KernelFunc,
};

/** Mean's gradient: our kernel on wasm over leading axes of float32, else TF.js's formula. */
export const meanGradConfig: GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = tf.util.sizeFromShape(axes.map((a) => x.shape[a]));
    const fused = tf.getBackend() === 'wasm' && g.dtype === 'float32' && leadingAxes(axis, x.shape) > 0 &&
      tf.getKernel(MEAN_GRAD_KERNEL, 'wasm') !== undefined;
    return {
      x: () => {
        if (fused) {
          return tf.engine().runKernel(MEAN_GRAD_KERNEL, { dy: g }, { shape: x.shape, n: reduceSize } as unknown as NamedAttrMap) as tf.Tensor;
        }
        const expanded = x.shape.slice();
        for (const a of axes) expanded[a] = 1;
        return tf.div(tf.mul(tf.reshape(g, expanded), tf.ones(x.shape, 'float32')), reduceSize);
      },
    };
  },
};

/** Our batch-norm functions in contrastive-kernels.wasm (csrc/batch-norm.c); pointers are byte offsets. */
export interface BatchNormExports {
  batch_norm_apply(x: number, y: number, mean: number, gain: number, offset: number, rows: number, C: number): void;
  batch_norm_grad(x: number, dy: number, dx: number, mean: number, gain: number, sumDy: number, sumDyXc: number, rows: number, C: number): void;
}

/** The most channels csrc/batch-norm.c takes (its per-channel sums live on its stack). */
const MAX_CHANNELS = 1024;

export type Backend = WasmBackendLike & { disposeData(dataId: object): void };

/** Per-channel float32 scale / sqrt(variance + eps) in a heap tensor of [C] (the caller disposes it). */
export function gainOf(backend: Backend, variance: TensorInfo, scale: TensorInfo | undefined, eps: number, C: number): TensorInfo {
  const gain = backend.makeOutput([C], 'float32');
  const G = backend.typedArrayFromHeap(gain) as Float32Array;
  const V = backend.typedArrayFromHeap(variance) as Float32Array;
  const S = scale ? (backend.typedArrayFromHeap(scale) as Float32Array) : undefined;
  for (let c = 0; c < C; c++) G[c] = (S ? S[c] : 1) * Math.fround(1 / Math.sqrt(Math.fround(V[c] + eps)));
  return gain;
}

/** Whether x is float32 channels-last with every per-channel input of shape [C], C small enough. */
export function perChannel(x: TensorInfo, stats: (TensorInfo | undefined)[]): boolean {
  const C = x.shape[x.shape.length - 1];
  return x.dtype === 'float32' && x.shape.length >= 2 && C >= 1 && C <= MAX_CHANNELS &&
    stats.every((t) => t === undefined || (t.dtype === 'float32' && t.shape.length === 1 && t.shape[0] === C));
}

/**
 * All five gradients of FusedBatchNorm (per-channel statistics, channels last) in one SIMD
 * pass over x and dy (csrc `batch_norm_grad`: dx = dy·scale·invstd and the per-channel sums
 * of dy and dy·(x - mean)), then per-channel arithmetic. Outputs in the order dx, dMean,
 * dVariance, dScale, dOffset.
 */
export const batchNormGradKernelConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b, attrs }: KernelArgs) => {
    const backend = b as unknown as Backend;
    const { x, mean, variance, scale, dy } = inputs as Record<string, TensorInfo | undefined> as Record<string, TensorInfo>;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const C = mean.shape[0];
    const rows = tf.util.sizeFromShape(x.shape) / C;
    const dx = backend.makeOutput(x.shape, 'float32');
    const [dMean, dVar, dScale, dOffset] = [0, 1, 2, 3].map(() => backend.makeOutput([C], 'float32'));
    const gain = gainOf(backend, variance, scale, varianceEpsilon, C);
    const k = kernelsFor(backend) as unknown as BatchNormExports;
    // The sums land in dOffset (sum dy, which it is) and dScale (sum dy·(x - mean), scaled below).
    k.batch_norm_grad(ptr(backend, x), ptr(backend, dy), ptr(backend, dx), ptr(backend, mean), ptr(backend, gain),
      ptr(backend, dOffset), ptr(backend, dScale), rows, C);
    backend.disposeData(gain.dataId);
    // Views only after every allocation: a heap growth would detach earlier ones.
    const V = backend.typedArrayFromHeap(variance) as Float32Array;
    const S = scale ? (backend.typedArrayFromHeap(scale) as Float32Array) : undefined;
    const [M, VA, SC, OF] = [dMean, dVar, dScale, dOffset].map((o) => backend.typedArrayFromHeap(o) as Float32Array);
    for (let c = 0; c < C; c++) {
      const s = S ? S[c] : 1;
      const r = Math.fround(1 / Math.sqrt(Math.fround(V[c] + varianceEpsilon)));
      const sumDyXc = SC[c];
      M[c] = -r * s * OF[c];
      VA[c] = -0.5 * r * r * r * s * sumDyXc;
      SC[c] = sumDyXc * r;
    }
    return [dx, dMean, dVar, dScale, dOffset];
  }) as KernelFunc,
};

const stockBatchNormGrad = (): GradConfig | undefined => tf.getGradient(tf.FusedBatchNorm);

/**
 * FusedBatchNorm's gradient: the fused kernel on wasm for float32 channels-last tensors with
 * rank-1 statistics (what a BatchNormalization layer on NHWC or [N, C] runs), else the stock
 * gradient (saved before we replaced it).
 */
export function batchNormGradConfig(): GradConfig {
  const stock = stockBatchNormGrad();
  if (!stock) throw new Error('TF.js has no FusedBatchNorm gradient');
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved;
      const g = dy as tf.Tensor;
      const C = x.shape[x.rank - 1];
      const fused = tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_GRAD_KERNEL, 'wasm') !== undefined &&
        [x, g, mean, variance, ...(scale ? [scale] : [])].every((t) => t.dtype === 'float32') &&
        tf.util.arraysEqual(g.shape, x.shape) && x.rank >= 2 &&
        C <= MAX_CHANNELS && [mean, variance, ...(scale ? [scale] : [])].every((t) => t.rank === 1 && t.shape[0] === C);
      if (!fused) return stock.gradFunc(dy, saved, attrs);
      const inputs: Record<string, tf.Tensor> = { x, mean, variance, dy: g };
      if (scale) inputs.scale = scale;
      const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVar, scale: () => dScale, offset: () => dOffset };
    },
  };
}
