/**
 * A backbone with batch normalisation, fine-tuned in its last layers: the frozen
 * batch-norm layers below them stay in inference mode while the head trains (they
 * normalise with their moving mean and variance and never update them), as Keras
 * does for a layer with `trainable = false`; TF.js's own BatchNormalization
 * ignores `trainable` and would use the batch's statistics and overwrite its
 * moving ones. A batch-norm layer that is fine-tuned trains as usual.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { SiameseNetwork } from '../../packages/contrastive/src/models/siamese-network.js';
import { backboneEncoder } from '../../packages/contrastive/src/models/backbone.js';
import { trainSiamese } from '../../packages/contrastive/src/train/trainer.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose } from '../support/helpers.js';

before(async () => {
  await initBackend('cpu');
});

const SHAPE = [6, 6, 1];

/** conv -> batch norm -> conv -> flatten, the batch norm's moving statistics far from any batch's (as after pretraining on other data). */
function backbone(): tf.LayersModel {
  const input = tf.input({ shape: SHAPE });
  let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'bb_conv1' }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bb_bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'bb_conv2' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.flatten().apply(h) as tf.SymbolicTensor });
  const bn = model.getLayer('bb_bn');
  const [gamma, beta] = bn.getWeights();
  bn.setWeights([gamma, beta, tf.tensor1d([0.5, -1, 2]), tf.tensor1d([4, 0.25, 9])]);
  return model;
}

function movingStats(model: tf.LayersModel): Float32Array[] {
  const bn = findLayer(model, 'bb_bn');
  return bn.getWeights().slice(2).map((w) => w.dataSync() as Float32Array);
}

function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    if (layer instanceof tf.LayersModel) {
      try {
        return findLayer(layer, name);
      } catch {
        // not in this nested model
      }
    }
  }
  throw new Error(`no layer ${name}`);
}

function dataset(n: number): LabelledDataset {
  const rng = new Rng(4);
  const size = SHAPE.reduce((a, b) => a * b, 1);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from({ length: n * size }, (_, k) => labels[Math.floor(k / size)] * 0.3 + 0.2 * rng.next());
  return { name: 'toy', x, labels, inputShape: SHAPE, numClasses: 3 } as LabelledDataset;
}

test('fine-tuning the layers above a frozen batch norm keeps its moving statistics and normalises with them', async () => {
  const bb = backboneEncoder(backbone(), { fineTune: 1, embeddingDim: 4, seed: 3 });
  assert.deepEqual(bb.record.trainableLayers, ['bb_conv2']);
  const before = movingStats(bb.model);
  const x = tf.tensor(dataset(16).x, [16, ...SHAPE]);
  // training mode through a frozen batch norm is inference mode: the same embeddings, no update
  const inTraining = bb.model.apply(x, { training: true }) as tf.Tensor;
  const inInference = bb.model.apply(x, { training: false }) as tf.Tensor;
  assertClose(inTraining.dataSync() as Float32Array, inInference.dataSync() as Float32Array, 1e-6, 'frozen batch norm in training mode');
  tf.dispose([x, inTraining, inInference]);
  // and through the trainer: steps change the fine-tuned conv, not the frozen statistics
  const conv2 = findLayer(bb.model, 'bb_conv2').getWeights()[0].dataSync().slice();
  const network = new SiameseNetwork(bb.model);
  const data = dataset(48);
  await trainSiamese(network, { train: data }, { epochs: 2, batchSize: 16, pairsPerEpoch: 64, seed: 5, learningRate: 0.01 });
  const after = movingStats(bb.model);
  assert.deepEqual(after, before, 'moving mean and variance untouched');
  assert.notDeepEqual(findLayer(bb.model, 'bb_conv2').getWeights()[0].dataSync(), conv2, 'the fine-tuned layer trained');
  network.dispose();
});

test('a fine-tuned batch norm trains as usual: batch statistics, moving ones updated', () => {
  const bb = backboneEncoder(backbone(), { fineTune: 2, embeddingDim: 4, seed: 3 });
  assert.deepEqual(bb.record.trainableLayers, ['bb_bn', 'bb_conv2']);
  const before = movingStats(bb.model);
  const x = tf.tensor(dataset(16).x, [16, ...SHAPE]);
  tf.dispose(bb.model.apply(x, { training: true }) as tf.Tensor);
  assert.notDeepEqual(movingStats(bb.model), before);
  tf.dispose(x);
  bb.model.dispose();
});
