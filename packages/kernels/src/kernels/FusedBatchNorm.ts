/**
 * FusedBatchNorm's forward pass on wasm for channels-last float32 with per-channel statistics
 * (batch-norm.ts says why): one SIMD pass (csrc/batch-norm.c `batch_norm_apply`) where the
 * stock kernel broadcasts. Every other case goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { gainOf, perChannel, type Backend, type BatchNormExports } from '../batch-norm.js';
import { overrideStock } from '../override.js';
import { kernelsFor, ptr } from '../wasm-module.js';

/** The FusedBatchNorm override (built from the stock config when registered). */
export const fusedBatchNormOverride = overrideStock(tf.FusedBatchNorm, (args, fallback) => {
  const backend = args.backend as unknown as Backend;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  if (!x || !mean || !variance || !perChannel(x, [mean, variance, offset, scale])) return fallback(args);
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const C = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / C;
  const out = backend.makeOutput(x.shape, 'float32');
  const gain = gainOf(backend, variance, scale, varianceEpsilon, C);
  const zero = offset ? undefined : backend.makeOutput([C], 'float32');
  if (zero) (backend.typedArrayFromHeap(zero) as Float32Array).fill(0);
  const k = kernelsFor(backend) as unknown as BatchNormExports;
  k.batch_norm_apply(ptr(backend, x), ptr(backend, out), ptr(backend, mean), ptr(backend, gain), ptr(backend, offset ?? zero!), rows, C);
  backend.disposeData(gain.dataId);
  if (zero) backend.disposeData(zero.dataId);
  return out;
});
