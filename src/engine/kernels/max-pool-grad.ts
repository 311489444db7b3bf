/** MaxPoolGrad on our SIMD kernel (replaces the stock wasm one, which dominated training after convolutions). */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, requireFloat32, type WasmBackendLike } from './wasm-module.js';

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
