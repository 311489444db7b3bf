/**
 * Conv2DBackpropFilter (missing from the stock wasm backend) and Conv2DBackpropInput
 * (replacing its naive loop), both on our SIMD kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, requireChannelsLast, requireFloat32, type WasmBackendLike } from './wasm-module.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Round = 'floor' | 'round' | 'ceil' | undefined;

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Round;
  filterShape: [number, number, number, number];
}

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: BackpropFilterAttrs }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  requireFloat32('Conv2DBackpropFilter', { x, dy });
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  requireChannelsLast('Conv2DBackpropFilter', format);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format);
  const out = backend.makeOutput(filterShape, 'float32');
  kernelsFor(backend).conv2d_backprop_filter(
    ptr(backend, x), ptr(backend, dy), ptr(backend, out), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight,
    info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left);
  return out;
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Round;
  inputShape: [number, number, number, number];
}

function conv2dBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: BackpropInputAttrs }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
  requireFloat32('Conv2DBackpropInput', { dy, filter });
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  requireChannelsLast('Conv2DBackpropInput', format);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
  const out = backend.makeOutput(inputShape, 'float32');
  const scratch = backend.wasm._malloc(4 * Math.max(1, tf.util.sizeFromShape(filter.shape)));
  try {
    kernelsFor(backend).conv2d_backprop_input(
      ptr(backend, dy), ptr(backend, filter), ptr(backend, out), scratch, info.batchSize, info.inHeight, info.inWidth,
      info.inChannels, info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left);
  } finally {
    backend.wasm._free(scratch);
  }
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
};
