/**
 * Which engines are on now, for the dispatch policy's routes (dispatch.ts): the native addon
 * loaded and on, onnxruntime's GEMM turned on, a helper thread in the thread plan. Kept apart
 * from dispatch.ts so that the policy stays pure (shapes and this snapshot in, a route out).
 */
import type { EnginesOn } from './dispatch.js';
import { nativeKernels } from './native.js';
import { nativeMatMulOn } from './ort-matmul.js';
import { threadPlan } from './threads.js';

/** The engines on now (loads the native addon on first call, as its kernels would). */
export function enginesOn(): EnginesOn {
  return { native: nativeKernels() !== null, onnxruntime: nativeMatMulOn(), helper: threadPlan().helper > 0 };
}
