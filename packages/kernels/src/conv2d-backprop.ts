/**
 * Conv2DBackpropFilter (missing from the stock wasm backend) and Conv2DBackpropInput
 * (replacing its naive loop): on our native kernels in Node where they loaded (native.ts),
 * else on our wasm SIMD kernels, split with the helper thread when large enough; the dispatch
 * policy's `convBackpropRoute` (dispatch.ts) decides which.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convBackpropRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { WorkerOp } from './kernel-worker.js';
import { nativeKernels } from './native.js';
import { copyBack, copyTail, dimsArgs, splitBatch, together, type ConvDims } from './split.js';
import { threadPlan } from './threads.js';
import { heapF32, kernelsFor, ptr, requireChannelsLast, requireFloat32, type WasmBackendLike } from './wasm-module.js';

/** Our kernels' geometry from TF.js's conv info. */
export function convDims(info: tf.backend_util.Conv2DInfo): ConvDims {
  return {
    N: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth,
    K: info.outChannels, FH: info.filterHeight, FW: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

type Fifteen = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Round = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

interface BackpropAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Round;
}

/** Both gradients' checks (float32, NHWC) and their conv info, from the forward input and filter shapes. */
function backpropInfo(
  kernel: string,
  inputs: Record<string, TensorInfo>,
  xShape: Shape4,
  filterShape: Shape4,
  attrs: BackpropAttrs,
): tf.backend_util.Conv2DInfo {
  requireFloat32(kernel, inputs);
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  requireChannelsLast(kernel, format);
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, format);
}

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: BackpropAttrs & { filterShape: Shape4 } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const { filterShape } = args.attrs;
  const info = backpropInfo('Conv2DBackpropFilter', { x, dy }, x.shape as Shape4, filterShape, args.attrs);
  const out = backend.makeOutput(filterShape, 'float32');
  const k = kernelsFor(backend);
  const d = convDims(info);
  const [xp, dyp, outp] = [ptr(backend, x), ptr(backend, dy), ptr(backend, out)];
  const route = convBackpropRoute(d, enginesOn());
  if (route === 'native') {
    nativeKernels()!.conv2dBackpropFilter(heapF32(backend), xp / 4, dyp / 4, outp / 4, ...dimsArgs(d), threadPlan().native);
    return out;
  }
  const split = route === 'helper' ? splitBatch(d) : null;
  if (!split) {
    k.conv2d_backprop_filter(xp, dyp, outp, ...(dimsArgs(d) as Fifteen));
    return out;
  }
  // Each thread sums its images into its own filter gradient; the two are added here.
  const { worker, N1, N2 } = split;
  const fsize = tf.util.sizeFromShape(filterShape);
  const xw = copyTail(backend, worker, xp, d.H * d.W * d.C, N1, d.N);
  const dyw = copyTail(backend, worker, dyp, d.OH * d.OW * d.K, N1, d.N);
  const dww = worker.alloc(fsize);
  together(worker, WorkerOp.BackpropFilter, [xw, dyw, dww, ...dimsArgs(d, N2)], () =>
    k.conv2d_backprop_filter(xp, dyp, outp, ...(dimsArgs(d, N1) as Fifteen)));
  const o = heapF32(backend).subarray(outp / 4, outp / 4 + fsize);
  const part = worker.view(dww, fsize);
  for (let i = 0; i < fsize; i++) o[i] += part[i];
  return out;
}

function conv2dBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: BackpropAttrs & { inputShape: Shape4 } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const { inputShape } = args.attrs;
  const info = backpropInfo('Conv2DBackpropInput', { dy, filter }, inputShape, filter.shape as Shape4, args.attrs);
  const out = backend.makeOutput(inputShape, 'float32');
  const k = kernelsFor(backend);
  const d = convDims(info);
  const [dyp, wp, outp] = [ptr(backend, dy), ptr(backend, filter), ptr(backend, out)];
  const route = convBackpropRoute(d, enginesOn());
  if (route === 'native') {
    nativeKernels()!.conv2dBackpropInput(heapF32(backend), dyp / 4, wp / 4, outp / 4, ...dimsArgs(d), threadPlan().native);
    return out;
  }
  const fsize = tf.util.sizeFromShape(filter.shape);
  const split = route === 'helper' ? splitBatch(d) : null;
  const scratch = backend.wasm._malloc(4 * Math.max(1, fsize));
  try {
    if (!split) {
      k.conv2d_backprop_input(dyp, wp, outp, scratch, ...(dimsArgs(d) as Fifteen));
      return out;
    }
    const { worker, N1, N2 } = split;
    const xsize = d.H * d.W * d.C;
    const dyw = copyTail(backend, worker, dyp, d.OH * d.OW * d.K, N1, d.N);
    const ww = copyTail(backend, worker, wp, fsize, 0, 1);
    const dxw = worker.alloc(N2 * xsize);
    const wtw = worker.alloc(fsize);
    together(worker, WorkerOp.BackpropInput, [dyw, ww, dxw, wtw, ...dimsArgs(d, N2)], () =>
      k.conv2d_backprop_input(dyp, wp, outp, scratch, ...(dimsArgs(d, N1) as Fifteen)));
    copyBack(backend, worker, dxw, N2 * xsize, outp, N1 * xsize);
    return out;
  } finally {
    backend.wasm._free(scratch);
  }
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
