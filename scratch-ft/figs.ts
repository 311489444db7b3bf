import { initBackend } from '../packages/node/src/engine/backend.js';
import { SiameseNetwork, mlpEncoder } from '../packages/contrastive/src/models/index.js';
import { trainSiamese, type TrainConfig } from '../packages/contrastive/src/train/index.js';
import { clusters } from '../test/support/data.js';
function network(seed = 1) { return new SiameseNetwork(mlpEncoder({ inputShape: [8], hidden: [16], embeddingDim: 4, seed })); }
const base: Partial<TrainConfig> = { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 7, validationPairs: 200, patience: 0 };
for (const backend of ['cpu', 'wasm'] as const) {
  await initBackend(backend);
  const r = await trainSiamese(network(), { train: clusters(4, 60, 8, 1), validation: clusters(4, 20, 8, 1) }, { ...base, epochs: 4 });
  console.log(backend, r.history.map((h) => [h.trainLoss, h.validation!.auc]));
}
await initBackend('wasm');
for (const cfg of [{ loss: 'triplet' as const, miner: 'semi-hard' }, { loss: 'triplet' as const, miner: 'hard' }, { loss: 'contrastive' as const, miner: 'hard-negative' }, { loss: 'cross-entropy' as const }]) {
  const r = await trainSiamese(network(), { train: clusters(4, 40, 8, 4), validation: clusters(4, 15, 8, 4) }, { ...base, epochs: 3, ...cfg });
  console.log(JSON.stringify(cfg), r.history.map((h) => h.validation!.auc));
}
