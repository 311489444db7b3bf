/**
 * _FusedMatMul on wasm (the dense layers' forward pass: bias and activation): on the engines
 * of the dispatch policy's `matMulRoute` (dispatch.ts), run by matmul.ts; the stock kernel
 * last, with a transposed operand transposed first (with transposeA and an activation other
 * than relu or linear the stock kernel is otherwise wrong, test/engine/matmul.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { runMatMul } from '../matmul.js';
import type { FusedActivation } from '../ort-matmul.js';
import { overrideStock } from '../override.js';

/** The _FusedMatMul override (built from the stock config when registered). */
export const fusedMatMulOverride = overrideStock(tf._FusedMatMul, (args, fallback) => {
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  return runMatMul(args, {
    a, b, transposeA, transposeB, bias: bias ?? null, activation: (activation ?? 'linear') as FusedActivation, leakyreluAlpha,
    preluWeights: preluActivationWeights ?? null,
  }, fallback);
});
