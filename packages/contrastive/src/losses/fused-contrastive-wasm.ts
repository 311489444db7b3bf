/**
 * The fused contrastive loss on the wasm backend: csrc/loss.c, linked into our kernel module
 * (wasm/contrastive-kernels.wasm) and run in place on the backend's heap. One SIMD pass
 * writes the per-pair losses and both gradients; nothing is copied. Used by
 * fused-contrastive.ts whenever the inputs live on the wasm backend; the TypeScript loop there
 * stays the path for every other backend.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsFor, type KernelExports, type WasmBackendLike } from '@contrastive/kernels/internal/wasm-module.js';

/** The loss functions csrc/loss.c adds to the kernel module (pointers are heap byte offsets). */
interface LossKernelExports {
  /** Returns the first non-finite row or -1; out[0] = sum of losses, out[1] = collapsed rows. */
  contrastive_loss_fused(
    a: number, b: number, flags: number, n: number, d: number, margin: number, scale: number, w: number,
    perPair: number, ga: number, gb: number, out: number,
  ): number;
  contrastive_scale_rows(ga: number, gb: number, flags: number, dy: number, dyStride: number, n: number, d: number): void;
}

/** The gradients of one forward pass, held in the heap until the backward pass takes them. */
export class WasmLossGradients {
  constructor(
    private readonly backend: WasmBackendLike & { disposeData(dataId: object, force?: boolean): boolean },
    private readonly kernels: LossKernelExports,
    private ga: tf.TensorInfo | null,
    private gb: tf.TensorInfo | null,
    /** Row flags after the pass (bit 1: collapsed, see csrc/loss.c), kept only when some row collapsed. */
    private readonly collapsedFlags: Uint8Array | null,
    private readonly n: number,
    private readonly d: number,
  ) {}

  /**
   * The gradients for upstream gradient `dy` (a scalar or [N]), as tensors owning the memory.
   * A collapsed dissimilar row keeps its push only for a positive upstream gradient.
   */
  take(dy: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const { ga, gb } = this;
    if (!ga || !gb) throw new Error('WasmLossGradients: taken twice');
    this.ga = null;
    this.gb = null;
    const dyv = dy.dataSync();
    const scalarDy = dy.size === 1;
    if (!(scalarDy && dyv[0] === 1)) {
      const { backend, n, d } = this;
      const dyPtr = backend.wasm._malloc(4 * Math.max(1, dyv.length));
      const flagsPtr = backend.wasm._malloc(Math.max(1, n));
      try {
        const buffer = memoryOf(backend).buffer;
        new Float32Array(buffer, dyPtr, dyv.length).set(dyv);
        const flags = new Uint8Array(buffer, flagsPtr, n);
        if (this.collapsedFlags) flags.set(this.collapsedFlags);
        else flags.fill(0);
        this.kernels.contrastive_scale_rows(heapOffset(backend, ga), heapOffset(backend, gb), flagsPtr, dyPtr, scalarDy ? 0 : 1, n, d);
      } finally {
        backend.wasm._free(dyPtr);
        backend.wasm._free(flagsPtr);
      }
    }
    const engine = tf.engine();
    return [engine.makeTensorFromTensorInfo(ga), engine.makeTensorFromTensorInfo(gb)];
  }

  /** Releases the memory without making tensors (a forward pass whose backward never ran). */
  free(): void {
    for (const info of [this.ga, this.gb]) if (info) this.backend.disposeData(info.dataId, true);
    this.ga = null;
    this.gb = null;
  }
}

/** What one fused pass on the heap produced. */
export interface WasmLossResult {
  /** Sum of the per-pair losses (unweighted). */
  total: number;
  /** The [N] per-pair losses as a tensor, when asked for. */
  perPair: tf.Tensor | null;
  /** The gradients of the weighted loss, when asked for. */
  gradients: WasmLossGradients | null;
  /** The first row with a non-finite distance, or -1 (then nothing else is returned). */
  badRow: number;
}

type Backend = WasmBackendLike & { disposeData(dataId: object, force?: boolean): boolean };

function memoryOf(backend: WasmBackendLike): WebAssembly.Memory {
  return backend.wasm.asm!.memory as WebAssembly.Memory;
}

function heapOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/**
 * The heap kernel for these inputs, or null when it does not apply: another backend, inputs
 * whose data is not (yet) on the wasm heap, or a kernel binary without the loss.
 */
export function wasmLossKernel(x1: tf.Tensor, x2: tf.Tensor): { backend: Backend; kernels: LossKernelExports } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<Backend>;
  if (typeof backend.makeOutput !== 'function' || typeof backend.disposeData !== 'function' || !backend.dataIdMap || !backend.wasm) return null;
  const b = backend as Backend;
  if (!b.dataIdMap.get(x1.dataId) || !b.dataIdMap.get(x2.dataId)) return null;
  let kernels: KernelExports & Partial<LossKernelExports>;
  try {
    kernels = kernelsFor(b);
  } catch {
    return null; // no readable binary (e.g. a bundle without wasm/): the TypeScript pass runs
  }
  if (typeof kernels.contrastive_loss_fused !== 'function' || typeof kernels.contrastive_scale_rows !== 'function') return null;
  return { backend: b, kernels: kernels as LossKernelExports };
}

/**
 * Runs the fused pass on the heap. `similar[i]` is 1 for a pair pulled together; `w` the
 * weight of each pair's loss in the reduced value (the gradients are those of sum_i w L_i).
 */
export function runWasmLoss(
  kernel: { backend: Backend; kernels: LossKernelExports },
  x1: tf.Tensor2D, x2: tf.Tensor2D, similar: Uint8Array,
  margin: number, scale: number, w: number, wantPerPair: boolean, wantGradients: boolean,
): WasmLossResult {
  const { backend, kernels } = kernel;
  const [n, d] = x1.shape;
  const outputs: tf.TensorInfo[] = [];
  const output = (shape: number[]) => {
    const info = backend.makeOutput(shape, 'float32');
    outputs.push(info);
    return info;
  };
  const ga = wantGradients ? output([n, d]) : null;
  const gb = wantGradients ? output([n, d]) : null;
  const perPair = wantPerPair ? output([n]) : null;
  const flagsPtr = backend.wasm._malloc(Math.max(1, n));
  const outPtr = backend.wasm._malloc(16);
  let release = true;
  try {
    new Uint8Array(memoryOf(backend).buffer, flagsPtr, n).set(similar);
    const bad = kernels.contrastive_loss_fused(
      heapOffset(backend, x1), heapOffset(backend, x2), flagsPtr, n, d, margin, scale, w,
      perPair ? heapOffset(backend, perPair) : 0, ga ? heapOffset(backend, ga) : 0, gb ? heapOffset(backend, gb) : 0, outPtr);
    const buffer = memoryOf(backend).buffer;
    const [total, collapsed] = new Float64Array(buffer, outPtr, 2);
    if (bad >= 0) return { total, perPair: null, gradients: null, badRow: bad };
    const flags = collapsed > 0 ? new Uint8Array(buffer, flagsPtr, n).slice() : null;
    release = false;
    return {
      total,
      perPair: perPair ? tf.engine().makeTensorFromTensorInfo(perPair) : null,
      gradients: ga && gb ? new WasmLossGradients(backend, kernels, ga, gb, flags, n, d) : null,
      badRow: -1,
    };
  } finally {
    backend.wasm._free(flagsPtr);
    backend.wasm._free(outPtr);
    if (release) for (const info of outputs) backend.disposeData(info.dataId, true);
  }
}
