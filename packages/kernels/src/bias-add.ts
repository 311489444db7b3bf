/**
 * Add on wasm when one operand repeats along the other's leading axes: the bias add of every
 * conv and dense layer under training (x [N, H, W, C] + b [C]; tfjs-layers' biasAdd is a
 * broadcasting tf.add, and tf.fused.* does not fuse while a gradient is recorded). The stock
 * kernel runs its generic broadcasting path there, with index arithmetic per element, well
 * below memory speed; `add_bias` (csrc/kernels.c) is one streaming SIMD pass. In Node the
 * native kernel (native.ts) does the same pass on the thread plan's threads. The Add override
 * (kernels/Add.ts) sends the bias adds here and every other Add to the stock kernel.
 * The values are the stock kernel's: one float32 addition per element.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import { memoryBoundRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { nativeKernels } from './native.js';
import { threadPlan } from './threads.js';

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

/**
 * x + bias (a bias add: `inner` = the bias length, see {@link biasInner}) into a new tensor, on
 * the engine the dispatch policy's `memoryBoundRoute` names.
 */
export function biasAdd(backend: WasmBackendLike, x: TensorInfo, bias: TensorInfo, inner: number): TensorInfo {
  const total = tf.util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape, 'float32');
  if (memoryBoundRoute(total, enginesOn()) === 'native') {
    nativeKernels()!.biasAdd(heapF32(backend), ptr(backend, x) / 4, ptr(backend, bias) / 4, ptr(backend, out) / 4, total / inner, inner, threadPlan().native);
    return out;
  }
  // inner 1: the kernel treats x as one row of `total` values.
  kernelsFor(backend).add_bias(ptr(backend, x), ptr(backend, bias), ptr(backend, out), inner === 1 ? total : total / inner, inner);
  return out;
}
