/**
 * Training from a pairs-only CSV (path_a,path_b,label; 0 = similar, 1 =
 * dissimilar), as for signature verification where only genuine/forgery pairs
 * are known. The script first writes a small such dataset (PNG digits) to a
 * temporary folder; point `loadDataset('pairs:...')` at your own file instead.
 *
 *   node --conditions=contrastive-source --import tsx examples/pairs-csv.ts
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend, loadDataset, loadMnist } from '@contrastive/node';
import { makePairs, splitPairs, mlpEncoder, SiameseNetwork, trainSiamese } from 'contrastive';

const dir = await mkdtemp(path.join(os.tmpdir(), 'pairs-example-'));
const digits = loadMnist();
// 600 digits spread over the (class-sorted) set: every 16th.
const picked = Int32Array.from({ length: 600 }, (_, k) => k * 16);
for (const [k, row] of picked.entries()) {
  const pixels = Buffer.from(digits.x.subarray(row * 784, (row + 1) * 784).map((v) => Math.round(v * 255)));
  await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path.join(dir, `${k}.png`));
}
const pairs = makePairs(Int32Array.from(picked, (row) => digits.labels[row]), { count: 1200, positiveFraction: 0.5, seed: 1 });
const rows = Array.from(pairs.labels, (y, k) => `${pairs.i[k]}.png,${pairs.j[k]}.png,${y}`);
await writeFile(path.join(dir, 'pairs.csv'), ['path_a,path_b,label', ...rows].join('\n') + '\n');

await initBackend('wasm');
const data = await loadDataset(`pairs:${path.join(dir, 'pairs.csv')}`);
const { train, validation } = splitPairs(data, { seed: 1, validation: 0.2, test: 0.1 });
const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [128], embeddingDim: 32, seed: 1 }), { normalize: true });
const run = await trainSiamese(net, { train, validation }, { margin: 0.5, epochs: 3, seed: 1 });
console.log(`${train.labels.length} training pairs, ${validation.labels.length} validation pairs of ${data.inputShape.join('x')} images`);
for (const r of run.history) console.log(`epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, validation AUC ${r.validation!.auc.toFixed(4)}`);
