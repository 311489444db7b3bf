/**
 * Runs a batch-parallel convolution kernel on two threads: images [0, N1) on the main thread
 * in the backend's heap, images [N1, N) on the helper worker (see kernel-worker.ts). Which
 * calls are split is the dispatch policy's choice (dispatch.ts); the share each thread takes
 * is its helperMainShare.
 */
import { DISPATCH_THRESHOLDS } from './dispatch.js';
import { kernelWorker, type KernelWorker, type WorkerOp } from './kernel-worker.js';
import { heapF32, type WasmBackendLike } from './wasm-module.js';

/** The conv geometry our kernels take after their pointers. */
export interface ConvDims {
  N: number; H: number; W: number; C: number; OH: number; OW: number; K: number;
  FH: number; FW: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}

export function dimsArgs(d: ConvDims, N = d.N): number[] {
  return [N, d.H, d.W, d.C, d.OH, d.OW, d.K, d.FH, d.FW, d.sh, d.sw, d.dh, d.dw, d.pt, d.pl];
}

/**
 * The worker and the batch split of a call the dispatch policy routed to the helper, or null
 * where the helper did not start (the call then runs on the main thread alone).
 */
export function splitBatch(d: ConvDims): { worker: KernelWorker; N1: number; N2: number } | null {
  const worker = kernelWorker();
  if (!worker) return null;
  const N1 = Math.max(1, Math.round(d.N * DISPATCH_THRESHOLDS.helperMainShare.value));
  return { worker, N1, N2: d.N - N1 };
}

/** Time and bytes spent copying between the heap and the worker since last reset (bench/profile.ts reads them). */
export const copyStats = { ms: 0, bytes: 0 };

/** Copies images [from, N) of a per-image block of `per` floats at heap byte offset `ptr` into worker memory. */
export function copyTail(backend: WasmBackendLike, worker: KernelWorker, ptr: number, per: number, from: number, N: number): number {
  const floats = (N - from) * per;
  const at = worker.alloc(floats);
  const start = ptr / 4 + from * per;
  const t0 = performance.now();
  worker.view(at, floats).set(heapF32(backend).subarray(start, start + floats));
  copyStats.ms += performance.now() - t0;
  copyStats.bytes += 4 * floats;
  return at;
}

/** Copies worker floats back into the heap at byte offset `ptr` + `skip` floats. */
export function copyBack(backend: WasmBackendLike, worker: KernelWorker, at: number, floats: number, ptr: number, skip: number): void {
  const t0 = performance.now();
  heapF32(backend).set(worker.view(at, floats), ptr / 4 + skip);
  copyStats.ms += performance.now() - t0;
  copyStats.bytes += 4 * floats;
}

/** Starts `op` on the worker, runs `main` here, and always waits for the worker. */
export function together(worker: KernelWorker, op: WorkerOp, args: number[], main: () => void): void {
  worker.start(op, args);
  try {
    main();
  } finally {
    worker.finish();
  }
}
