/**
 * The default contrastive-loss path (Euclidean distance): one pass over the
 * float32 embeddings that computes each pair's loss and the gradients for both
 * inputs at once, wired into autodiff with tf.customGrad so that it trains
 * inside `optimizer.minimize`. The gradient of a collapsed pair (D = 0) follows
 * the same steepest-descent subgradient as `pairDistances`.
 *
 * On the wasm backend the pass is compiled SIMD code running in place on the
 * backend's heap (fused-contrastive-wasm.ts, csrc/loss.c); elsewhere (cpu backend,
 * browser without our kernel binary) it is the TypeScript loop below.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../errors.js';
import { squaredDifference } from '../distances/squared-difference.js';
import type { ConventionRule } from './conventions.js';
import { FloatBuffer, readFloat32 } from './float-buffer.js';
import { runWasmLoss, wasmLossKernel } from './fused-contrastive-wasm.js';
import { reductionWeight } from './reduction.js';

// Gradients computed by a forward pass whose backward pass has not run yet: freed
// by `free` at the next call made outside any gradient computation if the tape
// dropped the node (its output was not needed).
interface PendingGradients {
  free(): void;
}

const pending = new Set<PendingGradients>();

function freeOrphans(): void {
  for (const p of pending) {
    p.free();
  }
  pending.clear();
}

/** True when TF.js records this call for a backward pass (what the engine calls isTapeOn). */
function tapeIsRecording(): boolean {
  const state = tf.engine().state;
  // Inside a customGrad forward the engine has entered one kernel level.
  return state.gradientDepth > 0 && state.kernelDepth === 1;
}

function nonFiniteRow(a: Float32Array, b: Float32Array, row: number, d: number, fn: string): ContrastiveError {
  for (const [name, v] of [['emb1', a], ['emb2', b]] as const) {
    for (let j = 0; j < d; j++) {
      const x = v[row * d + j];
      if (!Number.isFinite(x)) return new ContrastiveError('NUMERIC', `${fn}: ${name} has a non-finite value (${x}) at row ${row}, column ${j}`);
    }
  }
  return new ContrastiveError('NUMERIC', `${fn}: the distance of row ${row} is not finite`);
}

/** Loss of one pair from its squared distance: contrastivePairLoss (pair-loss.ts) without a positive margin, no sqrt for similar pairs. */
function pairLoss(sq: number, isSimilar: boolean, margin: number, scale: number): number {
  if (isSimilar) return scale * sq;
  const h = margin - Math.sqrt(sq);
  return h > 0 ? scale * h * h : 0;
}

/** Forward only (no tape): per-pair losses and their sum in result[0]; returns the first non-finite row or -1. */
function lossRows(
  a: Float32Array, b: Float32Array, similar: Uint8Array, n: number, d: number,
  margin: number, scale: number, perPair: Float32Array | null, result: Float64Array,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sq = squaredDifference(a, i * d, b, i * d, d);
    if (!(sq < Infinity)) return i;
    const loss = pairLoss(sq, similar[i] === 1, margin, scale);
    total += loss;
    if (perPair) perPair[i] = loss;
  }
  result[0] = total;
  return -1;
}

/**
 * The fused pass: per-pair losses, their sum in result[0], and the gradients of
 * the weighted loss (weight w per pair) for emb1 in `ga` (emb2's is -ga).
 * Returns the first non-finite row or -1.
 */
function lossAndGradientRows(
  a: Float32Array, b: Float32Array, similar: Uint8Array, n: number, d: number,
  margin: number, scale: number, w: number, perPair: Float32Array | null,
  ga: Float32Array, collapsed: number[], result: Float64Array,
): number {
  const invSqrtD = 1 / Math.sqrt(d);
  const d4 = d & ~3;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const off = i * d;
    const sq = squaredDifference(a, off, b, off, d);
    if (!(sq < Infinity)) return i;
    // k: the gradient of this pair's weighted loss w.r.t. emb1 is k * (a - b).
    let k = 0;
    let loss = 0;
    if (similar[i] === 1) {
      loss = scale * sq;
      k = 2 * scale * w;
    } else {
      const dist = Math.sqrt(sq);
      const h = margin - dist;
      if (h > 0) {
        loss = scale * h * h;
        if (dist > 0) {
          k = (-2 * scale * h * w) / dist;
        } else {
          // Collapsed dissimilar pair: dL/dD = -2 scale h w < 0, pushed apart along u.
          collapsed.push(i);
          const g = -2 * scale * h * w * invSqrtD;
          ga.fill(g, off, off + d);
          total += loss;
          if (perPair) perPair[i] = loss;
          continue;
        }
      }
    }
    total += loss;
    if (perPair) perPair[i] = loss;
    if (k === 0) {
      ga.fill(0, off, off + d); // a dissimilar pair beyond the margin
      continue;
    }
    // Unrolled by 4: a plain loop here runs at half the speed in V8.
    let j = off;
    for (const end4 = off + d4; j < end4; j += 4) {
      const g0 = k * (a[j] - b[j]);
      const g1 = k * (a[j + 1] - b[j + 1]);
      const g2 = k * (a[j + 2] - b[j + 2]);
      const g3 = k * (a[j + 3] - b[j + 3]);
      ga[j] = g0;
      ga[j + 1] = g1;
      ga[j + 2] = g2;
      ga[j + 3] = g3;
    }
    for (const end = off + d; j < end; j++) {
      ga[j] = k * (a[j] - b[j]);
    }
  }
  result[0] = total;
  return -1;
}

/**
 * Fused Euclidean contrastive loss. `similar[i]` is 1 for a pair pulled
 * together, 0 for one pushed past the margin (already mapped from the labels
 * through the convention). Inputs are float32 [N, d], shapes already checked.
 */
export function fusedContrastiveLoss(
  emb1: tf.Tensor2D,
  emb2: tf.Tensor2D,
  similar: Uint8Array,
  rule: ConventionRule,
  margin: number,
  reduction: 'mean' | 'sum' | 'none',
  fn: string,
): tf.Tensor {
  if (tf.engine().state.gradientDepth === 0) freeOrphans();
  const [n, d] = emb1.shape;
  const w = reductionWeight(reduction, n);
  const scale = rule.scale;

  const result = new Float64Array(1);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x1, x2] = args as [tf.Tensor2D, tf.Tensor2D];
    const withGrad = tapeIsRecording();
    const kernel = wasmLossKernel(x1, x2);
    if (kernel) {
      const r = runWasmLoss(kernel, x1, x2, similar, margin, scale, w, reduction === 'none', withGrad);
      if (r.badRow >= 0) throw nonFiniteRow(readFloat32(x1), readFloat32(x2), r.badRow, d, fn);
      const heapGrads = r.gradients;
      if (heapGrads) pending.add(heapGrads);
      const value = r.perPair ?? tf.scalar(r.total * w);
      const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
        if (!heapGrads || !pending.has(heapGrads)) {
          throw new ContrastiveError('STATE', `${fn}: backward pass without a recorded forward pass`);
        }
        pending.delete(heapGrads);
        return heapGrads.take(dy);
      };
      return { value, gradFunc };
    }
    // Allocate first: on wasm a later allocation may move the heap under our views.
    const ga = withGrad ? new FloatBuffer([n, d]) : null;
    const grads = ga ? { ga, free: () => ga.free() } : null;
    const perPair = reduction === 'none' ? new Float32Array(n) : null;
    const a = readFloat32(x1);
    const b = readFloat32(x2);
    const gaView = grads ? grads.ga.view() : null;
    // Rows with D = 0 pushed apart along u: their gradient flips to 0 if dy < 0 (see backward).
    const collapsed: number[] = [];
    const bad = gaView
      ? lossAndGradientRows(a, b, similar, n, d, margin, scale, w, perPair, gaView, collapsed, result)
      : lossRows(a, b, similar, n, d, margin, scale, perPair, result);
    if (bad >= 0) {
      grads?.ga.free();
      throw nonFiniteRow(a, b, bad, d, fn);
    }
    const total = result[0];
    if (grads) pending.add(grads);
    const value = perPair ? tf.tensor1d(perPair) : tf.scalar(total * w);

    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      if (!grads || !pending.has(grads)) {
        throw new ContrastiveError('STATE', `${fn}: backward pass without a recorded forward pass`);
      }
      pending.delete(grads);
      const dyv = dy.dataSync();
      const scalarDy = dy.size === 1;
      if (!(scalarDy && dyv[0] === 1)) {
        const gav = grads.ga.view();
        const isCollapsed = new Uint8Array(n);
        for (const i of collapsed) isCollapsed[i] = 1;
        for (let i = 0; i < n; i++) {
          const g = scalarDy ? dyv[0] : dyv[i];
          // A collapsed row only has a gradient when the total dL/dD is negative.
          const f = isCollapsed[i] && g <= 0 ? 0 : g;
          if (f === 1) continue;
          for (let o = i * d, end = o + d; o < end; o++) gav[o] *= f;
        }
      }
      const ga = grads.ga.toTensor();
      // emb2's gradient is the negation: one backend op, faster than a second JS store stream.
      return [ga, tf.neg(ga)];
    };
    return { value, gradFunc };
  });
  return op(emb1, emb2);
}
