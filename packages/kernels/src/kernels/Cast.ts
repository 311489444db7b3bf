/**
 * Cast to the dtype a tensor already has, on wasm, without a copy. tf.moments casts its input
 * to float32 (a BatchNormalization layer's every step does, twice with the gradient); the stock
 * kernel copies the whole activation each time. Sharing the data is safe for the reason
 * Identity.ts gives: no kernel writes into an existing tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { overrideStock } from '../override.js';

/** Cast on wasm: same dtype shares the data (one more reference), else the stock kernel. */
export const castOverride = overrideStock(tf.Cast, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (x.dtype !== dtype || dtype === 'string') return fallback(args);
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
});
