/**
 * One training step of the reference Siamese CNN (128 pairs = 256 images, contrastive loss,
 * Adam) on the wasm backend, timed by wall clock and by the process's CPU time (user + system,
 * every thread). On a shared machine the CPU time moves far less with the load than the wall
 * time does, so a before/after of two checkouts, run back to back, reads best from it.
 * Median (and best) of the timed steps after 3 warm-up steps.
 *
 *   node --conditions=contrastive-source --import tsx bench/step-cpu.ts [--src ../other-checkout] [--threads 2] [--steps 12]
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkoutModule, THIS_CHECKOUT } from './lib/checkout.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// `--src DIR`: the root of another checkout to profile (packages/ or the older src/ layout).
const srcDir = path.resolve(opt('src', THIS_CHECKOUT));
const threads = Number(opt('threads', '2'));
const steps = Number(opt('steps', '12'));
const load = <T>(rel: string): Promise<T> => checkoutModule<T>(srcDir, rel);

const { initBackend } = await load<typeof import('../packages/node/src/engine/backend.js')>('engine/backend.ts');
const { cnnEncoder, SiameseNetwork } = await load<typeof import('../packages/contrastive/src/models/index.js')>('models/index.ts');
const { contrastiveLoss } = await load<typeof import('../packages/contrastive/src/losses/index.js')>('losses/index.ts');
const kernels = await load<typeof import('../packages/kernels/src/index.js')>('engine/kernels/index.ts');
const adamOptimizer = (kernels as { adamOptimizer?: (lr: number) => tf.Optimizer }).adamOptimizer ?? ((lr: number) => tf.train.adam(lr));
await initBackend('wasm');
kernels.setKernelThreads(threads);

const encoder = cnnEncoder({ inputShape: [28, 28, 1], seed: 1 });
const network = new SiameseNetwork(encoder);
const optimizer = adamOptimizer(1e-3);
const x = tf.randomUniform([256, 28, 28, 1], 0, 1, 'float32', 1);
const labels = tf.cast(tf.greater(tf.randomUniform([128], 0, 1, 'float32', 2), 0.5), 'float32');
const step = (): void => tf.tidy(() => {
  const cost = optimizer.minimize(() => {
    const e = network.embed(x, { training: true });
    const [a, b] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    return contrastiveLoss(a, b, labels, { margin: 1 }) as tf.Scalar;
  }, true);
  cost?.dataSync();
});

for (let i = 0; i < 3; i++) step();
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < steps; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  const c = process.cpuUsage(c0);
  wall.push(performance.now() - t0);
  cpu.push((c.user + c.system) / 1000);
}
const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(`CNN step (256 images), src ${path.relative(process.cwd(), srcDir) || '.'}, threads ${threads}: ` +
  `wall median ${median(wall).toFixed(0)} ms (best ${Math.min(...wall).toFixed(0)}), CPU median ${median(cpu).toFixed(0)} ms (best ${Math.min(...cpu).toFixed(0)})`);
tf.dispose([x, labels]);
optimizer.dispose();
encoder.model.dispose();
