/**
 * Sum on wasm over the leading axes of a float32 tensor (bias gradients): one pass
 * (sum-rows.ts) where the stock kernel transposes the whole input first, or none at all where
 * our relu gradient made the input and kept its column sums (relu-grad.ts). Every other Sum
 * goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { overrideStock } from '../override.js';
import { reluGradColumnSums } from '../relu-grad.js';
import { leadingAxes, sumLeadingAxes } from '../sum-rows.js';
import type { WasmBackendLike } from '../wasm-module.js';

/** The Sum override (built from the stock config when registered). */
export const sumOverride = overrideStock(tf.Sum, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
  if (k === 0) return fallback(args);
  // A bias gradient right after our relu gradient: that kernel already summed the columns.
  return sumLeadingAxes(args.backend as unknown as WasmBackendLike, x, k, keepDims, (cols) => reluGradColumnSums(x.dataId, cols));
});
