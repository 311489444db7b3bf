/**
 * How a saved bundle scores pairs: embeddings with the bundle's preprocessing,
 * its distance or its stored cross-entropy head, on the pairs the training run
 * drew for that split.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { type IndexPairs, type LabelledDataset, type PairDataset } from 'contrastive/internal/data/types.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import { KochHead } from 'contrastive/internal/train/koch-head.js';
import { scoreSplit, drawHeldOutPairs } from 'contrastive/internal/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { isPairDataset } from 'contrastive/internal/data/types.js';
import { drawCohort, sNormPairs } from 'contrastive/internal/eval/score-norm.js';
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';

import { type SplitName } from './choices.js';


import { type OpenBundle, type BundleDataOptions } from './bundle-split.js';

// The pair-draw seeds runTraining used (seed ^ 0x5eed for validation, seed ^ 0x7e57 for test).

/** The cross-entropy head stored in manifest.loss.head, if any. */
export function headOf(bundle: OpenBundle, fn = 'headOf'): KochHead | undefined {
  const head = (bundle.manifest.loss as { head?: unknown } | null)?.head as { weights?: unknown; bias?: unknown } | undefined;
  if (head === undefined || head === null) return undefined;
  const dim = bundle.network.embeddingDim;
  const ok =
    Array.isArray(head.weights) && head.weights.length === dim && head.weights.every((w) => Number.isFinite(w)) && Number.isFinite(head.bias as number);
  if (!ok) throw new ContrastiveError('INVALID_DATA', `${fn}: ${bundle.dir}: manifest loss.head must be { weights: ${dim} finite numbers, bias: number }`);
  return new KochHead(dim, { weights: head.weights as number[], bias: head.bias as number });
}

/** The distance that scores pairs: the network's, or the head's negated logit. */
export interface PairScorer {
  distance: DistanceName;
  head?: KochHead;
}

/** The bundle's pair scorer: its distance, and its stored head if any. */
export function scorerOf(bundle: OpenBundle, fn: string): PairScorer {
  return { distance: bundle.network.distanceName, head: headOf(bundle, fn) };
}

/** Embeddings of raw rows with the bundle's preprocessing applied. */
export async function embedAll(bundle: OpenBundle, x: Float32Array): Promise<Float32Array> {
  return bundle.network.embedBatched(toModelInput(x, bundle.manifest.input.preprocessing));
}

/**
 * Scores pairs of a split with the bundle, its preprocessing applied.
 *
 * @throws ContrastiveError NUMERIC naming the bundle and the pair when a distance is not finite
 *   (the metrics below would only say "distances[k] is NaN").
 */
export async function scoreSplitPairs(
  bundle: OpenBundle,
  data: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  scorer: PairScorer,
  embeddings?: Float32Array,
): Promise<Float32Array> {
  const d = await scoreSplit(bundle.network, data, pairs, scorer, (x) => embedAll(bundle, x), embeddings);
  const k = d.findIndex((v) => !Number.isFinite(v));
  if (k >= 0) {
    const src = (i: number): string => (data.sources?.[i] !== undefined ? data.sources[i] : `row ${i}`);
    const pair = 'a' in data ? (data.sources?.[k] ?? `pair ${k}`) : `${src(pairs.i[k])} and ${src(pairs.j[k])}`;
    throw new ContrastiveError('NUMERIC', `the bundle ${bundle.dir} scores ${pair} of '${data.name}' at distance ${d[k]}: its embeddings are not finite there (a damaged or diverged model, or inputs far outside what it was trained on)`);
  }
  return d;
}

/** The pairs of a split the training run drew (count and seed overridable), checked. */
export function pairsFor(data: LabelledDataset | PairDataset, split: SplitName, runSeed: number, o: BundleDataOptions, fn: string): IndexPairs {
  const count = o.pairs ?? (split === 'validation' ? HELD_OUT_PAIRS.validation : HELD_OUT_PAIRS.test);
  check(Number.isInteger(count) && count >= 1, fn, `pairs must be a positive integer, got ${count}`);
  const seed = o.seed ?? (runSeed ^ (split === 'validation' ? HELD_OUT_PAIRS.validationSalt : HELD_OUT_PAIRS.testSalt));
  check(Number.isInteger(seed) && seed >= 0, fn, `seed must be a non-negative integer, got ${seed}`);
  check(data.labels.length > 0, fn, `the ${split} split of '${data.name}' is empty`);
  return drawHeldOutPairs(data, count, seed);
}

/**
 * The scores a bundle's threshold applies to for `pairs` of a split: the
 * distances, or for a bundle with `scoreNorm` their S-norm against a cohort of
 * the split's own embeddings, drawn as the training run drew it (its size and
 * seed), so eval and calibrate score a split as the run did.
 *
 * @throws ContrastiveError for an S-norm bundle on a pairs-only dataset (no examples to draw a cohort from).
 */
export async function bundlePairScores(
  bundle: OpenBundle,
  data: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  distances: Float32Array,
  runSeed: number,
  fn: string,
  embeddings?: Float32Array,
): Promise<Float32Array | Float64Array> {
  const norm = bundle.manifest.scoreNorm;
  if (!norm) return distances;
  check(!isPairDataset(data), fn, `the bundle ${bundle.dir} scores pairs by S-norm against a cohort of the data's own examples; '${data.name}' has pairs only`);
  // through the split's example store: a streamed folder: set has no x in memory
  const emb = embeddings ?? (await embedExamples(bundle.network, data, { embed: (x) => embedAll(bundle, x) }));
  const dim = bundle.network.embeddingDim;
  const cohort = drawCohort(emb, dim, norm.size, (runSeed ^ HELD_OUT_PAIRS.cohortSalt) >>> 0);
  return sNormPairs(emb, dim, pairs.i, pairs.j, distances, cohort, bundle.network.distanceName);
}
