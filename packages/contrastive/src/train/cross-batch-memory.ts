/**
 * Cross-batch memory (Wang et al. 2020, "Cross-Batch Memory for Embedding
 * Learning"): a FIFO queue of the most recent embeddings and their labels,
 * kept without gradient, so each step also contrasts the batch against many
 * more examples than one batch holds. The loss stays the contrastive loss: the
 * memory only adds pairs (batch row, memory row) to the mined in-batch pairs.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { pairwiseDistanceMatrix, type DistanceLike } from '../distances/index.js';
import { pairLossFromIndices, type ContrastiveLossOptions } from '../losses/index.js';
import type { PairIndices } from '../miners/index.js';

/** A ring buffer of the last `size` embeddings (rows of `dim` floats) and their class labels. @group Training */
export class CrossBatchMemory {
  /** Most embeddings held. */
  readonly size: number;
  /** Floats per embedding. */
  readonly dim: number;
  private readonly rows: Float32Array;
  private readonly labels: Int32Array;
  private filled = 0;
  private next = 0;

  /** @throws ContrastiveError for a size or dim that is not a positive integer. */
  constructor(size: number, dim: number) {
    check(Number.isInteger(size) && size >= 1, 'CrossBatchMemory', `size must be a positive integer, got ${size}`);
    check(Number.isInteger(dim) && dim >= 1, 'CrossBatchMemory', `dim must be a positive integer, got ${dim}`);
    this.size = size;
    this.dim = dim;
    this.rows = new Float32Array(size * dim);
    this.labels = new Int32Array(size);
  }

  /** Embeddings held now (at most `size`). */
  get count(): number {
    return this.filled;
  }

  /** Forgets everything (the trainer clears it each epoch, so a resumed run sees the same memory). */
  clear(): void {
    this.filled = 0;
    this.next = 0;
  }

  /** Enqueues `labels.length` rows of `embeddings`, dropping the oldest when full. */
  push(embeddings: Float32Array, labels: ArrayLike<number>): void {
    const n = labels.length;
    check(embeddings.length === n * this.dim, 'CrossBatchMemory.push', `expected ${n} rows of ${this.dim} floats (${n * this.dim}), got ${embeddings.length}`);
    for (let k = 0; k < n; k++) {
      this.rows.set(embeddings.subarray(k * this.dim, (k + 1) * this.dim), this.next * this.dim);
      this.labels[this.next] = labels[k];
      this.next = (this.next + 1) % this.size;
      if (this.filled < this.size) this.filled++;
    }
  }

  /** Copies of the held rows and labels (oldest slot order does not matter to the loss). */
  contents(): { rows: Float32Array; labels: Int32Array } {
    return { rows: this.rows.slice(0, this.filled * this.dim), labels: this.labels.slice(0, this.filled) };
  }
}

/**
 * Pairs between the batch (rows 0..B-1) and the memory (rows B..B+M-1 of the
 * concatenation [batch; memory]): every same-class (batch, memory) pair as a
 * positive, and every different-class pair closer than `negMargin` as a
 * negative (those farther cost nothing under the hinge; leaving them out keeps
 * the mean over pairs from being diluted by thousands of zero terms).
 * @group Training
 */
export function memoryPairs(
  batch: Float32Array,
  batchLabels: ArrayLike<number>,
  memory: { rows: Float32Array; labels: ArrayLike<number> },
  dim: number,
  negMargin: number,
  distance: DistanceLike = 'euclidean',
): PairIndices {
  const b = batchLabels.length;
  const m = memory.labels.length;
  const a1: number[] = [];
  const p: number[] = [];
  const a2: number[] = [];
  const n: number[] = [];
  if (m === 0) return { a1: new Int32Array(0), p: new Int32Array(0), a2: new Int32Array(0), n: new Int32Array(0) };
  const d = pairwiseDistanceMatrix(batch, memory.rows, distance, dim);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < m; j++) {
      if (batchLabels[i] === memory.labels[j]) {
        a1.push(i);
        p.push(b + j);
      } else if (d[i * m + j] < negMargin) {
        a2.push(i);
        n.push(b + j);
      }
    }
  }
  return { a1: Int32Array.from(a1), p: Int32Array.from(p), a2: Int32Array.from(a2), n: Int32Array.from(n) };
}

/**
 * The contrastive loss over the in-batch mined pairs plus the memory pairs
 * ({@link memoryPairs}), as one mean over all pairs: memory rows are constants
 * (no gradient flows into them). With an empty memory it is exactly
 * `pairLossFromIndices(embeddings, batchPairs, options)`.
 *
 * @param embeddings - [B, d] batch embeddings (differentiable).
 * @param batchLabels - the B class labels.
 * @param batchPairs - pairs mined inside the batch (indices < B).
 * @group Training
 */
export function crossBatchMemoryLoss(
  embeddings: tf.Tensor2D,
  batchLabels: ArrayLike<number>,
  batchPairs: PairIndices,
  memory: CrossBatchMemory,
  options: ContrastiveLossOptions = {},
): tf.Tensor {
  const fn = 'crossBatchMemoryLoss';
  check(embeddings.rank === 2 && embeddings.shape[1] === memory.dim, fn, `embeddings must be [B, ${memory.dim}], got [${embeddings.shape.join(', ')}]`);
  check(batchLabels.length === embeddings.shape[0], fn, `${batchLabels.length} labels for ${embeddings.shape[0]} embeddings`);
  if (memory.count === 0) return pairLossFromIndices(embeddings, batchPairs, options);
  const held = memory.contents();
  const extra = memoryPairs(embeddings.dataSync() as Float32Array, batchLabels, held, memory.dim, options.margin ?? 1, options.distance ?? 'euclidean');
  const cat = (x: Int32Array, y: Int32Array): Int32Array => {
    const out = new Int32Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const pairs: PairIndices = { a1: cat(batchPairs.a1, extra.a1), p: cat(batchPairs.p, extra.p), a2: cat(batchPairs.a2, extra.a2), n: cat(batchPairs.n, extra.n) };
  return tf.tidy(() => {
    const all = tf.concat([embeddings, tf.tensor2d(held.rows, [memory.count, memory.dim])]) as tf.Tensor2D;
    return pairLossFromIndices(all, pairs, options);
  });
}
