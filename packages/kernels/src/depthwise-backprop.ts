/**
 * DepthwiseConv2dNativeBackpropFilter and ...BackpropInput for the wasm backend (missing
 * there). Plain loops over the heap: correct, not tuned (no encoder of ours uses depthwise
 * convolutions in training).
 * Filter [FH, FW, C, M]; output channel c*M + q comes from input channel c.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { requireFloat32, type WasmBackendLike } from './wasm-module.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];
interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Both gradients' check (float32) and their conv info, from the forward input and filter shapes. */
function depthwiseInfo(kernel: string, inputs: Record<string, TensorInfo>, xShape: Shape4, filterShape: Shape4, attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  requireFloat32(kernel, inputs);
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
}

/**
 * Visits every (image, output pixel, tap) whose input pixel lies inside the image, with the
 * offsets of its input pixel, its output pixel and its tap's filter slice (C * M values each
 * for output and filter).
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (xBase: number, yBase: number, wBase: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const yBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * info.strideHeight + fh * info.dilationHeight - info.padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * info.strideWidth + fw * info.dilationWidth - info.padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            visit(((n * inHeight + ih) * inWidth + iw) * inChannels, yBase, (fh * filterWidth + fw) * outChannels);
          }
        }
      }
    }
  }
}

function depthwiseBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: DepthwiseAttrs & { filterShape: Shape4 } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const { filterShape } = args.attrs;
  const info = depthwiseInfo('DepthwiseConv2dNativeBackpropFilter', { x, dy }, x.shape as Shape4, filterShape, args.attrs);
  const out = backend.makeOutput(filterShape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const ys = backend.typedArrayFromHeap(dy);
  const dw = backend.typedArrayFromHeap(out);
  dw.fill(0);
  const C = info.inChannels;
  const M = info.outChannels / C;
  forEachTap(info, (xBase, yBase, wBase) => {
    for (let c = 0; c < C; c++) {
      const xv = xs[xBase + c];
      for (let q = 0; q < M; q++) dw[wBase + c * M + q] += xv * ys[yBase + c * M + q];
    }
  });
  return out;
}

function depthwiseBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: DepthwiseAttrs & { inputShape: Shape4 } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const { inputShape } = args.attrs;
  const info = depthwiseInfo('DepthwiseConv2dNativeBackpropInput', { dy, filter }, inputShape, filter.shape as Shape4, args.attrs);
  const out = backend.makeOutput(inputShape, 'float32');
  const ys = backend.typedArrayFromHeap(dy);
  const ws = backend.typedArrayFromHeap(filter);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const C = info.inChannels;
  const M = info.outChannels / C;
  forEachTap(info, (xBase, yBase, wBase) => {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let q = 0; q < M; q++) s += ws[wBase + c * M + q] * ys[yBase + c * M + q];
      dx[xBase + c] += s;
    }
  });
  return out;
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
};
