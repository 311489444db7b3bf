export { initBackend, currentBackend, wasmBinaryDir, BACKEND_CHOICES } from './backend.js';
export type { BackendName, BackendChoice } from './backend.js';
export { registerWasmKernels } from './kernels/index.js';
