export { initBackend, ensureBackend, currentBackend, wasmBinaryDir, BACKEND_CHOICES } from './backend.js';
export type { BackendName, BackendChoice, InitBackendOptions } from './backend.js';
export { registerWasmKernels, setKernelThreads, kernelThreads, adamOptimizer, FusedAdamOptimizer } from '@contrastive/kernels';
export { threadPlan, planThreads, type ThreadPlan, type ThreadSource } from '@contrastive/kernels';
export {
  DISPATCH_THRESHOLDS, dispatchPolicy, matMulRoute, convForwardRoute, convBackpropRoute, memoryBoundRoute, onnxruntimeThreads, winogradApplies,
  type DispatchPolicy, type DispatchThreshold, type EnginesOn, type KernelEngine, type MatMulShape, type ConvShape, type ConvRoute,
} from '@contrastive/kernels';
export { setNativeMatMul, matMulEngine, type MatMulEngine } from '@contrastive/kernels';
export { setNativeKernels, convEngine, type ConvEngine, type NativeAddonState } from '@contrastive/kernels';
export { convBiasRelu, convBiasReluAvailable, CONV_BIAS_RELU_KERNEL, type ConvBiasReluAttrs } from '@contrastive/kernels';
