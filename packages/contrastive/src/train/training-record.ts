/** What a training run records on the network it trained, for saveBundle to write into manifest.training. */
import type { LabelledDataset, PairDataset } from '../data/types.js';
import type { NetworkTrainingRecord } from '../models/siamese-network.js';

/**
 * The record of a run on `train`: its dataset (as named; saveBundle makes a path absolute), how it was
 * split when splitDataset / splitPairs made it (else only the trainer's seed
 * is known, and `contrastive eval` warns that it cannot re-split), epochs and loss.
 */
export function trainingRecordOf(
  train: LabelledDataset | PairDataset,
  run: { seed: number; epochs: number; bestEpoch: number; loss: string; miner?: string; margin: number },
): NetworkTrainingRecord {
  const split = train.origin?.split;
  return {
    dataset: train.origin?.dataset ?? train.name,
    seed: split?.seed ?? run.seed,
    ...(split
      ? { split: { validation: split.validation, test: split.test, holdoutClasses: [...split.holdoutClasses], ...(split.validationClasses ? { validationClasses: [...split.validationClasses] } : {}) } }
      : {}),
    epochs: run.epochs,
    bestEpoch: run.bestEpoch,
    trainSeed: run.seed,
    loss: run.loss,
    miner: run.miner ?? null,
    margin: run.loss === 'cross-entropy' ? null : run.margin,
  };
}
