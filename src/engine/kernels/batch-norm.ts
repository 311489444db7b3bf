/**
 * Batch normalisation in training at the speed of the layers around it on wasm.
 *
 * A tfjs-layers BatchNormalization in training computes tf.moments (Mean, Sub, Square, Mean)
 * then FusedBatchNorm. On the stock wasm backend its step cost 5x the whole cnn step without
 * it (bench/profile.ts --batch-norm): the FusedBatchNorm gradient broadcasts 1/sqrt(var) with
 * Tile (a per-element kernel, 30 % of the step), Mean over the leading axes transposes the
 * whole input first (15 %), and Mean's gradient multiplies dy by a full tensor of ones.
 * We replace those three, on wasm and for the channels-last float32 case only:
 * - Mean over leading axes: one pass (csrc `sum_rows`) and a scale, like our Sum.
 * - Mean's gradient over leading axes: dy / n written once into every row (kernel
 *   `ContrastiveMeanGrad`).
 * - FusedBatchNorm's gradient with per-channel (rank-1) statistics: all five gradients in two
 *   passes over x and dy (kernel `ContrastiveBatchNormGrad`), accumulating in float64.
 * The values are the stock formulas'; every other backend and case keeps TF.js's own.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** Kernel name of the fused FusedBatchNorm gradient: inputs x, mean, variance, scale?, dy. */
export const BATCH_NORM_GRAD_KERNEL = 'ContrastiveBatchNormGrad';
/** Kernel name of Mean's gradient over leading axes: input dy (the kept shape); attrs shape, n. */
export const MEAN_GRAD_KERNEL = 'ContrastiveMeanGrad';

/** The number of leading axes `axes` reduces, or 0 when they are not exactly the leading ones. */
function leadingAxes(axis: number | number[] | undefined, shape: number[]): number {
  const axes = tf.util.parseAxisParam(axis ?? [], shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < shape.length && axes.every((a, i) => a === i);
  return leading ? axes.length : 0;
}

/** Mean on wasm: over leading axes of a float32 tensor in one pass, else the stock kernel. */
export function meanOverride(): KernelConfig {
  const base = tf.getKernel(tf.Mean, 'wasm');
  if (!base) throw new Error('wasm backend has no Mean kernel');
  const kernelFunc = ((args: KernelArgs) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
    const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
    if (k === 0) return base.kernelFunc(args);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const kept = x.shape.slice(k);
    const cols = tf.util.sizeFromShape(kept);
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept, 'float32');
    if (cols === 0) return out;
    kernelsFor(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
    // The stock kernel divides the float32 sum by the count; so do we (not a multiply by 1/n).
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    for (let j = 0; j < cols; j++) o[j] = o[j] / rows;
    return out;
  }) as KernelFunc;
  return { ...base, kernelFunc };
}

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

/**
 * All five gradients of FusedBatchNorm (per-channel statistics, channels last) in two passes:
 * sums of dy and dy·(x - mean) per channel, then dx = dy·scale·invstd. Outputs in the order
 * dx, dMean, dVariance, dScale, dOffset.
 */
export const batchNormGradKernelConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b, attrs }: KernelArgs) => {
    const backend = b as unknown as WasmBackendLike;
    const { x, mean, variance, scale, dy } = inputs as Record<string, TensorInfo | undefined> as Record<string, TensorInfo>;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const C = mean.shape[0];
    const size = tf.util.sizeFromShape(x.shape);
    const dx = backend.makeOutput(x.shape, 'float32');
    const outs = [0, 1, 2, 3].map(() => backend.makeOutput([C], 'float32'));
    // Views only after every allocation: a heap growth would detach earlier ones.
    const X = backend.typedArrayFromHeap(x) as Float32Array;
    const DY = backend.typedArrayFromHeap(dy) as Float32Array;
    const DX = backend.typedArrayFromHeap(dx) as Float32Array;
    const M = backend.typedArrayFromHeap(mean) as Float32Array;
    const V = backend.typedArrayFromHeap(variance) as Float32Array;
    const S = scale ? (backend.typedArrayFromHeap(scale) as Float32Array) : undefined;
    const [dMean, dVar, dScale, dOffset] = outs.map((o) => backend.typedArrayFromHeap(o) as Float32Array);
    const sumDy = new Float64Array(C);
    const sumDyXc = new Float64Array(C);
    const invStd = new Float32Array(C);
    const gain = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      invStd[c] = 1 / Math.sqrt(Math.fround(V[c] + varianceEpsilon));
      gain[c] = Math.fround((S ? S[c] : 1) * invStd[c]);
    }
    for (let base = 0; base < size; base += C) {
      for (let c = 0; c < C; c++) {
        const g = DY[base + c];
        sumDy[c] += g;
        sumDyXc[c] += g * (X[base + c] - M[c]);
        DX[base + c] = g * gain[c];
      }
    }
    for (let c = 0; c < C; c++) {
      const s = S ? S[c] : 1;
      const r = invStd[c];
      dOffset[c] = sumDy[c];
      dScale[c] = sumDyXc[c] * r;
      dMean[c] = -r * s * sumDy[c];
      dVar[c] = -0.5 * r * r * r * s * sumDyXc[c];
    }
    return [dx, ...outs];
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
        [mean, variance, ...(scale ? [scale] : [])].every((t) => t.rank === 1 && t.shape[0] === C);
      if (!fused) return stock.gradFunc(dy, saved, attrs);
      const inputs: Record<string, tf.Tensor> = { x, mean, variance, dy: g };
      if (scale) inputs.scale = scale;
      const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVar, scale: () => dScale, offset: () => dOffset };
    },
  };
}
