/**
 * Adam with its per-variable update in one wasm SIMD pass (csrc/kernels.c `adam_update`)
 * instead of tf.train.adam's twelve kernels per variable (each a dispatch and a pass over
 * memory: a quarter of the default MLP's step in the profile). The pass does the same float32
 * operations in the same order, so the weights are bit for bit those of tf.train.adam; on any
 * other backend, or for a non-float32 variable, the stock update runs. In Node the same pass
 * runs on our native kernels (native.ts, csrc/native/adam.c: no fused multiply-adds, the
 * same bits) on the thread plan's threads.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, kernelsFor, ptr, type WasmBackendLike } from './wasm-module.js';
import { memoryBoundRoute } from './dispatch.js';
import { enginesOn } from './engines.js';
import { nativeKernels } from './native.js';
import { threadPlan } from './threads.js';

/** Kernel name of the fused update: inputs value, gradient, m, v; outputs new value, m, v. */
export const ADAM_UPDATE_KERNEL = 'ContrastiveAdamUpdate';

interface AdamUpdateAttrs { beta1: number; oneMinusBeta1: number; beta2: number; oneMinusBeta2: number; c1: number; c2: number; epsilon: number; negLr: number }

/** The fused update on the wasm backend (new tensors out: a variable's memory is never written in place). */
export const adamUpdateConfig: KernelConfig = {
  kernelName: ADAM_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend: b, attrs }: Parameters<KernelFunc>[0]) => {
    const backend = b as unknown as WasmBackendLike;
    const { value, gradient, m, v } = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as AdamUpdateAttrs;
    const n = tf.util.sizeFromShape(value.shape);
    const outs = [0, 1, 2].map(() => backend.makeOutput(value.shape, 'float32'));
    const native = memoryBoundRoute(n, enginesOn()) === 'native' ? nativeKernels() : null;
    if (native) {
      const at = (t: TensorInfo) => ptr(backend, t) / 4;
      native.adamUpdate(heapF32(backend), at(value), at(gradient), at(m), at(v), at(outs[0]), at(outs[1]), at(outs[2]), n,
        a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.c1, a.c2, a.epsilon, a.negLr, threadPlan().native);
      return outs;
    }
    kernelsFor(backend).adam_update(
      ptr(backend, value), ptr(backend, gradient), ptr(backend, m), ptr(backend, v), ptr(backend, outs[0]), ptr(backend, outs[1]), ptr(backend, outs[2]),
      n, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.c1, a.c2, a.epsilon, a.negLr,
    );
    return outs;
  }) as KernelFunc,
};

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** The stock optimizer's state this subclass reads (private in its typings). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/**
 * tf.train.adam with the fused update on the wasm backend: same hyper-parameters, same
 * state (getWeights / setWeights, checkpoints), same results.
 * @group Optimizers
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** Applies one Adam step to every variable: one fused kernel per variable on wasm, the stock update elsewhere. */
  override applyGradients(variableGradients: Gradients): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const gradientOf = (i: number): tf.Tensor | undefined =>
      Array.isArray(variableGradients) ? variableGradients[i].tensor : (variableGradients as Record<string, tf.Tensor>)[names[i]];
    const fused = tf.getBackend() === 'wasm' && tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm') !== undefined &&
      names.every((name, i) => tf.engine().registeredVariables[name]?.dtype === 'float32' && (gradientOf(i)?.dtype ?? 'float32') === 'float32');
    if (!fused) return super.applyGradients(variableGradients);
    const self = this as unknown as AdamState;
    tf.tidy(() => {
      // The bias corrections as the stock optimizer computes them: float32 tensors 1 - beta^t.
      const c1 = tf.sub(1, self.accBeta1).dataSync()[0];
      const c2 = tf.sub(1, self.accBeta2).dataSync()[0];
      const attrs: AdamUpdateAttrs = {
        beta1: this.beta1, oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, oneMinusBeta2: 1 - this.beta2,
        c1, c2, epsilon: this.epsilon, negLr: -this.learningRate,
      };
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = gradientOf(i);
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const [newValue, newM, newV] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { value, gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** `tf.train.adam(learningRate, beta1, beta2, epsilon)` with the fused update on wasm. @group Optimizers */
export function adamOptimizer(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
