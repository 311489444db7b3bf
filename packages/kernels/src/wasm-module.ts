/**
 * Loads our compiled kernels (wasm/contrastive-kernels.wasm, built from csrc/kernels.c) into
 * the TensorFlow.js wasm backend's own linear memory, so that they read and write tensors in
 * place: a tensor's pointer is its `memoryOffset` in the backend's heap.
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import { ContrastiveError } from './errors.js';
import { KERNELS_WASM_BASE64 } from './wasm-binary.js';

/** The parts of the wasm backend (`BackendWasm`) our kernels use. */
export interface WasmBackendLike {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    asm?: { memory?: WebAssembly.Memory };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The functions exported by contrastive-kernels.wasm (pointers are byte offsets). */
export interface KernelExports {
  conv2d_backprop_filter(
    x: number, dy: number, dw: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    K: number, FH: number, FW: number, sh: number, sw: number, dh: number, dw_: number, pt: number, pl: number,
  ): void;
  conv2d_backprop_input(
    dy: number, w: number, dx: number, wt: number, N: number, H: number, W: number, C: number, OH: number,
    OW: number, K: number, FH: number, FW: number, sh: number, sw: number, dh: number, dw_: number, pt: number, pl: number,
  ): void;
  max_pool_grad(
    x: number, dy: number, dx: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    sh: number, sw: number, dh: number, dw_: number, efh: number, efw: number, pt: number, pl: number,
  ): void;
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  /** out[i*inner + j] = x[i*inner + j] + b[j] for rows i. */
  add_bias(x: number, b: number, out: number, rows: number, inner: number): void;
  max_pool(
    x: number, y: number, N: number, H: number, W: number, C: number, OH: number, OW: number, sh: number, sw: number,
    dh: number, dw_: number, efh: number, efw: number, pt: number, pl: number,
  ): void;
  /** Returns 0 (and writes nothing) for filters taller than it supports. */
  conv2d_forward(
    x: number, w: number, y: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    K: number, FH: number, FW: number, sh: number, sw: number, dh: number, dw_: number, pt: number, pl: number,
  ): number;
  /**
   * Conv2D by Winograd F(2x2, 3x3) for 3x3 filters, stride 1, no dilation, C % 4 == 0 and
   * K % 8 == 0; returns 0 (and writes nothing) otherwise. scratch: conv2d_winograd_scratch(C, K) floats.
   */
  conv2d_forward_winograd(
    x: number, w: number, y: number, scratch: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    K: number, FH: number, FW: number, sh: number, sw: number, dh: number, dw_: number, pt: number, pl: number,
  ): number;
  /** Floats of scratch conv2d_forward_winograd needs for C input and K output channels. */
  conv2d_winograd_scratch(C: number, K: number): number;
  /** c = act(A b + bias) for M rows; A(i,k) = a[i*sI + k*sK]; bias 0 for none; relu 0 or 1. */
  matmul(a: number, b: number, c: number, M: number, K: number, N: number, sI: number, sK: number, bias: number, relu: number): void;
  /** ga = a, gb = b over n floats (the streaming bound of bench/loss.ts). */
  stream_copy2(a: number, b: number, ga: number, gb: number, n: number): void;
  /** out = dy * step(x) over n floats. */
  relu_grad(dy: number, x: number, out: number, n: number): void;
  /** relu_grad over rows of `cols` (<= 1024) values, and the row-order column sums of out into sums. */
  relu_grad_sums(dy: number, x: number, out: number, sums: number, rows: number, cols: number): void;
  /** One Adam step over n floats (see csrc/kernels.c). */
  adam_update(
    w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, negLr: number,
  ): void;
}

/** The committed kernel binary (wasm/contrastive-kernels.wasm), relative to this package's root. @group Kernels */
export const KERNELS_WASM_FILE = 'wasm/contrastive-kernels.wasm';

/** Bytes of shadow stack given to the module inside the backend's heap. */
const STACK_BYTES = 64 * 1024;

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, KernelExports>();

/**
 * The kernel module, compiled once from the bytes embedded in wasm-binary.ts (base64 of
 * wasm/contrastive-kernels.wasm, written by scripts/embed-wasm.mjs): the same code in a page
 * and in Node, with no file to fetch or find.
 */
function compile(): WebAssembly.Module {
  if (compiled) return compiled;
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

/** Our kernels instantiated on `backend`'s memory (once per backend instance). */
export function kernelsFor(backend: WasmBackendLike): KernelExports {
  const known = instances.get(backend);
  if (known) return known;
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new ContrastiveError('UNSUPPORTED', 'registerWasmKernels: the wasm backend does not expose its linear memory (unexpected @tensorflow/tfjs-backend-wasm version)');
  }
  const instance = new WebAssembly.Instance(compile(), { env: { memory } });
  const exports = instance.exports as unknown as KernelExports & { __stack_pointer: WebAssembly.Global };
  // The module was linked with its stack at a fixed low address; move it into a block the
  // backend's allocator owns so it never overlaps a tensor. Kept for the backend's lifetime.
  const stack = backend.wasm._malloc(STACK_BYTES);
  exports.__stack_pointer.value = (stack + STACK_BYTES) & ~15;
  instances.set(backend, exports);
  return exports;
}

/** The heap offset of a tensor's data. */
export function ptr(backend: WasmBackendLike, t: TensorInfo): number {
  const entry = backend.dataIdMap.get(t.dataId);
  if (!entry) throw new ContrastiveError('STATE', 'wasm kernels: tensor data is not on the wasm backend');
  return entry.memoryOffset;
}

/** Throws unless every tensor is float32 (what the compiled kernels read). */
export function requireFloat32(kernel: string, tensors: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${kernel} (wasm): input '${name}' has dtype ${t.dtype}, expected float32`);
    }
  }
}

/** Throws unless the layout is NHWC (the only one our kernels implement). */
export function requireChannelsLast(kernel: string, dataFormat: string): void {
  if (dataFormat !== 'channelsLast') {
    throw new ContrastiveError('UNSUPPORTED', `${kernel} (wasm): dataFormat NCHW ('${dataFormat}') is not supported, use NHWC (channelsLast)`);
  }
}

/** A float32 view of the whole backend heap (take it after any allocation: growth detaches it). */
export function heapF32(backend: WasmBackendLike): Float32Array {
  return new Float32Array((backend.wasm.asm!.memory as WebAssembly.Memory).buffer);
}
