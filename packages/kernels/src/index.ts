/**
 * @contrastive/kernels: kernels the stock TensorFlow.js wasm backend lacks or runs slowly,
 * registered so that training works (and is fast) there, in a page and in Node. The numeric
 * kernels live in csrc/kernels.c, compiled into wasm/contrastive-kernels.wasm (embedded in
 * this package's code) and run inside the backend's own memory (see wasm-module.ts). In Node
 * a helper thread and, where `@contrastive/kernels-native` is installed, native kernels
 * take part.
 *
 * @packageDocumentation
 * @module @contrastive/kernels
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d-backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { maxPoolConfig, maxPoolGradConfig } from './max-pool-grad.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { adamUpdateConfig } from './fused-adam.js';
import { reluGradConfig, reluGradKernelConfig, reluOverride } from './relu-grad.js';
import { batchNormGradConfig, batchNormGradKernelConfig, fusedBatchNormOverride, meanGradConfig, meanGradKernelConfig, meanOverride } from './batch-norm.js';
import { addOverride } from './bias-add.js';
import { convBiasReluGradConfig, convBiasReluKernelConfig } from './conv-bias-relu.js';
import { castOverride } from './cast-same.js';
import { fusedConv2dOverride } from './fused-conv2d.js';
import { batchMatMulOverride, conv2dOverride, fusedMatMulOverride, identityOverride, sumOverride } from './stock-overrides.js';

export { ContrastiveError, type ErrorCode } from './errors.js';
export { KERNELS_WASM_FILE } from './wasm-module.js';
export { loadOnnxRuntime, type OrtModule } from './onnx/runtime.js';
export { adamOptimizer, FusedAdamOptimizer } from './fused-adam.js';
export { setKernelThreads, kernelThreads } from './kernel-worker.js';
export { setNativeMatMul, matMulEngine, type MatMulEngine } from './ort-matmul.js';
export { setNativeKernels, convEngine, type ConvEngine, type NativeAddonState } from './native.js';
export { convBiasRelu, convBiasReluAvailable, CONV_BIAS_RELU_KERNEL, type ConvBiasReluAttrs } from './conv-bias-relu.js';

/** Every kernel we register on the 'wasm' backend (added where missing, replaced where slow). */
export const WASM_KERNEL_CONFIGS: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  adamUpdateConfig,
  reluGradKernelConfig,
  batchNormGradKernelConfig,
  meanGradKernelConfig,
  convBiasReluKernelConfig,
];

let registered = false;

/**
 * Registers our wasm kernels once (idempotent). Called by `initBackend` before the wasm
 * backend is activated; safe to call at any time.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of WASM_KERNEL_CONFIGS) {
    // Replacing a stock kernel: unregister first, registerKernel would only warn and overwrite.
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  // Built from the stock configs, which must be read before they are replaced.
  for (const config of [sumOverride(), batchMatMulOverride(), fusedMatMulOverride(), conv2dOverride(), identityOverride(), addOverride(), meanOverride(), fusedBatchNormOverride(), castOverride(), fusedConv2dOverride(), reluOverride()]) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  // Relu's gradient for every backend: our one-pass kernel on wasm, TF.js's formula elsewhere.
  tf.registerGradient(reluGradConfig);
  // Batch norm in training (batch-norm.ts): Mean's and FusedBatchNorm's gradients, likewise.
  tf.registerGradient(meanGradConfig);
  tf.registerGradient(batchNormGradConfig());
  // A relu conv layer as one kernel (conv-bias-relu.ts): its gradient.
  tf.registerGradient(convBiasReluGradConfig);
}
