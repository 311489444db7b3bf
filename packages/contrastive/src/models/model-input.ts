/**
 * From loader values to model inputs. Every loader and decodeImage give 8-bit
 * pixels divided by 255 (values in [0, 1]); a bundle's image preprocessing
 * says how raw 0..255 pixels become model inputs: (pixel * scale - mean) / std.
 */
import type { Preprocessing } from './index.js';

/**
 * Applies `preprocessing` to examples whose values are pixel / 255, row-major
 * with channels interleaved (as loaders return them). Vector and sequence
 * inputs are used as they are. Returns `x` itself when the preprocessing is
 * the identity on such values (scale 1/255, mean 0, std 1: what `runTraining` writes).
 */
export function toModelInput(x: Float32Array, preprocessing: Preprocessing): Float32Array {
  if (preprocessing.kind !== 'image') return x;
  const { channels } = preprocessing;
  const perChannel = (v: number | number[]): Float64Array =>
    Float64Array.from({ length: channels }, (_, c) => (Array.isArray(v) ? v[c] : v));
  const mean = perChannel(preprocessing.mean);
  const std = perChannel(preprocessing.std);
  const gain = 255 * preprocessing.scale;
  const identity = Math.abs(gain - 1) < 1e-9 && mean.every((m) => m === 0) && std.every((s) => s === 1);
  if (identity) return x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    out[i] = (x[i] * gain - mean[c]) / std[c];
  }
  return out;
}
