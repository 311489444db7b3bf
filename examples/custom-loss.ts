/**
 * Your own loss: a function (embeddings, labels) => scalar, called on every
 * class-labelled batch (m examples of each of several classes) and
 * differentiated by the trainer. Here: pull each embedding to its class mean in
 * the batch, and push class means at least 1 apart.
 *
 *   node --conditions=contrastive-source --import tsx examples/custom-loss.ts
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadDataset } from '@contrastive/node';
import { splitDataset, mlpEncoder, SiameseNetwork, trainSiamese } from 'contrastive';

function centreLoss(embeddings: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const classes = [...new Set(labels)];
  // One-hot products rather than tf.gather: gather has no gradient on the wasm backend.
  const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(labels, (l) => classes.indexOf(l)), 'int32'), classes.length).toFloat();
  const means = tf.div(tf.matMul(onehot, embeddings, true, false), tf.expandDims(tf.sum(onehot, 0), 1));
  const pull = tf.mean(tf.sum(tf.square(tf.sub(embeddings, tf.matMul(onehot, means))), 1));
  const gaps = tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(tf.expandDims(means, 1), tf.expandDims(means, 0))), 2), 1e-12));
  const apart = tf.sub(1, tf.eye(classes.length)); // every pair of different classes
  const push = tf.div(tf.sum(tf.mul(apart, tf.square(tf.relu(tf.sub(1, gaps))))), classes.length * (classes.length - 1));
  return tf.add(pull, push) as tf.Scalar;
}

await initBackend('wasm');
const data = await loadDataset('mnist');
const { train, validation } = splitDataset(data, { seed: 1 });
const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [128], embeddingDim: 32, seed: 1 }), { normalize: true });
const run = await trainSiamese(net, { train, validation }, { loss: centreLoss, mPerClass: 8, epochs: 2, pairsPerEpoch: 1024, validationPairs: 2000, seed: 1 });
for (const r of run.history) console.log(`epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, validation AUC ${r.validation!.auc.toFixed(4)}`);
