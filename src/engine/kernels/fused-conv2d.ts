/**
 * FusedConv2D without bias or activation, on wasm, through the Conv2D kernel we register
 * (stock-overrides.ts: Winograd for 3x3, two threads). A conv layer with a linear activation
 * (the one before a BatchNormalization) always takes tf.fused.conv2d, even while recording
 * gradients, so the stock FusedConv2D kernel ran where a plain conv layer gets ours.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { overrideStock } from './override.js';

/** FusedConv2D on wasm: bias-free and linear goes to the registered Conv2D, else the stock kernel. */
export const fusedConv2dOverride = overrideStock(tf.FusedConv2D, (args, fallback) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = args.attrs as unknown as tf.FusedConv2DAttrs;
  const plain = bias == null && preluActivationWeights == null && (activation == null || activation === 'linear');
  // Looked up per call: the Conv2D registered now (ours once registerWasmKernels has run).
  const conv = plain ? tf.getKernel(tf.Conv2D, 'wasm') : undefined;
  if (!conv) return fallback(args);
  return conv.kernelFunc({ ...args, inputs: { x: x!, filter: filter! }, attrs: { strides, pad, dataFormat, dilations, dimRoundingMode } as unknown as tf.NamedAttrMap });
});
