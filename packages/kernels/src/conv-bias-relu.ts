/**
 * A conv layer's conv + bias + relu as one kernel, in training too, on our native kernels.
 *
 * Under a recorded gradient TF.js runs a relu conv layer as three kernels (tf.fused.conv2d
 * does not fuse then): Conv2D, a bias Add and a Relu, two full passes over the activation
 * after the convolution. This kernel (`ContrastiveConvBiasRelu`) adds the bias and applies
 * the relu as each output is stored. Its gradient takes the relu gradient from the output
 * (y > 0 exactly where the pre-activation is, NaN where it is NaN) with our fused kernel,
 * whose kept column sums are the bias gradient, then the convolution's two gradients, each
 * computed only when asked for (a first layer's input gradient never is).
 *
 * Used by the CNN encoder's relu conv layers (models/fused-conv-layer.ts) where
 * {@link convBiasReluAvailable}: the wasm backend in Node with the native kernels loaded.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ContrastiveError } from './errors.js';
import { nativeKernels } from './native.js';
import { nativeConvForward } from './native-conv.js';
import { RELU_GRAD_KERNEL } from './relu-grad.js';
import { requireFloat32, type WasmBackendLike } from './wasm-module.js';

/** Kernel name: inputs x [N,H,W,C], filter [FH,FW,C,K], bias [K]; output relu(conv(x, filter) + bias). @group Kernels */
export const CONV_BIAS_RELU_KERNEL = 'ContrastiveConvBiasRelu';

/** The attributes of the kernel: a conv layer's strides and padding (dilation 1, NHWC). @group Kernels */
export interface ConvBiasReluAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
}

type Shape4 = [number, number, number, number];

function convInfo(xShape: number[], filterShape: number[], attrs: ConvBiasReluAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast');
}

/** The kernel on wasm: the native forward convolution with bias and relu in its store. */
export const convBiasReluKernelConfig: KernelConfig = {
  kernelName: CONV_BIAS_RELU_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b, attrs }: Parameters<KernelFunc>[0]) => {
    const backend = b as unknown as WasmBackendLike;
    const { x, filter, bias } = inputs as Record<string, TensorInfo>;
    requireFloat32(CONV_BIAS_RELU_KERNEL, { x, filter, bias });
    const out = nativeConvForward(backend, x, filter, bias, convInfo(x.shape, filter.shape, attrs as unknown as ConvBiasReluAttrs), true);
    if (!out) throw new ContrastiveError('STATE', `${CONV_BIAS_RELU_KERNEL} needs the native kernels (check convBiasReluAvailable() first)`);
    return out;
  }) as KernelFunc,
};

/** Its gradient: one relu-gradient pass (with the bias gradient's sums), then each conv gradient on demand. */
export const convBiasReluGradConfig: GradConfig = {
  kernelName: CONV_BIAS_RELU_KERNEL,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, filter, y] = saved;
    const { strides, pad } = attrs as unknown as ConvBiasReluAttrs;
    const dz = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: y }) as tf.Tensor4D;
    const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dz, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => tf.sum(dz, [0, 1, 2]),
    };
  },
};

/** Whether {@link convBiasRelu} can run now: the wasm backend with the native kernels on. @group Kernels */
export function convBiasReluAvailable(): boolean {
  return tf.getBackend() === 'wasm' && nativeKernels() !== null && tf.getKernel(CONV_BIAS_RELU_KERNEL, 'wasm') !== undefined;
}

/** relu(conv2d(x, filter, strides, pad) + bias) as one kernel (NHWC, dilation 1); see {@link convBiasReluAvailable}. @group Kernels */
export function convBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: [number, number], pad: 'valid' | 'same'): tf.Tensor4D {
  return tf.engine().runKernel(CONV_BIAS_RELU_KERNEL, { x, filter, bias }, { strides, pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
