/**
 * Offline pairs: balanced pairs drawn anew each epoch from a labelled split (or
 * a pairs-only dataset, shuffled), trained with the contrastive loss or the
 * cross-entropy head.
 */
import * as tf from '@tensorflow/tfjs';
import { isPairDataset, type LabelledDataset, type PairDataset, type IndexPairs } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import { contrastiveLoss } from '../losses/index.js';
import { makePairs } from '../samplers/index.js';
import type { Rng } from '../util/rng.js';
import type { BatchStrategy, TrainingBatch, Augment } from './batch-strategy.js';
import { readBatches } from '../data/read-batches.js';
import { examplesOf } from '../data/examples.js';
import type { TrainConfig } from './config.js';
import type { KochHead } from './koch-head.js';

function shuffledPairIndices(pairs: PairDataset, rng: Rng): IndexPairs {
  const order = rng.shuffle(Int32Array.from({ length: pairs.labels.length }, (_, k) => k));
  return { i: order.map((k) => pairs.a[k]), j: order.map((k) => pairs.b[k]), labels: Uint8Array.from(order, (k) => pairs.labels[k]) };
}

/**
 * Batches of `batchSize` pairs, `pairsPerEpoch` pairs an epoch (a pairs-only
 * dataset: all its pairs). The loss is the head's cross-entropy when a head is
 * given, else the contrastive loss with the config's margin and distance.
 * @group Training
 */
export function offlinePairBatches(
  network: SiameseNetwork,
  train: LabelledDataset | PairDataset,
  config: Pick<TrainConfig, 'batchSize' | 'pairsPerEpoch' | 'positiveFraction' | 'margin' | 'posMargin' | 'distance'>,
  head?: KochHead,
): BatchStrategy {
  const pairsPerEpoch = config.pairsPerEpoch ?? train.labels.length;
  const pairCount = isPairDataset(train) ? train.labels.length : pairsPerEpoch;
  return {
    stepsPerEpoch: Math.ceil(pairCount / config.batchSize),
    async *epoch(rng: Rng, augment: Augment | undefined): AsyncIterable<TrainingBatch> {
      const pairs = isPairDataset(train)
        ? shuffledPairIndices(train, rng)
        : makePairs(train.labels, { count: pairCount, positiveFraction: config.positiveFraction, seed: rng.nextUint32() });
      const n = pairs.labels.length;
      const starts = Array.from({ length: Math.ceil(n / config.batchSize) }, (_, k) => k * config.batchSize);
      // both sides of a batch in one read: rows 0..B-1 the first elements, B..2B-1 the second
      const rowsOf = (s: number): Int32Array => {
        const e = Math.min(n, s + config.batchSize);
        const rows = new Int32Array(2 * (e - s));
        rows.set(pairs.i.subarray(s, e), 0);
        rows.set(pairs.j.subarray(s, e), e - s);
        return rows;
      };
      for await (const { item: s, rows } of readBatches(examplesOf(train), starts, rowsOf)) {
        const e = Math.min(n, s + config.batchSize);
        const B = e - s;
        const y = tf.tensor1d(Float32Array.from(pairs.labels.subarray(s, e)));
        augment?.(rows, 2 * B);
        const x = tf.tensor(rows, [2 * B, ...train.inputShape]);
        yield {
          loss: () => {
            const emb = network.embed(x, { training: true, at: 'output' });
            const e1 = emb.slice([0, 0], [B, -1]) as tf.Tensor2D;
            const e2 = emb.slice([B, 0], [B, -1]) as tf.Tensor2D;
            if (head) return head.loss(e1, e2, y);
            return contrastiveLoss(e1, e2, y, { margin: config.margin, posMargin: config.posMargin ?? 0, distance: config.distance }) as tf.Scalar;
          },
          dispose: () => {
            x.dispose();
            y.dispose();
          },
        };
      }
    },
  };
}
