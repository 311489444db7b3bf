/**
 * Relu on wasm (float32): our native kernel where the dispatch policy's `memoryBoundRoute`
 * (dispatch.ts) names it, else the stock kernel (already one pass). Its gradient is
 * relu-grad.ts's.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { memoryBoundRoute } from '../dispatch.js';
import { enginesOn } from '../engines.js';
import { nativeKernels } from '../native.js';
import { overrideStock } from '../override.js';
import { threadPlan } from '../threads.js';
import { heapF32, ptr, type WasmBackendLike } from '../wasm-module.js';

/** The Relu override (built from the stock config when registered). */
export const reluOverride = overrideStock(tf.Relu, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || memoryBoundRoute(n, enginesOn()) !== 'native') return fallback(args);
  const backend = args.backend as unknown as WasmBackendLike;
  const out = backend.makeOutput(x.shape, 'float32');
  nativeKernels()!.relu(heapF32(backend), ptr(backend, x) / 4, ptr(backend, out) / 4, n, threadPlan().native);
  return out;
});
