/**
 * UnsortedSegmentSum for the wasm backend (missing there; the gradient of tf.gather needs it).
 * out[s, ...] = sum of x[i, ...] over the positions i whose segment id is s. Ids outside
 * [0, numSegments) are dropped, as TensorFlow and the cpu backend do.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ContrastiveError } from './errors.js';
import type { WasmBackendLike } from './wasm-module.js';

function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: unknown; attrs: { numSegments: number } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new ContrastiveError('INVALID_ARGUMENT', `UnsortedSegmentSum (wasm): x has dtype ${x.dtype}, expected float32 or int32`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new ContrastiveError('INVALID_ARGUMENT', `UnsortedSegmentSum (wasm): segmentIds has dtype ${segmentIds.dtype}, expected int32`);
  }
  const idRank = segmentIds.shape.length;
  if (x.shape.length < idRank || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new ContrastiveError('INVALID_ARGUMENT', `UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`);
  }
  const inner = x.shape.slice(idRank);
  const innerSize = tf.util.sizeFromShape(inner);
  const out = backend.makeOutput([numSegments, ...inner], x.dtype);
  // Views taken after makeOutput: allocating may grow the heap and detach older views.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * innerSize;
    const dst = s * innerSize;
    for (let j = 0; j < innerSize; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
