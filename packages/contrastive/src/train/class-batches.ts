/**
 * Mined class batches: the m-per-class sampler draws batches of m examples from
 * each of several classes; a batch loss (a miner plus the contrastive or triplet
 * loss, or the user's own loss) turns each batch's embeddings and labels into a scalar.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import type { LabelledDataset } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import { mPerClassSampler } from '../samplers/index.js';
import type { Rng } from '../util/rng.js';
import type { BatchStrategy, TrainingBatch, Augment } from './batch-strategy.js';
import { readBatches } from '../data/read-batches.js';
import { examplesOf } from '../data/examples.js';
import type { BatchLoss, TrainConfig } from './config.js';

/** The shape of a run's mining batches: m examples per class, `batchSize` examples in all. @group Training */
export interface ClassBatchShape {
  mPerClass: number;
  batchSize: number;
  stepsPerEpoch: number;
}

/**
 * How big the mining batches are: 2 x batchSize examples (the images of
 * batchSize pairs), m per class (default: batch / classes, at least 2), as many
 * classes as fit. An epoch covers 2 x pairsPerEpoch examples.
 * @group Training
 */
export function classBatchShape(train: LabelledDataset, config: Pick<TrainConfig, 'batchSize' | 'mPerClass' | 'pairsPerEpoch'>): ClassBatchShape {
  const classes = new Set(train.labels).size;
  const imageBatch = 2 * config.batchSize;
  if (config.mPerClass !== undefined) {
    check(
      imageBatch >= 2 * config.mPerClass,
      'train',
      `batch size ${config.batchSize} pairs (${imageBatch} examples per mining batch) is smaller than 2 classes x m per class ${config.mPerClass}: raise { batchSize } or lower { mPerClass }`,
    );
  }
  const mPerClass = config.mPerClass ?? Math.max(2, Math.floor(imageBatch / classes));
  const batchSize = Math.min(classes, Math.floor(imageBatch / mPerClass)) * mPerClass;
  check(batchSize >= 2 * mPerClass, 'train', `mining needs at least 2 classes of ${mPerClass} examples per batch; the training split has ${classes} class(es)`);
  const pairsPerEpoch = config.pairsPerEpoch ?? train.labels.length;
  return { mPerClass, batchSize, stepsPerEpoch: Math.max(1, Math.floor((2 * pairsPerEpoch) / batchSize)) };
}

/** Class-labelled mining batches of `train`, each scored by `loss`. @group Training */
export function classBatches(network: SiameseNetwork, train: LabelledDataset, shape: ClassBatchShape, loss: BatchLoss): BatchStrategy {
  return {
    stepsPerEpoch: shape.stepsPerEpoch,
    async *epoch(rng: Rng, augment: Augment | undefined): AsyncIterable<TrainingBatch> {
      const batches = mPerClassSampler(train.labels, {
        m: shape.mPerClass,
        batchSize: shape.batchSize,
        seed: rng.nextUint32(),
        lengthBeforeNewIter: shape.stepsPerEpoch * shape.batchSize,
      });
      for await (const { item: idx, rows } of readBatches(examplesOf(train), batches, (b) => b)) {
        augment?.(rows, idx.length);
        const x = tf.tensor(rows, [idx.length, ...train.inputShape]);
        const labels = Int32Array.from(idx, (k) => train.labels[k]);
        yield {
          loss: () => loss(network.embed(x, { training: true, at: 'output' }) as tf.Tensor2D, labels),
          dispose: () => x.dispose(),
        };
      }
    },
  };
}
