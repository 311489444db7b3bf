/**
 * Losses over index tuples mined in a batch (as pytorch-metric-learning's
 * generic pair loss): the miner says which rows form pairs or triplets, the
 * same contrastive or triplet loss does the rest on the gathered rows.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { lossFromMask, resolveContrastiveOptions, type ContrastiveLossOptions } from './contrastive.js';
import { resolveTripletOptions, tripletFromRows, type TripletLossOptions } from './triplet.js';

/** Mined pairs: positives (a1[k], p[k]) and negatives (a2[k], n[k]), row indices into the batch. */
export interface MinedPairs {
  a1: Int32Array;
  p: Int32Array;
  a2: Int32Array;
  n: Int32Array;
}

/** Mined triplets (anchor[k], positive[k], negative[k]), row indices into the batch. */
export interface MinedTriplets {
  anchor: Int32Array;
  positive: Int32Array;
  negative: Int32Array;
}

function checkIndices(idx: unknown, name: string, rows: number, fn: string): asserts idx is ArrayLike<number> {
  check(
    idx instanceof Int32Array || idx instanceof Uint32Array || Array.isArray(idx),
    fn,
    `${name} must be an Int32Array of row indices`,
  );
  const v = idx as ArrayLike<number>;
  for (let k = 0; k < v.length; k++) {
    const i = v[k];
    check(Number.isInteger(i) && i >= 0 && i < rows, fn, `${name}[${k}] = ${i} is not a row index in [0, ${rows})`);
  }
}

function checkEmbeddings(embeddings: tf.Tensor, fn: string): asserts embeddings is tf.Tensor2D {
  check(embeddings instanceof tf.Tensor, fn, 'embeddings must be a tf.Tensor2D');
  check(embeddings.rank === 2, fn, `embeddings must be a 2-D [N, d] tensor, got shape [${embeddings.shape.join(', ')}]`);
}

/** A zero that still depends on `embeddings`, so that autodiff sees a (zero) gradient. */
function zeroLoss(embeddings: tf.Tensor, reduction: string): tf.Tensor {
  return reduction === 'none' ? tf.zeros([0]) : tf.mul(tf.sum(embeddings), 0);
}

/**
 * Contrastive loss over mined pairs: positives (a1[k], p[k]) count as similar,
 * negatives (a2[k], n[k]) as dissimilar, whatever the convention's label values.
 * The pairs are gathered from `embeddings` and go through {@link contrastiveLoss}
 * (so the Euclidean default is the fused pass). No pairs gives a zero loss.
 * For 'none' the [P + Q] losses list the positives first, then the negatives.
 *
 * @param embeddings - [N, d] batch embeddings.
 * @param pairs - the mined index tuples.
 */
export function pairLossFromIndices(embeddings: tf.Tensor2D, pairs: MinedPairs, options?: ContrastiveLossOptions): tf.Tensor {
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
  if (np + nn === 0) return zeroLoss(embeddings, o.reduction);
  const first = new Int32Array(np + nn);
  const second = new Int32Array(np + nn);
  first.set(pairs.a1, 0);
  first.set(pairs.a2, np);
  second.set(pairs.p, 0);
  second.set(pairs.n, np);
  const similar = new Uint8Array(np + nn);
  similar.fill(1, 0, np);
  return tf.tidy(() => {
    const e1 = tf.gather(embeddings, tf.tensor1d(first, 'int32')) as tf.Tensor2D;
    const e2 = tf.gather(embeddings, tf.tensor1d(second, 'int32')) as tf.Tensor2D;
    return lossFromMask(e1, e2, similar, o, fn);
  });
}

/**
 * Triplet loss over mined triplets (anchor[k], positive[k], negative[k]),
 * gathered from `embeddings` and passed to {@link tripletLoss}. No triplets gives a zero loss.
 */
export function tripletLossFromIndices(embeddings: tf.Tensor2D, triplets: MinedTriplets, options?: TripletLossOptions): tf.Tensor {
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
  return tf.tidy(() => {
    const pick = (idx: ArrayLike<number>) => tf.gather(embeddings, tf.tensor1d(Int32Array.from(idx), 'int32')) as tf.Tensor2D;
    return tripletFromRows(pick(triplets.anchor), pick(triplets.positive), pick(triplets.negative), o, fn);
  });
}
