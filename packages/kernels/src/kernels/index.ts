/**
 * The stock wasm kernels we replace, one module each, named after the TF.js kernel (as
 * tfjs-backend-wasm names its own: kernels/BatchMatMul.ts, kernels/_FusedMatMul.ts, ...).
 * Each replacement keeps the stock kernel as its fallback for the cases it does not take
 * (override.ts) and asks the dispatch policy (dispatch.ts) which engine runs the rest.
 * register.ts registers this list, the one place that does.
 */
import type { KernelConfig } from '@tensorflow/tfjs';
import { addOverride } from './Add.js';
import { batchMatMulOverride } from './BatchMatMul.js';
import { castOverride } from './Cast.js';
import { conv2dOverride } from './Conv2D.js';
import { fusedBatchNormOverride } from './FusedBatchNorm.js';
import { fusedConv2dOverride } from './FusedConv2D.js';
import { fusedMatMulOverride } from './_FusedMatMul.js';
import { identityOverride } from './Identity.js';
import { meanOverride } from './Mean.js';
import { reluOverride } from './Relu.js';
import { sumOverride } from './Sum.js';

/** Builders of every stock-kernel replacement; each reads the stock config, so they run before any is replaced. */
export const STOCK_OVERRIDES: readonly (() => KernelConfig)[] = [
  addOverride,
  batchMatMulOverride,
  castOverride,
  conv2dOverride,
  fusedBatchNormOverride,
  fusedConv2dOverride,
  fusedMatMulOverride,
  identityOverride,
  meanOverride,
  reluOverride,
  sumOverride,
];
