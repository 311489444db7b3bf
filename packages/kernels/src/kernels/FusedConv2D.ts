/**
 * FusedConv2D on wasm. A float32 NHWC conv with a bias of one value per output channel (or
 * none) and a linear or relu activation runs on our native kernels (native-conv.ts) where the
 * dispatch policy's `convForwardRoute` (dispatch.ts) says so, bias and relu applied as each
 * output is stored. Otherwise a bias-free linear one goes through the Conv2D kernel we
 * register (Conv2D.ts: the same route's wasm kernels):
 * a conv layer with a linear activation (the one before a BatchNormalization) always takes
 * tf.fused.conv2d, even while recording gradients, so the stock FusedConv2D kernel ran where a
 * plain conv layer gets ours. Everything else takes the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { convDims } from '../conv2d-backprop.js';
import { convForwardRoute } from '../dispatch.js';
import { enginesOn } from '../engines.js';
import { overrideStock } from '../override.js';
import { nativeConvForward } from '../native-conv.js';
import type { WasmBackendLike } from '../wasm-module.js';

/** FusedConv2D on wasm: native where it applies, bias-free and linear to the registered Conv2D, else the stock kernel. */
export const fusedConv2dOverride = overrideStock(tf.FusedConv2D, (args, fallback) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = args.attrs as unknown as tf.FusedConv2DAttrs;
  const linear = activation == null || activation === 'linear';
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const perChannelBias = bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
  if ((linear || activation === 'relu') && preluActivationWeights == null && perChannelBias && format === 'channelsLast' &&
    x!.dtype === 'float32' && filter!.dtype === 'float32') {
    const info = tf.backend_util.computeConv2DInfo(
      x!.shape as [number, number, number, number], filter!.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
    const out = convForwardRoute(convDims(info), enginesOn()).engine === 'native'
      ? nativeConvForward(args.backend as unknown as WasmBackendLike, x!, filter!, bias ?? null, info, activation === 'relu') : null;
    if (out) return out;
  }
  const plain = bias == null && preluActivationWeights == null && linear;
  // Looked up per call: the Conv2D registered now (ours once registerWasmKernels has run).
  const conv = plain ? tf.getKernel(tf.Conv2D, 'wasm') : undefined;
  if (!conv) return fallback(args);
  return conv.kernelFunc({ ...args, inputs: { x: x!, filter: filter! }, attrs: { strides, pad, dataFormat, dilations, dimRoundingMode } as unknown as tf.NamedAttrMap });
});
