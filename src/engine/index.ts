export { initBackend, currentBackend, wasmBinaryDir, BACKEND_CHOICES } from './backend.js';
export type { BackendName, BackendChoice } from './backend.js';
export { registerWasmKernels, setKernelThreads, kernelThreads, adamOptimizer, FusedAdamOptimizer } from './kernels/index.js';
export { setNativeMatMul, matMulEngine, type MatMulEngine } from './kernels/index.js';
export { setNativeKernels, convEngine, type ConvEngine } from './kernels/index.js';
export { convBiasRelu, convBiasReluAvailable, CONV_BIAS_RELU_KERNEL, type ConvBiasReluAttrs } from './kernels/index.js';
