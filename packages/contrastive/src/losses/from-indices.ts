/**
 * Losses over index tuples mined in a batch (as pytorch-metric-learning's
 * generic pair loss): the miner says which rows form pairs or triplets, the
 * same contrastive or triplet formula does the rest on their distances.
 *
 * The distances come from `indexPairDistances`' pair table, not from gathered
 * rows: a 256-example batch can yield millions of triplets, and gathering
 * 3 * T * d floats cost seconds per step (and ran the wasm heap out of memory),
 * while each distinct row pair of the batch is only computed once.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { checkIndexList as checkIndices, flatPairDistances } from '../distances/index-pair-distances.js';
import { resolveContrastiveOptions, type ContrastiveLossOptions } from './contrastive.js';
import { pullTerm, pushTerm } from './pair-loss.js';
import { readWeights, reduceLoss } from './reduction.js';
import { resolveTripletOptions, type TripletLossOptions } from './triplet.js';
import type { PairIndices, TripletIndices } from '../miners/types.js';

function checkEmbeddings(embeddings: tf.Tensor, fn: string): asserts embeddings is tf.Tensor2D {
  check(embeddings instanceof tf.Tensor, fn, 'embeddings must be a tf.Tensor2D');
  check(embeddings.rank === 2, fn, `embeddings must be a 2-D [N, d] tensor, got shape [${embeddings.shape.join(', ')}]`);
}

/** A zero that still depends on `embeddings`, so that autodiff sees a (zero) gradient. */
function zeroLoss(embeddings: tf.Tensor, reduction: string): tf.Tensor {
  return reduction === 'none' ? tf.zeros([0]) : tf.mul(tf.sum(embeddings), 0);
}

/** Flat indices first[k] * rows + second[k] of two concatenated tuple lists into the [rows, rows] pair table. */
function flatIndices(rows: number, first: ArrayLike<number>[], second: ArrayLike<number>[]): Int32Array {
  let total = 0;
  for (const f of first) total += f.length;
  const flat = new Int32Array(total);
  let at = 0;
  for (let part = 0; part < first.length; part++) {
    const f = first[part];
    const s = second[part];
    for (let k = 0; k < f.length; k++) flat[at++] = f[k] * rows + s[k];
  }
  return flat;
}

/**
 * Contrastive loss over mined pairs: positives (a1[k], p[k]) count as similar,
 * negatives (a2[k], n[k]) as dissimilar, whatever the convention's label values.
 * Same formula, conventions, margin and distances as {@link contrastiveLoss}:
 * scale * D^2 for a positive (scale * max(0, D - posMargin)^2 with a positive
 * margin), scale * max(0, m - D)^2 for a negative. The
 * distances come from the batch's pair table (see `indexPairDistances`), so the
 * cost grows with the number of distinct row pairs, not with P * d. No pairs
 * gives a zero loss (that still depends on `embeddings`). For 'none' the
 * [P + Q] losses list the positives first, then the negatives, and so do
 * `weights` (P + Q of them, or one number). The `implementation` option has no effect here.
 *
 * @param embeddings - [N, d] batch embeddings.
 * @param pairs - the mined index tuples.
 * @group Losses
 */
export function pairLossFromIndices(embeddings: tf.Tensor2D, pairs: PairIndices, options?: ContrastiveLossOptions): tf.Tensor {
  const fn = 'pairLossFromIndices';
  const o = resolveContrastiveOptions(options, fn);
  checkEmbeddings(embeddings, fn);
  check(pairs != null && typeof pairs === 'object', fn, 'pairs must be { a1, p, a2, n }');
  const rows = embeddings.shape[0];
  checkIndices(pairs.a1, 'pairs.a1', rows, fn);
  checkIndices(pairs.p, 'pairs.p', rows, fn);
  checkIndices(pairs.a2, 'pairs.a2', rows, fn);
  checkIndices(pairs.n, 'pairs.n', rows, fn);
  check(pairs.a1.length === pairs.p.length, fn, `pairs.a1 has ${pairs.a1.length} indices but pairs.p has ${pairs.p.length}`);
  check(pairs.a2.length === pairs.n.length, fn, `pairs.a2 has ${pairs.a2.length} indices but pairs.n has ${pairs.n.length}`);
  const np = pairs.a1.length;
  const nn = pairs.a2.length;
  const weights = o.weights === undefined ? undefined : readWeights(o.weights, np + nn, fn);
  if (np + nn === 0) return zeroLoss(embeddings, o.reduction);
  const flat = flatIndices(rows, [pairs.a1, pairs.a2], [pairs.p, pairs.n]);
  return tf.tidy(() => {
    const dist = flatPairDistances(embeddings, flat, o.distance, fn);
    const parts: tf.Tensor1D[] = [];
    // Positives are pulled together, negatives pushed past the margin.
    if (np > 0) parts.push(pullTerm(tf.slice(dist, 0, np), o.posMargin));
    if (nn > 0) parts.push(pushTerm(tf.slice(dist, np, nn), o.margin));
    const perPair = tf.mul(parts.length === 1 ? parts[0] : tf.concat(parts), o.rule.scale) as tf.Tensor1D;
    return reduceLoss(perPair, o.reduction, weights);
  });
}

/**
 * Triplet loss max(0, d(anchor, positive) - d(anchor, negative) + m) over mined
 * triplets (anchor[k], positive[k], negative[k]): same values and gradients as
 * {@link tripletLoss} on the gathered rows, computed from the batch's pair table
 * (see `indexPairDistances`), so millions of triplets of a few-hundred-row batch
 * cost milliseconds. No triplets gives a zero loss (that still depends on `embeddings`).
 * @group Losses
 */
export function tripletLossFromIndices(embeddings: tf.Tensor2D, triplets: TripletIndices, options?: TripletLossOptions): tf.Tensor {
  const fn = 'tripletLossFromIndices';
  const o = resolveTripletOptions(options, fn);
  checkEmbeddings(embeddings, fn);
  check(triplets != null && typeof triplets === 'object', fn, 'triplets must be { anchor, positive, negative }');
  const rows = embeddings.shape[0];
  checkIndices(triplets.anchor, 'triplets.anchor', rows, fn);
  checkIndices(triplets.positive, 'triplets.positive', rows, fn);
  checkIndices(triplets.negative, 'triplets.negative', rows, fn);
  const t = triplets.anchor.length;
  check(
    triplets.positive.length === t && triplets.negative.length === t,
    fn,
    `anchor, positive and negative must have the same length, got ${t}, ${triplets.positive.length}, ${triplets.negative.length}`,
  );
  if (t === 0) return zeroLoss(embeddings, o.reduction);
  const flat = flatIndices(rows, [triplets.anchor, triplets.anchor], [triplets.positive, triplets.negative]);
  return tf.tidy(() => {
    const dist = flatPairDistances(embeddings, flat, o.distance, fn);
    const dap = tf.slice(dist, 0, t);
    const dan = tf.slice(dist, t, t);
    const perTriplet = tf.relu(tf.add(tf.sub(dap, dan), o.margin)) as tf.Tensor1D;
    return reduceLoss(perTriplet, o.reduction);
  });
}
