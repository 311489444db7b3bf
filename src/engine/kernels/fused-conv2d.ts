/**
 * FusedConv2D without bias or activation, on wasm, through the Conv2D kernel we register
 * (stock-overrides.ts: Winograd for 3x3, two threads). A conv layer with a linear activation
 * (the one before a BatchNormalization) always takes tf.fused.conv2d, even while recording
 * gradients, so the stock FusedConv2D kernel ran where a plain conv layer gets ours.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

/** FusedConv2D on wasm: bias-free and linear goes to the registered Conv2D, else the stock kernel. */
export function fusedConv2dOverride(): KernelConfig {
  const base = tf.getKernel(tf.FusedConv2D, 'wasm');
  if (!base) throw new Error('wasm backend has no FusedConv2D kernel');
  const kernelFunc = ((args: Parameters<KernelFunc>[0]) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = args.attrs as unknown as tf.FusedConv2DAttrs;
    const plain = bias == null && preluActivationWeights == null && (activation == null || activation === 'linear');
    // Looked up per call: the Conv2D registered now (ours once registerWasmKernels has run).
    const conv = plain ? tf.getKernel(tf.Conv2D, 'wasm') : undefined;
    if (!conv) return base.kernelFunc(args);
    return conv.kernelFunc({ ...args, inputs: { x: x!, filter: filter! }, attrs: { strides, pad, dataFormat, dilations, dimRoundingMode } as unknown as tf.NamedAttrMap });
  }) as KernelFunc;
  return { ...base, kernelFunc };
}
