/**
 * MaxPool and MaxPoolGrad on our SIMD kernels (replacing the stock wasm ones: the gradient
 * dominated training after the convolutions). Both follow the cpu backend's rule: the first
 * strictly greatest value of a window wins, NaN and padding never do.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, kernelsFor, ptr, requireFloat32, type WasmBackendLike } from './wasm-module.js';
import { memoryBoundRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { nativeKernels, type NativeKernels } from './native.js';
import { threadPlan } from './threads.js';

/** The native kernels when the policy routes there and the pooling windows tile the input (their one form), else null. */
function nativeTiled(info: tf.backend_util.Conv2DInfo): NativeKernels | null {
  const tiles = info.effectiveFilterHeight === info.strideHeight && info.effectiveFilterWidth === info.strideWidth &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 &&
    info.outHeight * info.strideHeight <= info.inHeight && info.outWidth * info.strideWidth <= info.inWidth;
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth];
  const elements = sizes.every((v) => v > 0) ? info.batchSize * info.inHeight * info.inWidth * info.inChannels : 0;
  const route = memoryBoundRoute(elements, enginesOn());
  return tiles && route === 'native' ? nativeKernels() : null;
}

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: unknown; attrs: MaxPoolGradAttrs }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, input } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  requireFloat32('MaxPoolGrad', { dy, input });
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const out = backend.makeOutput(input.shape, 'float32');
  const native = nativeTiled(info);
  if (native) {
    native.maxPoolGrad(heapF32(backend), ptr(backend, input) / 4, ptr(backend, dy) / 4, ptr(backend, out) / 4, info.batchSize, info.inHeight,
      info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, threadPlan().native);
    return out;
  }
  kernelsFor(backend).max_pool_grad(
    ptr(backend, input), ptr(backend, dy), ptr(backend, out), info.batchSize, info.inHeight, info.inWidth,
    info.inChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight,
    info.dilationWidth, info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left);
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};

function maxPool(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: MaxPoolGradAttrs }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  requireFloat32('MaxPool', { x });
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const out = backend.makeOutput(info.outShape, 'float32');
  const native = nativeTiled(info);
  if (native) {
    native.maxPool(heapF32(backend), ptr(backend, x) / 4, ptr(backend, out) / 4, info.batchSize, info.inHeight, info.inWidth,
      info.inChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, threadPlan().native);
    return out;
  }
  kernelsFor(backend).max_pool(
    ptr(backend, x), ptr(backend, out), info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight,
    info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left);
  return out;
}

export const maxPoolConfig: KernelConfig = {
  kernelName: tf.MaxPool,
  backendName: 'wasm',
  kernelFunc: maxPool as unknown as KernelFunc,
};
