/**
 * Callbacks: watch every batch and epoch, and stop when validation is good
 * enough. Returning 'stop' from onEpochEnd ends training after that epoch; the
 * network keeps the best epoch's weights, as with patience-based early stopping.
 *
 *   node --conditions=contrastive-source --import tsx examples/early-stop-callback.ts
 */
import { initBackend, loadDataset } from '@contrastive/node';
import { splitDataset, mlpEncoder, SiameseNetwork, trainSiamese } from 'contrastive';

await initBackend('wasm');
const data = await loadDataset('mnist');
const { train, validation } = splitDataset(data, { seed: 1 });
const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [128], embeddingDim: 32, seed: 1 }), { normalize: true });

let batches = 0;
const run = await trainSiamese(net, { train, validation }, {
  margin: 0.5,
  epochs: 20,
  pairsPerEpoch: 2048,
  validationPairs: 2000,
  seed: 1,
  callbacks: {
    onBatchEnd: () => void batches++,
    onEpochEnd: (record) => {
      const auc = record.validation!.auc;
      console.log(`epoch ${record.epoch}: loss ${record.trainLoss.toFixed(4)}, validation AUC ${auc.toFixed(4)}`);
      if (auc >= 0.9) return 'stop';
    },
  },
});
console.log(`stopped after ${run.history.length} of 20 epochs (${batches} batches), best epoch ${run.bestEpoch}`);
