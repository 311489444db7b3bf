/**
 * The scores a run's threshold applies to: pair distances, or their S-norm
 * against a cohort drawn from the same split (the training job and its
 * class-fold cross-validation score pairs the same way).
 */
import type { IndexPairs, LabelledDataset } from 'contrastive/internal/data/types.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import type { SiameseNetwork } from 'contrastive/internal/models/index.js';
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';
import { drawHeldOutPairs, scoreSplit } from 'contrastive/internal/eval/held-out-pairs.js';
import { drawCohort, sNormPairs } from 'contrastive/internal/eval/score-norm.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';

/** With `scoreNorm: 's-norm'`: the size of each cohort and the run's seed (each cohort is drawn from the split its pairs come from). */
export interface SNormRun {
  size: number;
  seed: number;
}

/**
 * The scores the threshold applies to for `pairs` of a split whose embeddings
 * are `emb`: the distances, or with `norm` their S-norm against a cohort drawn
 * from the same embeddings (unlabelled: the pairs' domain, never another split's).
 */
export function pairScores(
  emb: Float32Array,
  dim: number,
  pairs: IndexPairs,
  distances: Float32Array,
  distance: DistanceName,
  norm: SNormRun | undefined,
): { scores: Float32Array | Float64Array; cohort?: Float32Array } {
  if (!norm) return { scores: distances };
  const cohort = drawCohort(emb, dim, norm.size, (norm.seed ^ HELD_OUT_PAIRS.cohortSalt) >>> 0);
  return { scores: sNormPairs(emb, dim, pairs.i, pairs.j, distances, cohort, distance), cohort };
}

/**
 * The scores of `count` validation pairs of `validation` (drawn from `seed` as the
 * trainer draws them) under `network`, as the threshold sees them: distances, or
 * their S-norm with `norm`; with the pairs' labels.
 */
export async function validationPairScores(
  network: SiameseNetwork,
  validation: LabelledDataset,
  count: number,
  seed: number,
  distance: DistanceName,
  norm: SNormRun | undefined,
): Promise<{ scores: Float32Array | Float64Array; labels: Uint8Array }> {
  const pairs = drawHeldOutPairs(validation, count, seed ^ HELD_OUT_PAIRS.validationSalt);
  const emb = await embedExamples(network, validation);
  const d = await scoreSplit(network, validation, pairs, { distance }, undefined, emb);
  return { scores: pairScores(emb, network.embeddingDim, pairs, d, distance, norm).scores, labels: pairs.labels };
}
