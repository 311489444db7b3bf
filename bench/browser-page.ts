/**
 * The page side of bench/browser.ts: times one training step of the reference Siamese CNN
 * (28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3 relu -> maxpool 2 -> dense128 relu
 * -> dense64; contrastive loss, margin 1; Adam lr 1e-3; as bench/train.ts) on one backend of
 * this page at a time. The stock wasm backend must be timed before our kernels are
 * registered (registration replaces kernels of that backend for the rest of the page).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { SiameseNetwork, cnnEncoder, contrastiveLoss, makeOptimizer, useBackend } from 'contrastive';

setWasmPaths(new URL('./wasm/', import.meta.url).href);

/** What the page can time: the stock TF.js backends, and wasm with our kernels. */
export type BenchBackend = 'wasm-stock' | 'webgl' | 'cpu' | 'wasm-kernels';

/** Options of one timing. */
export interface StepOptions {
  pairs: number;
  warmup: number;
  iters: number;
}

/** A timing, or why the backend could not train. */
export interface StepTiming {
  backend: string;
  /** Milliseconds of each timed step (after the warm-up). */
  ms: number[];
  firstLoss: number;
  lastLoss: number;
  error?: string;
}

async function activate(which: BenchBackend): Promise<string> {
  if (which === 'wasm-kernels') return useBackend('wasm');
  const name = which === 'wasm-stock' ? 'wasm' : which;
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') resolved false`);
  await tf.ready();
  return name;
}

/** Times `warmup + iters` steps of a fresh reference CNN (same seeds on every backend). */
async function timeStep(which: BenchBackend, { pairs, warmup, iters }: StepOptions): Promise<StepTiming> {
  const backend = await activate(which);
  const encoder = cnnEncoder({ inputShape: [28, 28, 1], seed: 1 });
  const network = new SiameseNetwork(encoder);
  // The trainer's Adam where our kernels run (one fused pass per variable), TF.js's own elsewhere; the same arithmetic.
  const optimizer = which === 'wasm-kernels' ? makeOptimizer('adam', 1e-3) : tf.train.adam(1e-3);
  const x = tf.randomUniform([2 * pairs, 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.cast(tf.greater(tf.randomUniform([pairs], 0, 1, 'float32', 2), 0.5), 'float32');
  const ms: number[] = [];
  let firstLoss = NaN;
  let lastLoss = NaN;
  try {
    for (let i = 0; i < warmup + iters; i++) {
      const t0 = performance.now();
      const loss = optimizer.minimize(() => {
        const e = network.embed(x, { training: true });
        const [a, b] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        return contrastiveLoss(a, b, labels, { margin: 1 }) as tf.Scalar;
      }, true)!;
      lastLoss = (await loss.data())[0];
      loss.dispose();
      if (i === 0) firstLoss = lastLoss;
      if (i >= warmup) ms.push(performance.now() - t0);
    }
    if (!Number.isFinite(lastLoss)) throw new Error(`non-finite loss ${lastLoss}`);
    return { backend, ms, firstLoss, lastLoss };
  } catch (err) {
    return { backend, ms: [], firstLoss, lastLoss, error: (err as Error).message };
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    encoder.model.dispose();
  }
}

(globalThis as unknown as { browserBench: unknown }).browserBench = { timeStep, userAgent: navigator.userAgent };
document.body.dataset.ready = 'true';
