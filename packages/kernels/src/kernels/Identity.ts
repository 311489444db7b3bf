/**
 * Identity on wasm (tf.clone, and the engine's copy of every tensor a gradient needs): the
 * stock kernel copies the data; this shares it, as the cpu backend and the wasm Reshape do.
 * Safe because no kernel writes into an existing tensor's memory. Strings take the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { overrideStock } from '../override.js';

/** The Identity override (built from the stock config when registered). */
export const identityOverride = overrideStock(tf.Identity, (args, fallback) => {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string') return fallback(args);
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});
