/**
 * Mean on wasm over the leading axes of a float32 tensor (batch-norm statistics, batch-norm.ts):
 * one pass (sum-rows.ts) and a division, where the stock kernel transposes the whole input
 * first. Every other Mean goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { overrideStock } from '../override.js';
import { leadingAxes, sumLeadingAxes } from '../sum-rows.js';
import type { WasmBackendLike } from '../wasm-module.js';

/** The Mean override (built from the stock config when registered). */
export const meanOverride = overrideStock(tf.Mean, (args, fallback) => {
  const backend = args.backend as unknown as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
  const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
  if (k === 0) return fallback(args);
  const out = sumLeadingAxes(backend, x, k, keepDims);
  // The stock kernel divides the float32 sum by the count; so do we (not a multiply by 1/n).
  const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  for (let j = 0; j < o.length; j++) o[j] = o[j] / rows;
  return out;
});
