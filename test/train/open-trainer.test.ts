/** The open trainer: a user's own loss, miner and callbacks, and the options it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { allPairsMiner, type PairIndices } from '../../packages/contrastive/src/miners/index.js';
import { trainSiamese, type TrainConfig, type BatchInfo, type EpochRecord } from '../../packages/contrastive/src/train/index.js';
import { rejectsWith } from '../support/helpers.js';
import { clusters } from '../support/data.js';


const network = (seed = 1): SiameseNetwork => new SiameseNetwork(mlpEncoder({ inputShape: [8], hidden: [16], embeddingDim: 4, seed }));
const base: Partial<TrainConfig> = { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 7, validationPairs: 200, patience: 0 };
const weightsOf = (net: SiameseNetwork): Float32Array[] => net.getWeights().map((t) => t.dataSync() as Float32Array);

test('a custom pair miner is called on every mining batch with its distance matrix and labels, and its pairs are trained', async () => {
  await initBackend('wasm');
  const train = clusters(4, 40, 8, 1);
  const validation = clusters(4, 15, 8, 1);
  const seen: Array<{ n: number; classes: number }> = [];
  // Every positive pair, and for each anchor only its closest negative.
  const closestNegative = (d: Float32Array, labels: ArrayLike<number>): PairIndices => {
    const n = labels.length;
    seen.push({ n, classes: new Set(Array.from(labels)).size });
    assert.equal(d.length, n * n);
    const all = allPairsMiner(d, labels);
    const a2: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = -1;
      for (let j = 0; j < n; j++) if (labels[j] !== labels[i] && (best < 0 || d[i * n + j] < d[i * n + best])) best = j;
      a2.push(i);
      neg.push(best);
    }
    return { a1: all.a1, p: all.p, a2: Int32Array.from(a2), n: Int32Array.from(neg) };
  };
  const r = await trainSiamese(network(), { train, validation }, { ...base, miner: closestNegative, mPerClass: 8 });
  assert.ok(seen.length >= 3, `miner called ${seen.length} times`);
  assert.ok(seen.every((s) => s.n === 32 && s.classes === 4), JSON.stringify(seen[0]));
  assert.ok(r.history.at(-1)!.validation!.auc > 0.85, `auc ${r.history.at(-1)!.validation!.auc}`);
  // The same run with a miner that returns nothing leaves the weights untouched: the miner's pairs are what is trained.
  const idle = network();
  const before = weightsOf(idle);
  const empty = (): PairIndices => ({ a1: new Int32Array(0), p: new Int32Array(0), a2: new Int32Array(0), n: new Int32Array(0) });
  await trainSiamese(idle, { train }, { ...base, epochs: 1, miner: empty, optimizer: 'sgd' });
  assert.deepEqual(weightsOf(idle), before);
});

test('a miner function of the wrong kind is named', async () => {
  await initBackend('cpu');
  const train = clusters(4, 10, 8, 2);
  const tripletLike = () => ({ anchor: new Int32Array(0), positive: new Int32Array(0), negative: new Int32Array(0) });
  await rejectsWith(trainSiamese(network(), { train }, { ...base, miner: tripletLike as never }), 'INVALID_ARGUMENT', 'must return { a1, p, a2, n }', "loss 'contrastive'");
});

test('a custom loss gets each class batch and is differentiated by the trainer', async () => {
  await initBackend('wasm');
  const train = clusters(4, 40, 8, 3);
  const validation = clusters(4, 15, 8, 3);
  let calls = 0;
  // Centre loss against batch means: pull each row to its class mean, push class means apart (hinge at 2).
  // (One-hot products rather than tf.gather: gather has no gradient on the wasm backend.)
  const centreLoss = (emb: tf.Tensor2D, labels: Int32Array): tf.Scalar => {
    calls++;
    assert.equal(emb.shape[0], labels.length);
    const classes = [...new Set(labels)];
    const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(labels, (l) => classes.indexOf(l)), 'int32'), classes.length).toFloat();
    const means = tf.div(tf.matMul(onehot, emb, true, false), tf.expandDims(tf.sum(onehot, 0), 1));
    const pull = tf.mean(tf.sum(tf.square(tf.sub(emb, tf.matMul(onehot, means))), 1));
    const sq = tf.sum(tf.square(tf.sub(tf.expandDims(means, 1), tf.expandDims(means, 0))), 2);
    const gap = tf.sqrt(tf.add(sq, 1e-12));
    const offDiagonal = tf.sub(1, tf.eye(classes.length));
    const push = tf.div(tf.sum(tf.mul(offDiagonal, tf.square(tf.relu(tf.sub(2, gap))))), 2);
    return tf.add(pull, push) as tf.Scalar;
  };
  const r = await trainSiamese(network(), { train, validation }, { ...base, loss: centreLoss, mPerClass: 8 });
  assert.ok(calls >= 3);
  assert.ok(r.history[2].trainLoss < r.history[0].trainLoss, `loss ${r.history.map((h) => h.trainLoss)}`);
  assert.ok(r.history.at(-1)!.validation!.auc > 0.85, `auc ${r.history.at(-1)!.validation!.auc}`);
});

test("callbacks see every batch and epoch; 'stop' from onEpochEnd ends training with the best weights restored", async () => {
  await initBackend('wasm');
  const train = clusters(4, 40, 8, 4);
  const validation = clusters(4, 15, 8, 4);
  const batches: BatchInfo[] = [];
  const epochs: EpochRecord[] = [];
  const r = await trainSiamese(network(), { train, validation }, {
    ...base,
    epochs: 10,
    callbacks: {
      onBatchEnd: (b) => void batches.push(b),
      onEpochEnd: async (rec) => {
        epochs.push(rec);
        return rec.epoch === 2 ? 'stop' : undefined;
      },
    },
  });
  assert.equal(r.history.length, 2);
  assert.equal(r.stoppedEarly, true);
  assert.deepEqual(epochs, r.history);
  const steps = batches.filter((b) => b.epoch === 1).length;
  assert.equal(batches.length, 2 * steps);
  assert.deepEqual(batches.slice(0, 2).map((b) => [b.epoch, b.step, b.steps]), [[1, 0, steps], [1, 1, steps]]);
  assert.ok(Math.abs(batches.filter((b) => b.epoch === 2).reduce((s, b) => s + b.loss, 0) / steps - r.history[1].trainLoss) < 1e-9);

  // Best weights restored: epoch 2 is made the worst on purpose (weights zeroed after its last batch,
  // before its validation), the callback stops there, and the network ends with epoch 1's weights.
  const net = network();
  let epoch1: Float32Array[] = [];
  const r2 = await trainSiamese(net, { train, validation }, {
    ...base,
    epochs: 5,
    callbacks: {
      onBatchEnd: (b) => {
        if (b.epoch === 2 && b.step === b.steps - 1) net.setWeights(net.getWeights().map((w) => tf.zerosLike(w)));
      },
      onEpochEnd: (rec) => {
        if (rec.epoch === 1) epoch1 = weightsOf(net).map((w) => w.slice());
        return rec.epoch === 2 ? 'stop' : undefined;
      },
    },
  });
  assert.equal(r2.history.length, 2);
  assert.equal(r2.bestEpoch, 1);
  assert.deepEqual(weightsOf(net), epoch1);
});

test('impossible combinations and unknown keys are refused before training, naming the option', async () => {
  await initBackend('cpu');
  const train = clusters(4, 10, 8, 5);
  const net = network();
  const before = weightsOf(net);
  await rejectsWith(trainSiamese(net, { train }, { ...base, loss: 'cross-entropy', miner: 'semi-hard' }), 'INVALID_ARGUMENT', "{ miner: 'semi-hard' } does not apply to the cross-entropy loss");
  await rejectsWith(trainSiamese(net, { train }, { ...base, sampleWeights: [1, 2] } as Partial<TrainConfig>), 'INVALID_ARGUMENT', "unknown option 'sampleWeights'");
  await rejectsWith(trainSiamese(net, { train }, { ...base, miner: 'hard' }), 'INVALID_ARGUMENT', "{ miner: 'hard' } is not a pair miner", "'semi-hard'");
  await rejectsWith(trainSiamese(net, { train }, { ...base, loss: 'triplet', miner: 'hard-negative' }), 'INVALID_ARGUMENT', "{ miner: 'hard-negative' } is not a triplet miner");
  await rejectsWith(trainSiamese(net, { train }, { ...base, loss: () => tf.scalar(0), miner: 'all' }), 'INVALID_ARGUMENT', 'loss function');
  await rejectsWith(trainSiamese(net, { train }, { ...base, monitor: 'f1' as never }), 'INVALID_ARGUMENT', "{ monitor: 'f1' } is not one of auc, accuracy, eer");
  await rejectsWith(trainSiamese(net, { train }, { ...base, callbacks: { onEpochEnds: () => undefined } as never }), 'INVALID_ARGUMENT', "unknown callback 'onEpochEnds'");
  assert.deepEqual(weightsOf(net), before);
});

test('a refused resume names the setting that changed', async () => {
  await initBackend('wasm');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-resume-names-'));
  const train = clusters(4, 20, 8, 6);
  await trainSiamese(network(), { train }, { ...base, epochs: 1, checkpointDir: dir });
  await rejectsWith(
    trainSiamese(network(), { train }, { ...base, epochs: 2, margin: 0.5, checkpointDir: dir, resume: true }),
    'STATE',
    'changed: margin: 1 -> 0.5',
  );
});

test('the cosine schedule changes the rate the optimiser steps with (not only the number it reports)', async () => {
  await initBackend('wasm');
  const train = clusters(4, 30, 8, 8);
  const run = async (lrSchedule: 'constant' | 'cosine', learningRate: number, epochs: number): Promise<Float32Array[]> => {
    const net = network();
    await trainSiamese(net, { train }, { ...base, optimizer: 'sgd', epochs, lrSchedule, learningRate });
    return weightsOf(net);
  };
  // Epoch 1 of 2 under cosine runs at half the base rate. With plain SGD and momentum the update
  // of epoch 1 differs from a constant-rate run; were the rate never set, the two would be equal.
  const constant = await run('constant', 0.02, 2);
  const cosine = await run('cosine', 0.02, 2);
  assert.notDeepEqual(cosine, constant);
  // Epoch 0 of either schedule runs at the base rate: one epoch gives identical weights.
  assert.deepEqual(await run('cosine', 0.02, 1), await run('constant', 0.02, 1));
});

test('a distance object trains through the miner, the loss and validation', async () => {
  await initBackend('wasm');
  const train = clusters(4, 40, 8, 9);
  const validation = clusters(4, 15, 8, 9);
  let matrices = 0;
  let pairCalls = 0;
  const manhattan = {
    name: 'manhattan',
    pairs: (a: tf.Tensor2D, b: tf.Tensor2D) => {
      pairCalls++;
      return tf.tidy(() => tf.sum(tf.sqrt(tf.add(tf.square(tf.sub(a, b)), 1e-12)), 1) as tf.Tensor1D);
    },
    matrix: (x: tf.Tensor2D, y: tf.Tensor2D) => {
      matrices++;
      return tf.tidy(() => tf.sum(tf.sqrt(tf.add(tf.square(tf.sub(tf.expandDims(x, 1), tf.expandDims(y, 0))), 1e-12)), 2) as tf.Tensor2D);
    },
  };
  const r = await trainSiamese(network(), { train, validation }, { ...base, distance: manhattan, miner: 'semi-hard', margin: 2 });
  assert.ok(matrices > 0 && pairCalls >= 3, `matrix ${matrices}, pairs ${pairCalls}`);
  assert.ok(r.history.at(-1)!.validation!.auc > 0.85, `auc ${r.history.at(-1)!.validation!.auc}`);
});

test('retrieval ranks by the scorer distance, or Euclidean for the cross-entropy head (one rule for every job)', async () => {
  const { KochHead } = await import('../../packages/contrastive/src/train/index.js');
  const { retrievalDistance } = await import('../../packages/contrastive/src/eval/index.js');
  assert.equal(retrievalDistance({ distance: 'cosine' }), 'cosine');
  const head = new KochHead(4);
  assert.equal(retrievalDistance({ distance: 'cosine', head }), 'euclidean');
  head.dispose();
});
