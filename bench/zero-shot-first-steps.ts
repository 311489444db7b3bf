/**
 * Why the first steps of training cost held-out quality: trains the reference cnn on
 * Fashion-MNIST classes 1,3,4 (the zero-shot split, seed 42) with 128 offline pairs a step
 * and scores 6,000 held-out examples (classes 5-9; 5,000 pairs) after 0 and N steps, read at
 * the 64-d output and at the flattened conv block (1,600-d), both L2-normalised. Variants:
 * base (He-normal init, Adam epsilon 1e-7, shift augmentation 1 px), noaug (no
 * augmentation), eps8 (Adam epsilon 1e-8), torchinit (PyTorch's init: every kernel and bias
 * U(+-1/sqrt(fan_in))), torch (all three PyTorch-like). Prints MAP@R, P@1 and pair AUC,
 * then one JSON line.
 *
 *   node --conditions=contrastive-source --import tsx bench/zero-shot-first-steps.ts [VARIANTS] [STEPS] [LR] [POS_MARGIN] [DATASET]
 *   e.g. ... base,torchinit 35,140 1e-4 0.4
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../packages/node/src/engine/backend.js';
import { loadDataset } from '../packages/node/src/data/index.js';
import type { LabelledDataset } from '../packages/contrastive/src/data/types.js';
import { retrievalMetrics, verificationMetrics } from '../packages/contrastive/src/eval/index.js';
import { drawHeldOutPairs, scorePairs } from '../packages/contrastive/src/eval/held-out-pairs.js';
import { SiameseNetwork, cnnEncoder } from '../packages/contrastive/src/models/index.js';
import { splitDataset, subsetDataset } from '../packages/contrastive/src/data/index.js';
import { offlinePairBatches } from '../packages/contrastive/src/train/pair-batches.js';
import { imageAugmenter } from '../packages/contrastive/src/train/augment.js';
import { adamOptimizer } from '../packages/kernels/src/fused-adam.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';

const args = process.argv.slice(2);
const variants = (args[0] ?? 'base,noaug,eps8,torchinit,torch').split(',');
const steps = (args[1] ?? '35,140').split(',').map(Number);
const lr = Number(args[2] ?? '1e-3');
const posMargin = Number(args[3] ?? '0');
const dataset = args[4] ?? 'fashion-mnist';
await initBackend('auto');
const data = (await loadDataset(dataset)) as LabelledDataset;
const split = splitDataset(data, { seed: 42, holdoutClasses: [5, 6, 7, 8, 9], validationClasses: 0.4 });
const test = split.test as LabelledDataset;
const rngSub = new Rng(7);
const idx = rngSub.shuffle(Int32Array.from({ length: test.labels.length }, (_, k) => k)).slice(0, 6000);
const held = subsetDataset(test, Array.from(idx).sort((a, b) => a - b));
const pairs = drawHeldOutPairs(held, 5000, 99);
console.log(`train classes ${[...new Set(split.train.labels)].join(',')} n=${split.train.labels.length}; held subset ${held.labels.length}; lr ${lr} posMargin ${posMargin}`);

function l2(e: Float32Array, dim: number): Float32Array {
  for (let i = 0; i < e.length / dim; i++) {
    let n = 0;
    for (let j = 0; j < dim; j++) n += e[i * dim + j] ** 2;
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let j = 0; j < dim; j++) e[i * dim + j] *= s;
  }
  return e;
}
async function embedAt(model: tf.LayersModel, x: Float32Array, shape: number[]): Promise<{ e: Float32Array; dim: number }> {
  const out: Float32Array[] = [];
  let dim = 0;
  const size = shape.reduce((a, b) => a * b, 1);
  for (let s = 0; s < x.length / size; s += 500) {
    const n = Math.min(500, x.length / size - s);
    const t = tf.tidy(() => (model.predict(tf.tensor(x.subarray(s * size, (s + n) * size), [n, ...shape])) as tf.Tensor).reshape([n, -1]));
    dim = t.shape[1] as number;
    out.push((await t.data()) as Float32Array);
    t.dispose();
  }
  const all = new Float32Array(out.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const p of out) (all.set(p, o), (o += p.length));
  return { e: l2(all, dim), dim };
}
const results: Array<{ variant: string; step: number; at: string; mapAtR: number; precisionAt1: number; auc: number }> = [];
function score(e: Float32Array, dim: number, variant: string, step: number, at: string): string {
  const rm = retrievalMetrics(e, held.labels, { dim });
  const vm = verificationMetrics(scorePairs(e, e, dim, pairs.i, pairs.j, { distance: 'euclidean' }), pairs.labels);
  results.push({ variant, step, at, mapAtR: rm.mapAtR, precisionAt1: rm.precisionAt1, auc: vm.auc });
  return `${rm.mapAtR.toFixed(4)} ${rm.precisionAt1.toFixed(4)} ${vm.auc.toFixed(4)}`;
}
function torchInit(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const w = layer.getWeights();
    if (w.length !== 2) continue;
    const [k, b] = w;
    const fanIn = k.shape.slice(0, -1).reduce((a, c) => a * c, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const u = (n: number) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * bound);
    layer.setWeights([tf.tensor(u(k.size), k.shape), tf.tensor(u(b.size), b.shape)]);

  }
}
for (const v of variants) {
  const enc = cnnEncoder({ inputShape: [28, 28, 1], seed: 42 });
  if (v.includes('torchinit') || v === 'torch') torchInit(enc.model, 42);
  const net = new SiameseNetwork(enc, { normalize: true });
  const flat = enc.model.layers.find((l) => l.getClassName() === 'Flatten')!;
  const convModel = tf.model({ inputs: enc.model.inputs, outputs: flat.output as tf.SymbolicTensor });
  const evalAll = async (step: number) => {
    const o = await embedAt(enc.model, held.x, held.inputShape);
    const c = await embedAt(convModel, held.x, held.inputShape);
    console.log(`${v.padEnd(10)} ${`step ${step}`.padEnd(8)} out64 ${score(o.e, o.dim, v, step, 'output')} | conv${c.dim} ${score(c.e, c.dim, v, step, 'under-head')}`);
  };
  await evalAll(0);
  const eps = v.includes('eps8') || v === 'torch' ? 1e-8 : undefined;
  const opt = adamOptimizer(lr, 0.9, 0.999, eps);
  const maxSteps = Math.max(...steps);
  const strategy = offlinePairBatches(net, split.train, { batchSize: 128, pairsPerEpoch: 128 * maxSteps, positiveFraction: 0.5, margin: 0.5, posMargin, distance: 'euclidean' });
  const rng = new Rng(1234);
  const noAug = v.includes('noaug') || v === 'torch';
  const augment = noAug ? undefined : imageAugmenter({ shift: 1, flip: false, erase: 0 }, split.train.inputShape, rng.fork());
  let step = 0;
  const t0 = Date.now();
  for await (const batch of strategy.epoch(rng, augment)) {
    const cost = opt.minimize(() => batch.loss(), true, net.trainableWeights);
    batch.dispose();
    cost?.dispose();
    step++;
    if (steps.includes(step)) await evalAll(step);
  }
  console.log(`${v} trained ${step} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s (incl. eval)`);
  opt.dispose();
  net.dispose();
}
console.log(JSON.stringify({ bench: 'zero-shot-first-steps', dataset, lr, posMargin, results }));
