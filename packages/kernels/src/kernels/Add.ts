/**
 * Add on wasm when one operand repeats along the other's leading axes: the bias add of every
 * conv and dense layer under training (bias-add.ts says why the stock kernel is slow there),
 * on the engine the dispatch policy's `memoryBoundRoute` (dispatch.ts) names. Every other Add
 * (same shapes, other broadcasts, non-float32) goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { biasAdd, biasInner } from '../bias-add.js';
import { overrideStock } from '../override.js';
import type { WasmBackendLike } from '../wasm-module.js';

/** The Add override (built from the stock config when registered). */
export const addOverride = overrideStock(tf.Add, (args, fallback) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
  const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);
  // The larger operand is x, the other the bias; a + b is b + a in float32.
  const [x, bias] = size(a) >= size(b) ? [a, b] : [b, a];
  const inner = biasInner(x.shape, bias.shape);
  if (inner === 0 || size(x) === 0) return fallback(args);
  return biasAdd(args.backend as unknown as WasmBackendLike, x, bias, inner);
});
