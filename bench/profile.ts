/**
 * Where a training step's time goes, per op: one Siamese step (128 pairs, contrastive loss,
 * Adam) of the CNN and of the default MLP on the wasm backend, split into
 *   - forward + backward (tf.variableGrads): the time of each kernel (tf.profile), summed by
 *     kernel name, with the shapes of the costliest call;
 *   - the optimiser update (Adam's applyGradients): its kernels;
 *   - copies between the backend heap and the helper worker's memory (inside the split
 *     kernels; counted by src/engine/kernels/split.ts);
 *   - dispatch and JS: the step's wall time minus its kernels' time (TF.js bookkeeping, the
 *     tape, allocation).
 * Median of several profiled steps after warm-up. `--src DIR` profiles another checkout's
 * src/ (e.g. main's, for a before/after table); `--threads 1` turns the helper worker off;
 * `--batch-norm` profiles the cnn with batch normalisation after each convolution; `--all` lists
 * every kernel (not only those over 2 % of the step);
 * `--native 0` (or CONTRASTIVE_NATIVE_MATMUL=0) runs the matmuls on the wasm kernels instead of
 * onnxruntime's native GEMM. The header names the matmul engine that ran; after the table, each
 * matmul call of the step with its fastest and median time over the profiled steps.
 * `--native-kernels 0` (or CONTRASTIVE_NATIVE_KERNELS=0) runs the convolutions, GEMMs, relu and
 * pooling on the wasm kernels instead of our native addon.
 *
 *   node --conditions=contrastive-source --import tsx bench/profile.ts [--models cnn,mlp] [--steps 5] [--threads 2] [--native 0] [--native-kernels 0] [--batch-norm] [--all] [--src ../other-checkout]
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
const steps = Number(opt('steps', '5'));
// `--batch-norm`: the cnn with batch normalisation after each convolution (its training step).
const batchNorm = args.includes('--batch-norm');
const models = opt('models', 'cnn,mlp').split(',') as ('cnn' | 'mlp')[];
// `--src DIR`: the root of another checkout to profile (packages/ or the older src/ layout).
const srcDir = path.resolve(opt('src', THIS_CHECKOUT));
const load = <T>(rel: string): Promise<T> => checkoutModule<T>(srcDir, rel);

const { initBackend } = await load<typeof import('../packages/node/src/engine/backend.js')>('engine/backend.ts');
const { cnnEncoder, mlpEncoder, SiameseNetwork } = await load<typeof import('../packages/contrastive/src/models/index.js')>('models/index.ts');
const { contrastiveLoss } = await load<typeof import('../packages/contrastive/src/losses/index.js')>('losses/index.ts');
const kernels = await load<typeof import('../packages/kernels/src/index.js')>('engine/kernels/index.ts');
// The trainer's Adam where the checkout has the fused one, else the stock optimizer it used.
const adamOptimizer = (kernels as { adamOptimizer?: (lr: number) => tf.Optimizer }).adamOptimizer ?? ((lr: number) => tf.train.adam(lr));
// Copy counters exist only where split.ts has them (not in older checkouts).
const split = (await load<Record<string, unknown>>('engine/kernels/split.ts')) as { copyStats?: { ms: number; bytes: number } };
await initBackend('wasm');
kernels.setKernelThreads(Number(opt('threads', '2')));
// The native matmul and its counters exist only in checkouts that have them.
const native = kernels as { setNativeMatMul?: (on: boolean) => void; matMulEngine?: () => { engine: string; reason: string; threads: number } };
if (opt('native', '1') === '0') native.setNativeMatMul?.(false);
// Our native addon (convolutions, GEMMs, relu, pooling) exists only in checkouts that have it.
const addon = kernels as { setNativeKernels?: (on: boolean) => void; convEngine?: () => { engine: string; isa?: string; reason?: string } };
if (opt('native-kernels', '1') === '0') addon.setNativeKernels?.(false);
const ortStats = ((await load<Record<string, unknown>>('engine/kernels/ort-matmul.ts').catch(() => ({}))) as { nativeMatMulStats?: { calls: number } }).nativeMatMulStats;

const pairs = 128;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Phase { wallMs: number; kernels: Map<string, { ms: number; n: number; shapes: string; top: number }>; matmuls: Map<string, number> }

async function profilePhase(f: () => void): Promise<Phase> {
  const t0 = performance.now();
  const info = await tf.profile(f);
  const wallMs = performance.now() - t0;
  const kernelsByName = new Map<string, { ms: number; n: number; shapes: string; top: number }>();
  const matmuls = new Map<string, number>();
  for (const k of info.kernels) {
    // An op recorded around its own kernels (e.g. fusedMatMul__op): its time is theirs.
    if (k.name.endsWith('__op')) continue;
    const ms = Number(k.kernelTimeMs) || 0;
    const e = kernelsByName.get(k.name) ?? { ms: 0, n: 0, shapes: '', top: -1 };
    e.ms += ms;
    e.n++;
    if (ms > e.top) { e.top = ms; e.shapes = JSON.stringify(k.inputShapes); }
    kernelsByName.set(k.name, e);
    if (/MatMul/.test(k.name)) {
      const call = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      matmuls.set(call, (matmuls.get(call) ?? 0) + ms);
    }
  }
  return { wallMs, kernels: kernelsByName, matmuls };
}

for (const model of models) {
  const encoder = model === 'cnn'
    ? cnnEncoder({ inputShape: [28, 28, 1], seed: 1, batchNorm })
    : mlpEncoder({ inputShape: [784], hidden: [512, 256], embeddingDim: 64, seed: 1 });
  const network = new SiameseNetwork(encoder);
  const optimizer = adamOptimizer(1e-3);
  const x = tf.randomUniform(model === 'cnn' ? [2 * pairs, 28, 28, 1] : [2 * pairs, 784], 0, 1, 'float32', 1);
  const labels = tf.cast(tf.greater(tf.randomUniform([pairs], 0, 1, 'float32', 2), 0.5), 'float32');
  const lossFn = () => {
    const e = network.embed(x, { training: true });
    const [a, b] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    return contrastiveLoss(a, b, labels, { margin: 1 }) as tf.Scalar;
  };
  let grads: Record<string, tf.Tensor> = {};
  const backward = () => {
    const r = tf.variableGrads(lossFn);
    r.value.dispose();
    grads = r.grads;
  };
  const update = () => {
    optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
    tf.dispose(grads);
  };
  for (let i = 0; i < 3; i++) { backward(); update(); }
  const runs: { fb: Phase; opt: Phase; copyMs: number; wallMs: number }[] = [];
  if (ortStats) ortStats.calls = 0;
  for (let i = 0; i < steps; i++) {
    if (split.copyStats) split.copyStats.ms = 0;
    const t0 = performance.now();
    const fb = await profilePhase(backward);
    const copyMs = split.copyStats?.ms ?? NaN;
    const op = await profilePhase(update);
    runs.push({ fb, opt: op, copyMs, wallMs: performance.now() - t0 });
  }
  // The run whose wall time is the median stands for the step.
  const r = runs.sort((p, q) => p.wallMs - q.wallMs)[runs.length >> 1];
  const sum = (p: Phase) => [...p.kernels.values()].reduce((s, e) => s + e.ms, 0);
  const fbK = sum(r.fb);
  const optK = sum(r.opt);
  const pct = (ms: number) => `${((100 * ms) / r.wallMs).toFixed(0)}%`;
  console.log(`\n${model === 'cnn' ? (batchNorm ? 'CNN with batch norm' : 'CNN') : 'MLP 784-512-256-64'}: one step (${2 * pairs} images) ${r.wallMs.toFixed(0)} ms (median of ${steps} profiled steps; helper thread ${kernels.kernelThreads() >= 2 ? 'on' : 'off'}; src ${path.relative(process.cwd(), srcDir) || '.'})`);
  const kernelsEngine = addon.convEngine?.();
  console.log(`kernels: ${kernelsEngine ? (kernelsEngine.engine === 'native' ? `native addon (${kernelsEngine.isa})` : `wasm (${kernelsEngine.reason})`) : 'wasm (this checkout has no native addon)'}`);
  const engine = native.matMulEngine?.();
  const perStep = ortStats ? ` (${(ortStats.calls / steps).toFixed(0)} matmul calls per step on onnxruntime)` : '';
  console.log(`matmul engine: ${engine ? `${engine.engine}${engine.engine === 'onnxruntime' ? `, ${engine.threads} intra-op threads${perStep}` : ''}${engine.reason ? ` (${engine.reason})` : ''}` : 'wasm (this checkout has no native matmul)'}`);
  console.log(`| part | calls | ms | share | costliest call's input shapes |`);
  console.log(`|---|---:|---:|---:|---|`);
  const rows = [...r.fb.kernels].sort((p, q) => q[1].ms - p[1].ms);
  const shown = rows.filter(([, e]) => e.ms >= (args.includes('--all') ? 0 : 0.02) * r.wallMs);
  for (const [name, e] of shown) console.log(`| ${name} (fwd+bwd) | ${e.n} | ${e.ms.toFixed(1)} | ${pct(e.ms)} | ${e.shapes} |`);
  const rest = rows.filter((row) => !shown.includes(row));
  const restMs = rest.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`| ${rest.length} other kernels (fwd+bwd) | ${rest.reduce((s, [, e]) => s + e.n, 0)} | ${restMs.toFixed(1)} | ${pct(restMs)} | |`);
  console.log(`| optimiser update (Adam, ${[...r.opt.kernels.values()].reduce((s, e) => s + e.n, 0)} kernels) | | ${optK.toFixed(1)} | ${pct(optK)} | |`);
  console.log(`| of the kernels above: heap <-> worker copies | | ${Number.isNaN(r.copyMs) ? 'n/a' : r.copyMs.toFixed(1)} | ${Number.isNaN(r.copyMs) ? '' : pct(r.copyMs)} | |`);
  const dispatch = r.wallMs - fbK - optK;
  console.log(`| dispatch, tape and JS (wall - kernels) | | ${dispatch.toFixed(1)} | ${pct(dispatch)} | |`);
  // Each matmul of the step over all profiled steps: fastest and median (the engines' own speed).
  const calls = [...runs[0].fb.matmuls.keys()];
  const at = (xs: number[], q: number) => [...xs].sort((p, q2) => p - q2)[Math.floor(q * (xs.length - 1))];
  const perCall = calls.map((c) => runs.map((run) => run.fb.matmuls.get(c) ?? 0));
  console.log(`matmuls of one step (fwd+bwd), over the ${steps} profiled steps: fastest ${perCall.reduce((s2, xs) => s2 + at(xs, 0), 0).toFixed(1)} ms, median ${perCall.reduce((s2, xs) => s2 + at(xs, 0.5), 0).toFixed(1)} ms`);
  calls.forEach((c, i) => console.log(`  ${c}: ${at(perCall[i], 0).toFixed(2)}-${at(perCall[i], 0.5).toFixed(2)} ms`));
  tf.dispose([x, labels]);
  optimizer.dispose();
  encoder.model.dispose();
}
