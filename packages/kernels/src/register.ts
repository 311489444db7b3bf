/**
 * Registering our kernels on TF.js's 'wasm' backend, the one place that does: the missing
 * ones added (the conv and pooling gradients, ...), slow stock ones replaced by faster paths
 * that keep the stock kernel as their fallback (kernels/, one module per kernel), and the
 * gradients that route through our kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { ContrastiveError } from './errors.js';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d-backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { maxPoolConfig, maxPoolGradConfig } from './max-pool-grad.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { adamUpdateConfig } from './fused-adam.js';
import { reluGradConfig, reluGradKernelConfig } from './relu-grad.js';
import { batchNormGradConfig, batchNormGradKernelConfig, meanGradConfig, meanGradKernelConfig } from './batch-norm.js';
import { convBiasReluGradConfig, convBiasReluKernelConfig } from './conv-bias-relu.js';
import { STOCK_OVERRIDES } from './kernels/index.js';

/** Every kernel we register on the 'wasm' backend (added where missing, replaced where slow). @group Kernels */
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
 * Registers our wasm kernels once (idempotent). Called by `initBackend` (Node) and
 * {@link useBackend} before the wasm backend is activated; safe to call at any time after
 * `@tensorflow/tfjs-backend-wasm` has been imported (its stock kernels, some of which ours
 * fall back to, must be registered first).
 * @group Kernels
 */
export function registerWasmKernels(): void {
  if (registered) return;
  // Checked before anything changes: half a registration could not be retried.
  if (!tf.getKernel(tf.Sum, 'wasm')) {
    throw new ContrastiveError('STATE', "registerWasmKernels: the wasm backend is not loaded; import '@tensorflow/tfjs-backend-wasm' first");
  }
  registered = true;
  for (const config of WASM_KERNEL_CONFIGS) {
    // Replacing a stock kernel: unregister first, registerKernel would only warn and overwrite.
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  // Built from the stock configs, which must be read before they are replaced.
  for (const config of STOCK_OVERRIDES.map((build) => build())) {
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
