/**
 * Held-out pairs: which pairs of a validation or test split are scored, and how.
 * Training (validation every epoch), `eval` and `calibrate` share these, so they
 * score exactly the same pairs (their counts and seeds: HELD_OUT_PAIRS in
 * train/choices.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { isPairDataset, type LabelledDataset, type PairDataset, type IndexPairs } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import { pairDistances, type DistanceLike } from '../distances/index.js';
import { makePairs } from '../samplers/index.js';
import { gatherRows } from '../util/rows.js';
import { hasExampleStore } from '../data/examples.js';
import { embedExamples } from './embed-examples.js';

/**
 * A head that scores pairs of embeddings itself (the cross-entropy baseline's
 * `KochHead`): its distance of each pair, smaller meaning more similar.
 * @group Evaluation
 */
export interface PairHead {
  /** One distance per pair of rows of `e1` and `e2`. */
  distances(e1: tf.Tensor2D, e2: tf.Tensor2D): Float32Array;
}

/**
 * Distances of pairs of embedding rows: the network's distance, or for the
 * cross-entropy baseline the head's negated logit.
 * @group Evaluation
 */
export function scorePairs(
  embA: Float32Array,
  embB: Float32Array,
  dim: number,
  ia: ArrayLike<number>,
  ib: ArrayLike<number>,
  scorer: { distance: DistanceLike; head?: PairHead },
): Float32Array {
  return tf.tidy(() => {
    const e1 = tf.tensor2d(gatherRows(embA, dim, ia), [ia.length, dim]);
    const e2 = tf.tensor2d(gatherRows(embB, dim, ib), [ib.length, dim]);
    if (scorer.head) return scorer.head.distances(e1, e2);
    return pairDistances(e1, e2, scorer.distance).dataSync() as Float32Array;
  });
}

/**
 * The distance that ranks retrieval for a scorer: its own, or Euclidean for the
 * cross-entropy baseline, whose head scores pairs (a logit), not neighbours.
 * @group Evaluation
 */
export function retrievalDistance<D extends DistanceLike>(scorer: { distance: D; head?: unknown }): D | 'euclidean' {
  return scorer.head != null ? 'euclidean' : scorer.distance;
}

/** Held-out pairs of a split (validation or test): `count` balanced pairs, at most as many as the split has distinct pairs. @group Evaluation */
export function drawHeldOutPairs(data: LabelledDataset | PairDataset, count: number, seed: number): IndexPairs {
  if (isPairDataset(data)) return { i: data.a, j: data.b, labels: data.labels };
  // A small split has fewer distinct pairs than asked for: repeating pairs would only inflate the count.
  const n = data.labels.length;
  const distinct = (n * (n - 1)) / 2;
  return makePairs(data.labels, { count: Math.max(2, Math.min(count, distinct)), positiveFraction: 0.5, seed });
}

/** How a split's raw examples become embeddings (default: the network's own embedBatched). @group Evaluation */
export type EmbedRows = (x: Float32Array) => Promise<Float32Array>;

/**
 * Embeds a split and scores the given pairs of it. `embed` maps raw rows to
 * embeddings (a bundle adds its preprocessing there); `embeddings` reuses
 * embeddings of a labelled split computed already.
 * @group Evaluation
 */
export async function scoreSplit(
  network: SiameseNetwork,
  data: LabelledDataset | PairDataset,
  pairs: IndexPairs,
  scorer: { distance: DistanceLike; head?: PairHead },
  embed: EmbedRows = (x) => network.embedBatched(x),
  embeddings?: Float32Array,
): Promise<Float32Array> {
  const dim = network.embeddingDim;
  // a pairs-only dataset holds each example once too: the pairs index its rows
  if (embeddings === undefined && hasExampleStore(data)) {
    // bytes or files: embed only the rows the pairs name, a chunk at a time
    const used = Int32Array.from(new Set([...pairs.i, ...pairs.j])).sort();
    const at = new Map<number, number>();
    used.forEach((r, k) => at.set(r, k));
    const emb = await embedExamples(network, data.examples.subset(used), { embed });
    return scorePairs(emb, emb, dim, Int32Array.from(pairs.i, (r) => at.get(r)!), Int32Array.from(pairs.j, (r) => at.get(r)!), scorer);
  }
  const emb = embeddings ?? (await embed(data.x));
  return scorePairs(emb, emb, dim, pairs.i, pairs.j, scorer);
}
