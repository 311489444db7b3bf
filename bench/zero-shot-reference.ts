/**
 * The reference a zero-shot model must beat: held-out-class figures of
 * embeddings that learned nothing from the training classes - the raw pixels
 * (L2-normalised) and the job's mlp and cnn encoders at their seeded
 * initialisation (L2-normalised 64-d) - scored exactly as `contrastive train`
 * scores held-out classes (same split, same 10,000 test pairs, retrieval over
 * every held-out example). If a trained model scores below these, training on
 * the seen classes has thrown away what distinguishes the unseen ones.
 *
 *   npm run bench:zero-shot [-- --dataset fashion-mnist --holdout-classes 5,6,7,8,9 --seed 42]
 */
import { initBackend } from '../packages/node/src/engine/backend.js';
import { loadDataset } from '../packages/node/src/data/index.js';
import type { LabelledDataset } from '../packages/contrastive/src/data/types.js';
import { retrievalMetrics, verificationMetrics } from '../packages/contrastive/src/eval/index.js';
import { drawHeldOutPairs, scorePairs } from '../packages/contrastive/src/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from '../packages/contrastive/src/train/choices.js';
import { SiameseNetwork } from '../packages/contrastive/src/models/index.js';
import { l2NormalizeRows } from '../packages/contrastive/src/models/l2-normalize.js';
import { buildEncoder } from '../packages/cli/src/jobs/run-training.js';
import { splitDataset, subsetDataset, parseClassList } from '../packages/contrastive/src/data/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dataset = opt('dataset', 'fashion-mnist');
const seed = Number(opt('seed', '42'));

await initBackend('auto');
const data = (await loadDataset(dataset)) as LabelledDataset;
const holdout = parseClassList(opt('holdout-classes', '5,6,7,8,9'), data.numClasses);
const { test } = splitDataset(data, { seed, holdoutClasses: holdout });
const keep: number[] = [];
test.labels.forEach((c, i) => holdout.includes(c) && keep.push(i));
const held = subsetDataset(test, keep);
const size = data.inputShape.reduce((a, b) => a * b, 1);
const pairs = drawHeldOutPairs(held, HELD_OUT_PAIRS.test, seed ^ HELD_OUT_PAIRS.testSalt);

function score(name: string, emb: Float32Array, dim: number): void {
  const t0 = Date.now();
  const rm = retrievalMetrics(emb, held.labels, { dim });
  const vm = verificationMetrics(scorePairs(emb, emb, dim, pairs.i, pairs.j, { distance: 'euclidean' }), pairs.labels);
  const f = (v: number): string => v.toFixed(4);
  console.log(`| ${name} | ${f(rm.mapAtR)} | ${f(rm.precisionAt1)} | ${f(vm.auc)} | ${f(vm.bestAccuracy)} | ${((Date.now() - t0) / 1000).toFixed(1)} s |`);
}

console.log(`${dataset}, held-out classes ${holdout.join(',')}: ${held.labels.length} examples, ${pairs.labels.length} pairs (seed ${seed})`);
console.log('| embedding | MAP@R | P@1 | pair AUC | best accuracy (any threshold) | scoring time |');
console.log('|---|---:|---:|---:|---:|---:|');
score('raw pixels, L2-normalised', l2NormalizeRows(held.x, size), size);
for (const encoder of ['mlp', 'cnn'] as const) {
  const net = new SiameseNetwork(buildEncoder(encoder, data.inputShape, {}, seed), { normalize: true });
  score(`untrained ${encoder} (seed ${seed})`, await net.embedBatched(held.x), net.embeddingDim);
}
