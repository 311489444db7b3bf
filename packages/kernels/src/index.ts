/**
 * @contrastive/kernels: kernels the stock TensorFlow.js wasm backend lacks or runs slowly,
 * registered so that training works (and is fast) there, in a page and in Node. The numeric
 * kernels live in csrc/kernels.c, compiled into wasm/contrastive-kernels.wasm (embedded in
 * this package's code) and run inside the backend's own memory (see wasm-module.ts). In Node
 * a helper thread and, where `@contrastive/kernels-native` is installed, native kernels
 * take part: which engine runs a call is one dispatch policy ({@link dispatchPolicy}), and
 * how many threads each gets one thread policy ({@link threadPlan}).
 *
 * @packageDocumentation
 * @module @contrastive/kernels
 */
export { ContrastiveError, type ErrorCode } from './errors.js';
export { KERNELS_WASM_FILE } from './wasm-module.js';
export { loadOnnxRuntime, type OrtModule } from './onnx/runtime.js';
export { adamOptimizer, FusedAdamOptimizer } from './fused-adam.js';
export { setKernelThreads, kernelThreads, threadPlan, planThreads, type ThreadPlan, type ThreadSource } from './threads.js';
export {
  DISPATCH_THRESHOLDS, dispatchPolicy, matMulRoute, convForwardRoute, convBackpropRoute, memoryBoundRoute, onnxruntimeThreads, winogradApplies,
  type DispatchPolicy, type DispatchThreshold, type EnginesOn, type KernelEngine, type MatMulShape, type ConvShape, type ConvRoute,
} from './dispatch.js';
export { setNativeMatMul, matMulEngine, type MatMulEngine } from './ort-matmul.js';
export { setNativeKernels, convEngine, type ConvEngine, type NativeAddonState } from './native.js';
export { convBiasRelu, convBiasReluAvailable, CONV_BIAS_RELU_KERNEL, type ConvBiasReluAttrs } from './conv-bias-relu.js';

export { WASM_KERNEL_CONFIGS, registerWasmKernels } from './register.js';
export { useBackend } from './use-backend.js';
