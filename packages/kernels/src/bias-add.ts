/**
 * Add on wasm when one operand repeats along the other's leading axes: the bias add of every
 * conv and dense layer under training (x [N, H, W, C] + b [C]; tfjs-layers' biasAdd is a
 * broadcasting tf.add, and tf.fused.* does not fuse while a gradient is recorded). The stock
 * kernel runs its generic broadcasting path there, with index arithmetic per element, at
 * about a third of memory speed; `add_bias` (csrc/kernels.c) is one streaming SIMD pass.
 * In Node the native kernel (native.ts) does the same pass on the kernel threads.
 * Every other Add (same shapes, other broadcasts, non-float32) goes to the stock kernel.
 * The values are the stock kernel's: one float32 addition per element.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import { kernelThreads } from './kernel-worker.js';
import { nativeKernels } from './native.js';
import { overrideStock } from './override.js';

/**
 * How `big` + `small` is a bias add: `small`'s shape, leading 1s dropped, is a proper suffix
 * of `big`'s shape, and the result has `big`'s shape. Returns the length of that suffix block
 * (the bias length), or 0 when it is not a bias add.
 */
export function biasInner(big: readonly number[], small: readonly number[]): number {
  let s = 0;
  while (s < small.length && small[s] === 1) s++;
  const tail = small.slice(s);
  // A bias of rank >= big's (after the 1s) is an elementwise add; the stock kernel is fast there.
  if (small.length > big.length || tail.length >= big.length) return 0;
  const suffix = big.slice(big.length - tail.length);
  if (!tail.every((d, i) => d === suffix[i])) return 0;
  return tf.util.sizeFromShape(tail);
}

/** The stock Add's config with the bias-add case on our kernel (built before it is replaced). */
export const addOverride = overrideStock(tf.Add, (args, fallback) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
  const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);
  // The larger operand is x, the other the bias; a + b is b + a in float32.
  const [x, bias] = size(a) >= size(b) ? [a, b] : [b, a];
  const inner = biasInner(x.shape, bias.shape);
  const total = size(x);
  if (inner === 0 || total === 0) return fallback(args);
  const backend = args.backend as unknown as WasmBackendLike;
  const out = backend.makeOutput(x.shape, 'float32');
  const native = nativeKernels();
  if (native) {
    native.biasAdd(heapF32(backend), ptr(backend, x) / 4, ptr(backend, bias) / 4, ptr(backend, out) / 4, total / inner, inner, kernelThreads());
    return out;
  }
  // inner 1: the kernel treats x as one row of `total` values.
  kernelsFor(backend).add_bias(ptr(backend, x), ptr(backend, bias), ptr(backend, out), inner === 1 ? total : total / inner, inner);
  return out;
});
