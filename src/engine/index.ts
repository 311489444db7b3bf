export { initBackend, currentBackend, wasmBinaryDir, BACKEND_CHOICES } from './backend.js';
export type { BackendName, BackendChoice } from './backend.js';
export { registerWasmKernels, setKernelThreads, kernelThreads } from './kernels/index.js';
