/**
 * The forward convolution on the native kernels (native.ts), for the three kernels that take
 * it: Conv2D (kernels/Conv2D.ts), FusedConv2D (kernels/FusedConv2D.ts) and a relu conv layer's one
 * kernel (conv-bias-relu.ts): float32 NHWC, an optional bias of one value per output channel
 * and an optional relu, applied as each output is stored.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { convDims } from './conv2d-backprop.js';
import { nativeConvKernels } from './native.js';
import { threadPlan } from './threads.js';
import { dimsArgs } from './split.js';
import { heapF32, ptr, type WasmBackendLike } from './wasm-module.js';

/** relu?(conv(x, filter) + bias?) for the geometry `info` on the native kernels, or null when they are off or not loaded. */
export function nativeConvForward(
  backend: WasmBackendLike, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, info: tf.backend_util.Conv2DInfo, relu: boolean,
): TensorInfo | null {
  const d = convDims(info);
  const native = nativeConvKernels(d);
  if (!native) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  native.conv2dForward(heapF32(backend), ptr(backend, x) / 4, ptr(backend, filter) / 4, bias ? ptr(backend, bias) / 4 : -1, ptr(backend, out) / 4,
    ...dimsArgs(d), relu ? 1 : 0, threadPlan().native);
  return out;
}
