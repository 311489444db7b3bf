/**
 * Conv2D on wasm (float32, NHWC) on the engine the dispatch policy's `convForwardRoute`
 * (dispatch.ts) names: our native kernels (native-conv.ts); Winograd F(2x2, 3x3)
 * (csrc/kernels.c) on one thread or split with the helper; our direct SIMD kernel split with
 * the helper; or the stock XNNPACK kernel (also the fallback for every other dtype and layout).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { convDims } from '../conv2d-backprop.js';
import { convForwardRoute } from '../dispatch.js';
import { enginesOn } from '../engines.js';
import { WorkerOp } from '../kernel-worker.js';
import { nativeConvForward } from '../native-conv.js';
import { overrideStock } from '../override.js';
import { copyBack, copyTail, dimsArgs, splitBatch, together } from '../split.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm-module.js';

/** The Conv2D override (built from the stock config when registered). */
export const conv2dOverride = overrideStock(tf.Conv2D, (args, fallback) => {
  const backend = args.backend as unknown as WasmBackendLike & { disposeData(dataId: object): void };
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || format !== 'channelsLast') return fallback(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
  const d = convDims(info);
  const route = convForwardRoute(d, enginesOn());
  if (route.engine === 'native') {
    const native = nativeConvForward(backend, x, filter, null, info, false);
    if (native) return native;
    return fallback(args);
  }
  if (route.engine === 'stock') return fallback(args);
  const wino = route.kernel === 'winograd';
  // The helper may not have started: Winograd then runs on this thread, the direct kernel
  // (worth it only split) leaves the call to the stock one.
  const split = route.engine === 'helper' ? splitBatch(d) : null;
  if (!split && !wino) return fallback(args);
  const out = backend.makeOutput(info.outShape, 'float32');
  const k = kernelsFor(backend);
  const [xp, fp, outp] = [ptr(backend, x), ptr(backend, filter), ptr(backend, out)];
  const scratchFloats = wino ? k.conv2d_winograd_scratch(d.C, d.K) : 0;
  const scratch = wino ? backend.wasm._malloc(4 * scratchFloats) : 0;
  type Rest = Parameters<typeof k.conv2d_forward> extends [number, number, number, ...infer R] ? R : never;
  const main = (N: number) => {
    if (wino) k.conv2d_forward_winograd(xp, fp, outp, scratch, ...(dimsArgs(d, N) as Rest));
    else k.conv2d_forward(xp, fp, outp, ...(dimsArgs(d, N) as Rest));
  };
  try {
    if (!split) {
      main(d.N);
      return out;
    }
    const { worker, N1, N2 } = split;
    const ysize = d.OH * d.OW * d.K;
    const xw = copyTail(backend, worker, xp, d.H * d.W * d.C, N1, d.N);
    const fw = copyTail(backend, worker, fp, d.FH * d.FW * d.C * d.K, 0, 1);
    const yw = worker.alloc(N2 * ysize);
    const args2 = wino ? [xw, fw, yw, worker.alloc(scratchFloats), ...dimsArgs(d, N2)] : [xw, fw, yw, ...dimsArgs(d, N2)];
    together(worker, wino ? WorkerOp.ForwardWinograd : WorkerOp.Forward, args2, () => main(N1));
    copyBack(backend, worker, yw, N2 * ysize, outp, N1 * ysize);
    return out;
  } finally {
    if (scratch) backend.wasm._free(scratch);
  }
});
