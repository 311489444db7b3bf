/**
 * The dense layers' matmuls on our native kernels (native.ts), which are GEMMs when the
 * convolution is 1x1 over a 1x1 image:
 * - C = A B (+ bias, relu): the forward kernel, A's rows as pixels, B as the filter;
 * - C = A^T B (a weight gradient): the filter-gradient kernel, A's and B's rows as pixels;
 * - C = A B^T (an input gradient): the input-gradient kernel, B as the filter [N, K]
 *   (the dispatch policy asks onnxruntime first for this one, dispatch.ts says why).
 * One call through N-API each (no session, no copies), on the thread plan's native threads.
 * Which products come here is the dispatch policy's choice (dispatch.ts `matMulRoute`); the
 * forms this cannot take (a batch of matrices, both operands transposed, a bias or activation
 * with a transpose, another dtype) return null and take the route's next engine.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { nativeKernels } from './native.js';
import { threadPlan } from './threads.js';
import { heapF32, ptr, type WasmBackendLike } from './wasm-module.js';

/** The one matrix of a tensor whose leading dimensions are all 1: [rows, cols], or null. */
export function singleMatrix(t: TensorInfo): [number, number] | null {
  const r = t.shape.length;
  if (r < 2 || t.shape.slice(0, -2).some((d) => d !== 1)) return null;
  return [t.shape[r - 2], t.shape[r - 1]];
}

/** act(op(a) op(b) + bias) on the native kernels, or null when they do not take the case. */
export function nativeGemm(
  backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, bias: TensorInfo | null, relu: boolean,
): TensorInfo | null {
  const k = nativeKernels();
  const sa = singleMatrix(a);
  const sb = singleMatrix(b);
  if (!k || !sa || !sb || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== b.shape.length) return null;
  if (transposeA && transposeB) return null;
  if ((transposeA || transposeB) && (bias || relu)) return null;
  const [M, K] = transposeA ? [sa[1], sa[0]] : sa;
  const [K2, N] = transposeB ? [sb[1], sb[0]] : sb;
  if (K !== K2 || M === 0 || N === 0 || K === 0) return null;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== N || bias.shape[bias.shape.length - 1] !== N)) return null;
  const out = backend.makeOutput([...a.shape.slice(0, -2), M, N], 'float32');
  const heap = heapF32(backend);
  const [ap, bp, op] = [ptr(backend, a) / 4, ptr(backend, b) / 4, ptr(backend, out) / 4];
  const threads = threadPlan().native;
  // Conv geometry N,H,W,C,OH,OW,K,FH,FW,sh,sw,dh,dw,pt,pl of a 1x1 convolution of 1x1 images.
  const dims = (pixels: number, cin: number, cout: number) => [pixels, 1, 1, cin, 1, 1, cout, 1, 1, 1, 1, 1, 1, 0, 0];
  if (transposeA) k.conv2dBackpropFilter(heap, ap, bp, op, ...dims(K, M, N), threads);
  else if (transposeB) k.conv2dBackpropInput(heap, ap, bp, op, ...dims(M, N, K), threads);
  else k.conv2dForward(heap, ap, bp, bias ? ptr(backend, bias) / 4 : -1, op, ...dims(M, K, N), relu ? 1 : 0, threads);
  return out;
}
