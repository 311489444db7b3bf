/**
 * The compiled fused contrastive loss (csrc/loss.c) on the wasm backend: that it is the path
 * taken, loop tails, upstream gradients, collapsed pairs, the float32-overflow path, errors and
 * memory, each against a float64 reference and against the TypeScript pass on the cpu backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss } from '../../packages/contrastive/src/losses/index.js';
import { wasmLossKernel } from '../../packages/contrastive/src/losses/fused-contrastive-wasm.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { randomRows, refContrastive, sum } from './reference.js';

type Reduction = 'mean' | 'sum' | 'none';

/**
 * Float64 gradients w.r.t. emb1 of sum_i u_i L_i, where u_i is the upstream gradient times the
 * reduction weight (Hadsell, margin m); emb2's gradient is the negation. At D = 0 a dissimilar
 * pair inside the margin is pushed along u = 1/sqrt(d) while u_i > 0, else its gradient is 0.
 */
function refGradient(e1: number[][], e2: number[][], y: number[], m: number, u: number[]): number[] {
  const out: number[] = [];
  e1.forEach((a, i) => {
    const diff = a.map((v, j) => v - e2[i][j]);
    const D = Math.sqrt(sum(diff.map((t) => t * t)));
    const d = a.length;
    if (y[i] === 0) out.push(...diff.map((t) => u[i] * t));
    else if (D >= m) out.push(...diff.map(() => 0));
    else if (D === 0) out.push(...diff.map(() => (u[i] > 0 ? (-(m - D) * u[i]) / Math.sqrt(d) : 0)));
    else out.push(...diff.map((t) => (-(m - D) * u[i] * t) / D));
  });
  return out;
}

function run(e1: number[][], e2: number[][], y: number[], reduction: Reduction, margin: number, dy?: tf.Tensor) {
  const f = (a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, y, { reduction, margin });
  const { value, grads } = tf.valueAndGrads(f)([tf.tensor2d(e1), tf.tensor2d(e2)], dy);
  return { value: Array.from(value.dataSync()), ga: Array.from(grads[0].dataSync()), gb: Array.from(grads[1].dataSync()) };
}

test('wasm: the compiled kernel is the path taken for tensors on the heap', async () => {
  await withBackend('wasm', () => {
    const a = tf.tensor2d([[1, 2]]);
    assert.ok(wasmLossKernel(a, a), 'kernel module exports contrastive_loss_fused');
  });
  await withBackend('cpu', () => {
    const a = tf.tensor2d([[1, 2]]);
    assert.equal(wasmLossKernel(a, a), null, 'the cpu backend keeps the TypeScript pass');
  });
});

test('wasm: values and gradients equal a float64 reference for every SIMD tail (d = 1 .. 37, 128, 131)', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(21);
    const margin = 1.1;
    for (const d of [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 24, 31, 33, 37, 128, 131]) {
      const n = 23;
      const scale = 1.6 / Math.sqrt(d); // D spread around the margin: active and inactive dissimilar pairs
      const e1 = randomRows(() => rng.next(), n, d, scale);
      const e2 = randomRows(() => rng.next(), n, d, scale);
      e2[3] = [...e1[3]]; // a collapsed dissimilar pair
      e2[4] = [...e1[4]]; // a collapsed similar pair
      const y = Array.from({ length: n }, (_, i) => (i === 3 ? 1 : i === 4 ? 0 : rng.int(2)));
      const losses = refContrastive(e1, e2, y, margin, 'hadsell', 'euclidean');
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const w = reduction === 'mean' ? 1 / n : 1;
        const r = run(e1, e2, y, reduction, margin);
        const what = `d=${d} ${reduction}`;
        assertClose(r.value, reduction === 'none' ? losses : [sum(losses) * w], 1e-5, `${what} value`);
        const g = refGradient(e1, e2, y, margin, new Array(n).fill(w));
        assertClose(r.ga, g, 1e-5, `${what} d/demb1`);
        assertClose(r.gb, g.map((v) => -v), 1e-5, `${what} d/demb2`);
      }
    }
  });
});

test('wasm: upstream gradients scale the rows; a collapsed row keeps its push only for a positive one', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(5);
    const n = 9;
    const d = 13;
    const margin = 1;
    const e1 = randomRows(() => rng.next(), n, d, 0.3);
    const e2 = randomRows(() => rng.next(), n, d, 0.3);
    for (const i of [2, 5, 6]) e2[i] = [...e1[i]];
    const y = [0, 1, 1, 0, 1, 1, 1, 0, 1];
    // Per-pair upstream gradients: negative, zero and positive, also on the collapsed rows 2, 5, 6.
    const dy = [0.5, -1.5, 2, 0, 3, -0.25, 0, 1, -2];
    const perRow = run(e1, e2, y, 'none', margin, tf.tensor1d(dy));
    const g = refGradient(e1, e2, y, margin, dy);
    assertClose(perRow.ga, g, 1e-5, 'none: d/demb1');
    assertClose(perRow.gb, g.map((v) => -v), 1e-5, 'none: d/demb2');
    for (const s of [2.5, -0.75]) {
      const r = run(e1, e2, y, 'mean', margin, tf.scalar(s));
      const gs = refGradient(e1, e2, y, margin, new Array(n).fill(s / n));
      assertClose(r.ga, gs, 1e-5, `mean, dy = ${s}: d/demb1`);
      assertClose(r.gb, gs.map((v) => -v), 1e-5, `mean, dy = ${s}: d/demb2`);
    }
  });
});

test('wasm equals the TypeScript pass on the cpu backend (N = 700, d = 130, every reduction)', async () => {
  const rng = new Rng(9);
  const n = 700;
  const d = 130;
  const e1 = randomRows(() => rng.next(), n, d, 0.1);
  const e2 = randomRows(() => rng.next(), n, d, 0.1);
  const y = Array.from({ length: n }, () => rng.int(2));
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    const dy = reduction === 'none' ? Array.from({ length: n }, () => rng.next() * 2 - 1) : undefined;
    const go = () => run(e1, e2, y, reduction, 1.2, dy ? tf.tensor1d(dy) : undefined);
    const onCpu = await withBackend('cpu', go);
    const onWasm = await withBackend('wasm', go);
    assertClose(onWasm.value, onCpu.value, 1e-5, `${reduction} value`);
    assertClose(onWasm.ga, onCpu.ga, 1e-5, `${reduction} d/demb1`);
    assertClose(onWasm.gb, onCpu.gb, 1e-5, `${reduction} d/demb2`);
  }
});

test('wasm: a row whose float32 squared distance overflows is redone in float64', async () => {
  await withBackend('wasm', () => {
    // |a - b|^2 = 4e38 > float32 max (3.4e38), yet the loss (2e38) and gradient are finite.
    const e1 = [[2e19, 0, 0], [3e19, 0, 0]];
    const e2 = [[0, 0, 0], [-3e19, 0, 0]];
    const r = run(e1, e2, [0, 1], 'none', 1, tf.tensor1d([1, 1]));
    assertClose(r.value, [2e38, 0], 1e-6, 'losses: similar 0.5 * D^2, dissimilar beyond the margin');
    assertClose(r.ga, [2e19, 0, 0, 0, 0, 0], 1e-6, 'd/demb1');
    assertClose(r.gb, [-2e19, 0, 0, 0, 0, 0], 1e-6, 'd/demb2');
  });
});

test('wasm: a non-finite input is a ContrastiveError naming its tensor, row and column', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(2);
    const e1 = randomRows(() => rng.next(), 40, 37, 1);
    const e2 = randomRows(() => rng.next(), 40, 37, 1);
    const y = new Array(40).fill(1);
    e2[27][35] = Number.NaN;
    e1[31][0] = Number.POSITIVE_INFINITY;
    const x1 = tf.tensor2d(e1);
    const x2 = tf.tensor2d(e2);
    const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = ids();
    const f = (a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, y);
    for (const call of [() => f(x1, x2), () => tf.grads(f)([x1, x2])]) {
      assert.throws(call, (err: unknown) => err instanceof ContrastiveError && /emb2 has a non-finite value \(NaN\) at row 27, column 35/.test(err.message));
    }
    assert.equal(ids(), before, 'no heap buffers left behind by the failed passes');
    tf.dispose([x1, x2]);
  });
});

test('wasm: no heap memory is left behind, also by a forward pass whose backward never runs', async () => {
  await withBackend('wasm', () => {
    const rng = new Rng(4);
    const a = tf.tensor2d(randomRows(() => rng.next(), 64, 16, 0.3));
    const b = tf.tensor2d(randomRows(() => rng.next(), 64, 16, 0.3));
    const y = Array.from({ length: 64 }, (_, i) => i % 2);
    const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const f = (p: tf.Tensor, q: tf.Tensor) => contrastiveLoss(p as tf.Tensor2D, q as tf.Tensor2D, y, { reduction: 'none' });
    tf.dispose(tf.valueAndGrads(f)([a, b]).grads); // warm-up
    const before = ids();
    for (let i = 0; i < 5; i++) {
      const { value, grads } = tf.valueAndGrads(f)([a, b]);
      tf.dispose([value, ...grads]);
      tf.dispose(tf.tidy(() => f(a, b)));
    }
    assert.equal(ids(), before, 'valueAndGrads and forward-only calls');
    // The loss is computed under the tape but the result does not depend on it: its gradients
    // are never taken, and are freed by the next call made outside a gradient computation.
    const g = tf.grad((p: tf.Tensor) => {
      f(p, b);
      return tf.sum(p);
    })(a);
    g.dispose();
    tf.dispose(tf.tidy(() => f(a, b)));
    assert.equal(ids(), before, 'orphaned gradients freed');
    tf.dispose([a, b]);
  });
});
