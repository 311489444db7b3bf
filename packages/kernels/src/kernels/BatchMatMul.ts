/**
 * BatchMatMul on wasm (the dense layers' gradients, any tf.matMul): on the engines of the
 * dispatch policy's `matMulRoute` (dispatch.ts), run by matmul.ts; the stock kernel last,
 * with a transposed operand transposed first (its fast path).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { runMatMul } from '../matmul.js';
import { overrideStock } from '../override.js';

/** The BatchMatMul override (built from the stock config when registered). */
export const batchMatMulOverride = overrideStock(tf.BatchMatMul, (args, fallback) => {
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  return runMatMul(args, { a, b, transposeA, transposeB, bias: null, activation: 'linear', preluWeights: null }, fallback);
});
