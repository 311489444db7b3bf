/**
 * The built-in losses of mined class batches, as pytorch-metric-learning
 * composes them: a distance matrix of the batch, a miner that picks index
 * tuples from it, and the contrastive or triplet loss over those tuples.
 */
import type * as tf from '@tensorflow/tfjs';
import { pairwiseDistanceMatrix, type DistanceLike } from '../distances/index.js';
import { pairLossFromIndices, tripletLossFromIndices } from '../losses/index.js';
import { createPairMiner, createTripletMiner, type PairMiner, type TripletMiner } from '../miners/index.js';
import { check } from '../errors.js';
import type { BatchLoss } from './config.js';
import { crossBatchMemoryLoss, type CrossBatchMemory } from './cross-batch-memory.js';

/** A user's miner with its output checked, so a triplet miner given to the contrastive loss (or back) is named as such. */
function checkedMiner<T extends object>(miner: (d: Float32Array, l: ArrayLike<number>) => T, keys: string[], kind: string, loss: string): (d: Float32Array, l: ArrayLike<number>) => T {
  return (d, l) => {
    const out = miner(d, l);
    check(
      out !== null && typeof out === 'object' && keys.every((k) => k in out),
      'train',
      `the miner function must return { ${keys.join(', ')} } (a ${kind} miner, for loss '${loss}'), got ${out === null || typeof out !== 'object' ? String(out) : `{ ${Object.keys(out).join(', ')} }`}`,
    );
    return out;
  };
}

/** Options of the mined losses. @group Training */
export interface MinedLossOptions {
  margin: number;
  distance: DistanceLike;
  /** Positive margin of the contrastive loss; 0 or undefined is the classic formula, scale * D^2 for a similar pair. */
  posMargin?: number;
}

/**
 * The contrastive loss over the pairs `miner` picks from each batch (a name of
 * {@link createPairMiner} or a {@link PairMiner}). With nothing mined the loss is
 * a zero that still depends on the embeddings (zero gradients).
 * @group Training
 */
export function minedContrastiveLoss(miner: string | PairMiner, options: MinedLossOptions, memory?: CrossBatchMemory): BatchLoss {
  const mine = typeof miner === 'function' ? checkedMiner(miner, ['a1', 'p', 'a2', 'n'], 'pair', 'contrastive') : createPairMiner(miner, { margin: options.margin });
  return (emb, labels) => {
    const dm = pairwiseDistanceMatrix(emb, undefined, options.distance);
    if (!memory) return pairLossFromIndices(emb, mine(dm, labels), options) as tf.Scalar;
    // With a cross-batch memory the batch is also paired with recent embeddings, then joins them.
    const loss = crossBatchMemoryLoss(emb, labels, mine(dm, labels), memory, options) as tf.Scalar;
    memory.push(emb.dataSync() as Float32Array, labels);
    return loss;
  };
}

/** The triplet loss over the triplets `miner` picks from each batch (a name of {@link createTripletMiner} or a {@link TripletMiner}). @group Training */
export function minedTripletLoss(miner: string | TripletMiner, options: MinedLossOptions): BatchLoss {
  const mine = typeof miner === 'function' ? checkedMiner(miner, ['anchor', 'positive', 'negative'], 'triplet', 'triplet') : createTripletMiner(miner, { margin: options.margin });
  return (emb, labels) => {
    const dm = pairwiseDistanceMatrix(emb, undefined, options.distance);
    return tripletLossFromIndices(emb, mine(dm, labels), options) as tf.Scalar;
  };
}
