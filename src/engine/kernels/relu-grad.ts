/**
 * The relu gradient in one pass on wasm. TF.js computes it as dy * cast(step(x)): three
 * kernels and three passes over the activation (7 % of the CNN step in the profile). We
 * register a gradient for Relu that runs our kernel `relu_grad` (csrc/kernels.c, the same
 * values) on the wasm backend and TF.js's own formula on every other backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';

/** Kernel name of the fused relu gradient: inputs dy, x; output dy * step(x). */
export const RELU_GRAD_KERNEL = 'ContrastiveReluGrad';

/** The fused relu gradient on the wasm backend (float32 only: the gradient of a float relu). */
export const reluGradKernelConfig: KernelConfig = {
  kernelName: RELU_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b }: Parameters<KernelFunc>[0]) => {
    const backend = b as unknown as WasmBackendLike;
    const { dy, x } = inputs as Record<string, TensorInfo>;
    const out = backend.makeOutput(x.shape, 'float32');
    kernelsFor(backend).relu_grad(ptr(backend, dy), ptr(backend, x), ptr(backend, out), tf.util.sizeFromShape(x.shape));
    return out;
  }) as KernelFunc,
};

/** Relu's gradient: the fused kernel on wasm for float32 tensors of one shape, else TF.js's formula. */
export const reluGradConfig: GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const fused = tf.getBackend() === 'wasm' && g.dtype === 'float32' && x.dtype === 'float32' &&
      tf.util.arraysEqual(g.shape, x.shape) && tf.getKernel(RELU_GRAD_KERNEL, 'wasm') !== undefined;
    return { x: () => (fused ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x }) as tf.Tensor) : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
  },
};
