/**
 * Embedding throughput of the reference Siamese CNN encoder, forward only,
 * batch 1024 (28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3 relu ->
 * maxpool 2 -> flatten -> dense128 relu -> dense64): TF.js on wasm, the
 * project's ONNX path (exportOnnx + OnnxEmbedder on onnxruntime-node, 2
 * threads) and PyTorch CPU with 2 threads, in the same run. Warm-up excluded,
 * median of the timed iterations. Ends with one JSON line; `project` is the
 * ONNX path, the project's fast embedding.
 *
 *   npm run bench:embed [-- --iters 10 --batch 1024]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../packages/node/src/engine/backend.js';
import { cnnEncoder } from '../packages/contrastive/src/models/index.js';
import { exportOnnx, OnnxEmbedder } from '../packages/node/src/export/index.js';
import { median, printTable, runTorchReference } from './lib/torch-reference.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const batch = opt('batch', 1024);
const iters = opt('iters', 10);
const warmup = opt('warmup', 2);
const threads = 2;

await initBackend('wasm');
const { model } = cnnEncoder({ inputShape: [28, 28, 1], seed: 1 });
const x = new Float32Array(batch * 784);
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;

async function time(fn: () => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= warmup) ms.push(performance.now() - t0);
  }
  return ms;
}

// TF.js on wasm (SIMD; single thread in Node).
const xt = tf.tensor4d(x, [batch, 28, 28, 1]);
const tfjsOut = tf.tidy(() => (model.predict(xt) as tf.Tensor).dataSync() as Float32Array);
const tfjsMs = await time(async () => {
  const y = model.predict(xt) as tf.Tensor;
  await y.data();
  y.dispose();
});
xt.dispose();

// The project's fast path: ONNX export + onnxruntime-node.
const embedder = await OnnxEmbedder.load(exportOnnx(model), { threads, batchSize: batch });
const onnxMs = await time(async () => {
  await embedder.embed(x, batch);
});
// The fast path must compute the same embeddings.
const onnxOut = await embedder.embed(x, batch);
let maxDiff = 0;
for (let i = 0; i < onnxOut.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onnxOut[i] - tfjsOut[i]));
await embedder.dispose();

const ref = runTorchReference('embed', { batch, warmup, iters, threads });

const ips = (ms: number[]) => (batch * 1000) / median(ms);
const tfjs = ips(tfjsMs);
const onnx = ips(onnxMs);
const torch = ref.result?.imagesPerSecond ?? null;
const fmt = (v: number) => v.toFixed(0);
console.log(`embed: reference CNN forward, batch ${batch}, median of ${iters} (warm-up ${warmup})`);
printTable(
  ['path', 'images/s', 'median ms', 'vs PyTorch'],
  [
    ['TF.js wasm (SIMD, 1 thread)', fmt(tfjs), median(tfjsMs).toFixed(1), torch ? (tfjs / torch).toFixed(2) + 'x' : '-'],
    [`ONNX (onnxruntime-node, ${threads} threads)`, fmt(onnx), median(onnxMs).toFixed(1), torch ? (onnx / torch).toFixed(2) + 'x' : '-'],
    [`PyTorch CPU (${threads} threads)`, torch ? fmt(torch) : 'n/a', torch ? median(ref.result!.timesMs).toFixed(1) : '-', torch ? '1.00x' : '-'],
  ],
);
console.log(`check: max |ONNX - TF.js| over the ${batch} x ${onnxOut.length / batch} embeddings = ${maxDiff.toExponential(2)}`);
console.log(`reference: ${ref.note}`);
console.log(JSON.stringify({ bench: 'embed', project: Math.round(onnx), reference: torch === null ? null : Math.round(torch), unit: 'images/s', ratio: torch === null ? null : Number((onnx / torch).toFixed(2)) }));
