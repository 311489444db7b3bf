/**
 * Faster paths for stock wasm kernels in the shapes training produces, delegating every
 * other case to the stock kernel:
 * - Conv2D (float32, NHWC): our register-blocked SIMD kernel, faster than the stock XNNPACK
 *   path on the small-channel convolutions of our encoders.
 * - Sum over the leading axes (bias gradients): the stock kernel transposes the whole input
 *   first; ours reads it once (sum_rows).
 * - BatchMatMul with a transposed operand (dense-layer gradients): the stock kernel takes a
 *   slow path for transposes; we transpose the operand (cheap) and take its fast one.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

type KernelArgs = Parameters<KernelFunc>[0];

function stock(name: string): KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel`);
  return config;
}

/** A config that keeps the stock kernel's setup and falls back to its function. */
function override(name: string, fast: (args: KernelArgs, fallback: KernelFunc) => TensorInfo | TensorInfo[]): () => KernelConfig {
  return () => {
    const base = stock(name);
    return { ...base, kernelFunc: ((args: KernelArgs) => fast(args, base.kernelFunc)) as KernelFunc };
  };
}

export const sumOverride = override(tf.Sum, (args, fallback) => {
  const backend = args.backend as unknown as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return fallback(args);
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const kept = x.shape.slice(axes.length);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  kernelsFor(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, tf.util.sizeFromShape(kept));
  return out;
});

export const batchMatMulOverride = override(tf.BatchMatMul, (args, fallback) => {
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (!transposeA && !transposeB) return fallback(args);
  const backend = args.backend as unknown as { disposeData(dataId: object): void };
  const transpose = stock(tf.Transpose).kernelFunc;
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
    return fallback({ ...args, inputs: { a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
  }
});

export const conv2dOverride = override(tf.Conv2D, (args, fallback) => {
  const backend = args.backend as unknown as WasmBackendLike & { disposeData(dataId: object): void };
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || format !== 'channelsLast') return fallback(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
  const out = backend.makeOutput(info.outShape, 'float32');
  const done = kernelsFor(backend).conv2d_forward(
    ptr(backend, x), ptr(backend, filter), ptr(backend, out), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight,
    info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left);
  if (done) return out;
  backend.disposeData(out.dataId);
  return fallback(args);
});
