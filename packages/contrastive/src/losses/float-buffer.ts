/**
 * Float32 memory that a hand-written loop fills and TF.js then owns as a
 * tensor, without a copy where the backend allows: on the wasm backend the
 * buffer is allocated in the wasm heap (the backend's own output allocator)
 * and inputs are read in place; elsewhere it is a plain Float32Array.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of the wasm backend we use (public methods of its BackendWasm class). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The active backend when it is the wasm backend with heap access, else null. */
function heapBackend(): HeapBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : null;
}

/**
 * The values of a float32 tensor for reading, without a copy where possible.
 * On wasm the view is only valid until the next allocation (the heap may
 * grow), so take it after allocating outputs. Never write into it.
 */
export function readFloat32(t: tf.Tensor): Float32Array {
  const heap = heapBackend();
  if (heap && t.dtype === 'float32') {
    const info = tf.engine().state.tensorInfo.get(t.dataId);
    if (info && info.backend === (heap as unknown)) return heap.typedArrayFromHeap(t);
  }
  return t.dataSync() as Float32Array;
}

/** A float32 buffer of a given shape, filled in JS and then handed to TF.js. */
export class FloatBuffer {
  private readonly heap: HeapBackend | null;
  private info: tf.TensorInfo | null = null;
  private array: Float32Array | null = null;

  constructor(readonly shape: number[]) {
    this.heap = heapBackend();
    if (this.heap) this.info = this.heap.makeOutput(shape, 'float32');
    else this.array = new Float32Array(shape.reduce((a, b) => a * b, 1));
  }

  /** The writable values. Take a fresh view after any other allocation (the wasm heap may grow). */
  view(): Float32Array {
    if (this.array) return this.array;
    if (this.heap && this.info) return this.heap.typedArrayFromHeap(this.info);
    throw new Error('FloatBuffer: used after toTensor() or free()');
  }

  /** A tensor owning this memory; the buffer must not be used afterwards. */
  toTensor(): tf.Tensor {
    let t: tf.Tensor;
    if (this.info) t = tf.engine().makeTensorFromTensorInfo(this.info);
    else if (this.array) t = tf.tensor(this.array, this.shape, 'float32');
    else throw new Error('FloatBuffer: used after toTensor() or free()');
    this.info = null;
    this.array = null;
    return t;
  }

  /** Releases the memory without making a tensor. */
  free(): void {
    if (this.heap && this.info) this.heap.disposeData(this.info.dataId, true);
    this.info = null;
    this.array = null;
  }
}
