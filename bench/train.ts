/**
 * Training throughput of the reference Siamese CNN: 128 pairs (256 images) per
 * step, encoder 28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3 relu ->
 * maxpool 2 -> flatten -> dense128 relu -> dense64, contrastive loss (margin 1,
 * 0 = similar), Adam lr 1e-3. The project (SiameseNetwork + contrastiveLoss on
 * TF.js wasm with the project's kernels) beside PyTorch CPU with 2 threads on
 * the same architecture, batch and optimizer, in the same run. Warm-up
 * excluded, median of the timed steps. Ends with one JSON line.
 *
 *   npm run bench:train [-- --iters 10 --backend wasm]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../src/engine/backend.js';
import { cnnEncoder, SiameseNetwork } from '../src/models/index.js';
import { contrastiveLoss } from '../src/losses/index.js';
import { median, printTable, runTorchReference } from './lib/torch-reference.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const pairs = Number(opt('pairs', '128'));
const iters = Number(opt('iters', '10'));
const warmup = Number(opt('warmup', '3'));
const backend = await initBackend(opt('backend', 'wasm') as BackendName);
const threads = 2;

const network = new SiameseNetwork(cnnEncoder({ inputShape: [28, 28, 1], seed: 1 }));
const optimizer = tf.train.adam(1e-3);
const x = tf.randomUniform([2 * pairs, 28, 28, 1], 0, 1, 'float32', 1);
const labels = tf.cast(tf.greater(tf.randomUniform([pairs], 0, 1, 'float32', 2), 0.5), 'float32');

async function step(): Promise<number> {
  const loss = optimizer.minimize(() => {
    const e = network.embed(x, { training: true });
    const [a, b] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    return contrastiveLoss(a, b, labels, { margin: 1 }) as tf.Scalar;
  }, true)!;
  const v = (await loss.data())[0];
  loss.dispose();
  return v;
}

const ms: number[] = [];
let firstLoss = NaN;
let lastLoss = NaN;
try {
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = performance.now();
    lastLoss = await step();
    if (i === 0) firstLoss = lastLoss;
    if (i >= warmup) ms.push(performance.now() - t0);
  }
} catch (err) {
  console.error(`train: the ${backend} backend cannot run the training step: ${(err as Error).message}`);
  console.log(JSON.stringify({ bench: 'train', project: null, reference: null, unit: 'images/s', ratio: null, error: (err as Error).message }));
  process.exit(1);
}
if (!Number.isFinite(lastLoss)) throw new Error(`train: non-finite loss ${lastLoss}`);

const ref = runTorchReference('train', { pairs, warmup, iters, threads });
const images = 2 * pairs;
const project = (images * 1000) / median(ms);
const torch = ref.result?.imagesPerSecond ?? null;
console.log(`train: Siamese CNN step, ${pairs} pairs (${images} images), contrastive loss, Adam; median of ${iters} (warm-up ${warmup}); loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}`);
printTable(
  ['path', 'images/s', 'median ms/step', 'vs PyTorch'],
  [
    [`TF.js ${backend} (project kernels)`, project.toFixed(0), median(ms).toFixed(1), torch ? (project / torch).toFixed(2) + 'x' : '-'],
    [`PyTorch CPU (${threads} threads)`, torch ? torch.toFixed(0) : 'n/a', torch ? median(ref.result!.timesMs).toFixed(1) : '-', torch ? '1.00x' : '-'],
  ],
);
console.log(`reference: ${ref.note}`);
console.log(JSON.stringify({ bench: 'train', project: Math.round(project), reference: torch === null ? null : Math.round(torch), unit: 'images/s', ratio: torch === null ? null : Number((project / torch).toFixed(2)) }));
