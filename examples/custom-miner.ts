/**
 * Your own pair miner: for each anchor of a class batch, its farthest positive
 * and its closest negative (batch-hard pairs, one of each per anchor, so that
 * positives and negatives stay balanced). A miner is a function
 * (distances, labels) => PairIndices; with the contrastive loss, trainSiamese
 * calls it on every m-per-class batch with the batch's distance matrix.
 *
 *   node --conditions=contrastive-source --import tsx examples/custom-miner.ts
 */
import { initBackend, loadDataset } from '@contrastive/node';
import { splitDataset, mlpEncoder, SiameseNetwork, trainSiamese, type PairIndices } from 'contrastive';

function batchHardPairMiner(distances: Float32Array, labels: ArrayLike<number>): PairIndices {
  const n = labels.length;
  const anchors = Int32Array.from({ length: n }, (_, i) => i);
  const positive = new Int32Array(n);
  const negative = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let p = -1;
    let q = -1;
    for (let j = 0; j < n; j++) {
      const d = distances[i * n + j];
      if (j !== i && labels[j] === labels[i] && (p < 0 || d > distances[i * n + p])) p = j;
      if (labels[j] !== labels[i] && (q < 0 || d < distances[i * n + q])) q = j;
    }
    positive[i] = p;
    negative[i] = q;
  }
  return { a1: anchors, p: positive, a2: anchors, n: negative };
}

await initBackend('wasm');
const data = await loadDataset('mnist');
const { train, validation } = splitDataset(data, { seed: 1 });
const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [128], embeddingDim: 32, seed: 1 }), { normalize: true });
const run = await trainSiamese(net, { train, validation }, {
  miner: batchHardPairMiner,
  mPerClass: 8, // every class batch has at least 2 examples of each class, so every anchor has a positive
  margin: 0.5,
  epochs: 2,
  pairsPerEpoch: 1024,
  validationPairs: 2000,
  seed: 1,
});
for (const r of run.history) console.log(`epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, validation AUC ${r.validation!.auc.toFixed(4)}`);
