/**
 * Times the training step of the reference Siamese CNN on the chosen backend (default wasm):
 * 28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3 relu -> maxpool 2 -> flatten ->
 * dense128 relu -> dense64; 128 pairs (256 images) per step; contrastive loss; Adam.
 * Prints images/s, and with --profile the time per kernel over one step.
 *   node --conditions=contrastive-source --import tsx scripts/bench-train-step.ts [--steps 20] [--profile] [--backend wasm]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../packages/node/src/engine/backend.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const steps = Number(opt('--steps', '20'));
const backend = await initBackend(opt('--backend', 'wasm') as BackendName);
const pairs = 128;

const encoder = tf.sequential({ layers: [
  tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 128, activation: 'relu' }),
  tf.layers.dense({ units: 64 }),
] });
const optimizer = tf.train.adam(1e-3);
const x = tf.randomUniform([2 * pairs, 28, 28, 1], 0, 1, 'float32', 1);
const y = tf.cast(tf.greater(tf.randomUniform([pairs], 0, 1, 'float32', 2), 0.5), 'float32');

function step(): void {
  tf.tidy(() => {
    optimizer.minimize(() => {
      const e = encoder.apply(x, { training: true }) as tf.Tensor2D;
      const [a, b] = tf.split(e, 2, 0);
      const d2 = tf.sum(tf.square(tf.sub(a, b)), 1);
      const d = tf.sqrt(tf.add(d2, 1e-9));
      const dissim = tf.square(tf.relu(tf.sub(1, d)));
      return tf.mean(tf.mul(0.5, tf.add(tf.mul(tf.sub(1, y), d2), tf.mul(y, dissim)))) as tf.Scalar;
    });
  });
}

for (let i = 0; i < 3; i++) step(); // warm-up: weights, Adam slots, kernel set-up
if (args.includes('--profile')) {
  const info = await tf.profile(() => step());
  const byName = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs) || 0;
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const e = byName.get(key) ?? { ms: 0, n: 0 };
    e.ms += ms; e.n++; total += ms;
    byName.set(key, e);
  }
  for (const [k, v] of [...byName].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) console.log(`${v.ms.toFixed(1).padStart(8)} ms  x${v.n}  ${k}`);
  console.log(`${total.toFixed(1).padStart(8)} ms  total kernel time`);
}
// Per-step times: the median resists other processes sharing the 2 cores, the mean does not.
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((p, q) => p - q);
const median = times[Math.floor(times.length / 2)];
const mean = times.reduce((p, q) => p + q, 0) / times.length;
const ips = (ms: number) => ((2 * pairs * 1000) / ms).toFixed(0);
console.log(`${backend}: median ${ips(median)} images/s (${median.toFixed(1)} ms/step), mean ${ips(mean)}, best ${ips(times[0])}; ${steps} steps`);
