/**
 * The contrastive loss of Hadsell, Chopra and LeCun (2006):
 * L = (1 - Y) * 1/2 * D^2 + Y * 1/2 * max(0, m - D)^2, Y = 0 similar, Y = 1 dissimilar.
 */
import * as tf from '@tensorflow/tfjs';
import { check, ContrastiveError } from '../errors.js';
import { checkDistance, checkSameMatrixShape, pairDistances, type DistanceLike } from '../distances/index.js';
import { conventionRule, type ConventionRule, type ContrastiveConvention } from './conventions.js';
import { fusedContrastiveLoss } from './fused-contrastive.js';
import { asFloat, checkFiniteValues, checkOptionKeys, readBinaryLabels, type LabelsInput } from './inputs.js';
import { checkMargin } from './margin.js';
import { contrastivePerPair } from './pair-loss.js';
import { checkReduction, readWeights, reduceLoss, type PairWeights, type Reduction } from './reduction.js';

/** Options of {@link contrastiveLoss}. @group Losses */
export interface ContrastiveLossOptions {
  /** Margin m beyond which a dissimilar pair costs nothing; >= 0, default 1. */
  margin?: number;
  /**
   * Positive margin m+ (pytorch-metric-learning's `pos_margin`): a similar pair
   * costs scale * max(0, D - m+)^2, so pairs already closer than m+ are left
   * alone. 0 (the default) is exactly the classic loss's scale * D^2 (Hadsell et al. 2006). Must be >= 0.
   */
  posMargin?: number;
  /** Default 'mean'; 'none' returns the [N] per-pair losses; 'mean-nonzero' averages over the pairs with a non-zero loss. */
  reduction?: Reduction;
  /**
   * Per-pair weights w_i (Keras / TensorFlow Addons `sample_weight`): the loss of pair i is
   * multiplied by w_i, and 'mean' is sum(w_i L_i) / N. One number scales every pair. Default: all 1.
   */
  weights?: PairWeights;
  /** Distance D between the two rows: a name (default 'euclidean') or a {@link Distance} object. */
  distance?: DistanceLike;
  /** Label meaning and scale, see {@link ContrastiveConvention}; default 'hadsell'. */
  convention?: ContrastiveConvention;
  /**
   * 'fused' (default): the Euclidean loss runs as one hand-written pass computing the loss and
   * both gradients; other distances always use TF.js ops. 'ops': force the TF.js-ops path
   * (a reference, and the baseline of `npm run bench:loss`).
   */
  implementation?: 'fused' | 'ops';
}

/** Options of {@link contrastiveLossFromDistance} and {@link contrastiveLossFn}. @group Losses */
export type ContrastiveLossFromDistanceOptions = Pick<ContrastiveLossOptions, 'margin' | 'posMargin' | 'reduction' | 'convention' | 'weights'>;

interface Resolved {
  margin: number;
  posMargin: number;
  reduction: Reduction;
  distance: DistanceLike;
  rule: ConventionRule;
  convention: ContrastiveConvention;
  implementation: 'fused' | 'ops';
  weights?: PairWeights;
}

const OPTION_KEYS = ['margin', 'posMargin', 'reduction', 'distance', 'convention', 'implementation', 'weights'] as const;

function resolve(options: ContrastiveLossOptions | undefined, fn: string, keys: readonly string[] = OPTION_KEYS): Resolved {
  checkOptionKeys(options, keys, fn);
  const { margin = 1, posMargin = 0, reduction = 'mean', distance = 'euclidean', convention = 'hadsell', implementation = 'fused', weights } = options ?? {};
  checkMargin(margin, fn);
  check(typeof posMargin === 'number' && Number.isFinite(posMargin) && posMargin >= 0, fn, `posMargin must be a finite number >= 0, got ${String(posMargin)}`);
  checkReduction(reduction, fn);
  checkDistance(distance, fn);
  const rule = conventionRule(convention, fn);
  check(implementation === 'fused' || implementation === 'ops', fn, `unknown implementation '${String(implementation)}' (expected fused or ops)`);
  return { margin, posMargin, reduction, distance, rule, convention, implementation, weights };
}

function labelMeaning(rule: ConventionRule, convention: ContrastiveConvention): string {
  const other = 1 - rule.similarLabel;
  return `convention '${convention}': ${rule.similarLabel} = similar, ${other} = dissimilar`;
}

/** Maps labels to 1 = pulled together (similar), 0 = pushed past the margin, under a convention. */
function similarMask(labels: ArrayLike<number>, rule: ConventionRule): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === rule.similarLabel ? 1 : 0;
  return out;
}

/** Per-pair loss from distances with TF.js ops (pair-loss.ts); `similar` is 1 for pulled pairs. */
function perPairFromDistances(dist: tf.Tensor1D, similar: Uint8Array, rule: ConventionRule, margin: number, posMargin: number): tf.Tensor1D {
  return contrastivePerPair(dist, similar, { margin, posMargin, scale: rule.scale });
}

/** Throws when a distance is non-finite: the cheap end-of-pipeline check of the TF.js-ops path. */
function checkDistancesFinite(dist: tf.Tensor1D, fn: string): void {
  const values = dist.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ContrastiveError('NUMERIC', `${fn}: the distance of row ${i} is ${values[i]} (a non-finite value in emb1 or emb2, or float32 overflow)`);
    }
  }
}

/**
 * Contrastive loss between paired rows of `emb1` and `emb2`.
 *
 * With the default convention 'hadsell', labels Y are 0 for a similar pair and
 * 1 for a dissimilar one, D is the distance between the rows and m the margin:
 *
 *     L = (1 - Y) * 1/2 * D^2 + Y * 1/2 * max(0, m - D)^2
 *
 * Other conventions ('tfa', 'keras-io') are explicit presets, see
 * {@link ContrastiveConvention}. With D = 'squaredEuclidean' or 'cosine', D in
 * the formula is that distance.
 *
 * The Euclidean loss (the default) is one fused pass that computes the loss and
 * both gradients together (it is the fast path of training). Gradients are finite
 * everywhere: at D = 0 a similar pair has gradient 0 and a dissimilar pair is
 * pushed apart along u = (1, ..., 1)/sqrt(d) (see `pairDistances`).
 *
 * @param emb1 - [N, d] embeddings of the first element of each pair.
 * @param emb2 - [N, d] embeddings of the second element.
 * @param labels - N labels, each 0 or 1 (meaning set by `options.convention`).
 * @returns a scalar ('mean', 'sum') or the [N] per-pair losses ('none').
 * @throws ContrastiveError on mismatched N or d, labels other than 0/1, non-finite
 *   values, a negative margin or an unknown option.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { contrastiveLoss } from 'contrastive';
 *
 * const e1 = tf.tensor2d([[0, 0], [0, 0]]);
 * const e2 = tf.tensor2d([[0, 0.5], [0, 0.5]]);
 * // Pair 0 similar (label 0): 1/2 * 0.5^2; pair 1 dissimilar (label 1): 1/2 * (1 - 0.5)^2.
 * contrastiveLoss(e1, e2, [0, 1], { margin: 1, reduction: 'none' }).print(); // [0.125, 0.125]
 * ```
 * @group Losses
 */
export function contrastiveLoss(emb1: tf.Tensor2D, emb2: tf.Tensor2D, labels: LabelsInput, options?: ContrastiveLossOptions): tf.Tensor {
  const fn = 'contrastiveLoss';
  const o = resolve(options, fn);
  checkSameMatrixShape(emb1, emb2, fn, ['emb1', 'emb2']);
  const y = readBinaryLabels(labels, emb1.shape[0], fn, labelMeaning(o.rule, o.convention));
  const similar = similarMask(y, o.rule);
  const weights = o.weights === undefined ? undefined : readWeights(o.weights, emb1.shape[0], fn);
  return lossFromMask(emb1, emb2, similar, o, fn, weights);
}

/** Shared by {@link contrastiveLoss} and the index-based pair loss: inputs checked, `similar` mapped, weights read. */
export function lossFromMask(emb1: tf.Tensor2D, emb2: tf.Tensor2D, similar: Uint8Array, o: Resolved, fn: string, weights?: number | Float32Array): tf.Tensor {
  const e1 = asFloat(emb1);
  const e2 = asFloat(emb2);
  try {
    // The fused pass implements the classic formula (similar pairs cost scale * D^2); a positive margin takes the ops path.
    if (o.distance === 'euclidean' && o.implementation === 'fused' && o.posMargin === 0) {
      if (weights === undefined && o.reduction !== 'mean-nonzero') return fusedContrastiveLoss(e1, e2, similar, o.rule, o.margin, o.reduction, fn);
      // Weights and 'mean-nonzero' reduce the fused per-pair losses; their backward pass scales
      // each pair's fused gradient by its upstream gradient w_i / N (the kernels stay as they are).
      return tf.tidy(() => reduceLoss(fusedContrastiveLoss(e1, e2, similar, o.rule, o.margin, 'none', fn) as tf.Tensor1D, o.reduction, weights));
    }
    return tf.tidy(() => {
      const dist = pairDistances(e1, e2, o.distance);
      checkDistancesFinite(dist, fn);
      return reduceLoss(perPairFromDistances(dist, similar, o.rule, o.margin, o.posMargin), o.reduction, weights);
    });
  } finally {
    if (e1 !== emb1) e1.dispose();
    if (e2 !== emb2) e2.dispose();
  }
}

/** Validates contrastive-loss options for another function (e.g. the index-based losses). */
export function resolveContrastiveOptions(options: ContrastiveLossOptions | undefined, fn: string): Resolved {
  return resolve(options, fn);
}

/**
 * The contrastive loss on precomputed distances (e.g. the output of a Siamese
 * model that ends in a distance): same formula and conventions as
 * {@link contrastiveLoss}. In Keras argument order: labels first (`yTrue`),
 * distances second (`yPred`); both may be [N] or [N, 1].
 *
 * @param labels - N labels, 0/1 (meaning set by `options.convention`).
 * @param distances - N distances, finite and >= 0.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { contrastiveLossFromDistance } from 'contrastive';
 *
 * // TensorFlow Addons' convention (1 = similar) and sample weights: TFA's own test case.
 * const loss = contrastiveLossFromDistance([0, 0, 1, 1, 0, 1], tf.tensor1d([0.1, 0.3, 1.3, 0.7, 1.1, 0.5]), {
 *   convention: 'tfa',
 *   weights: [1.2, 0.8, 0.5, 0.4, 1.5, 1.0],
 * });
 * console.log(loss.dataSync()[0].toFixed(4)); // 0.4425
 * ```
 * @group Losses
 */
export function contrastiveLossFromDistance(labels: LabelsInput, distances: tf.Tensor, options?: ContrastiveLossFromDistanceOptions): tf.Tensor {
  const fn = 'contrastiveLossFromDistance';
  const o = resolve(options, fn, ['margin', 'posMargin', 'reduction', 'convention', 'weights']);
  check(distances instanceof tf.Tensor, fn, 'distances must be a tf.Tensor1D');
  check(
    distances.rank === 1 || (distances.rank === 2 && distances.shape[1] === 1),
    fn,
    `distances must be a 1-D [N] (or [N, 1]) tensor, got shape [${distances.shape.join(', ')}]`,
  );
  const n = distances.shape[0];
  const y = readBinaryLabels(labels, n, fn, labelMeaning(o.rule, o.convention));
  const dv = distances.dataSync();
  checkFiniteValues(dv, fn, 'distances');
  for (let i = 0; i < n; i++) check(dv[i] >= 0, fn, `distances[${i}] = ${dv[i]} is negative`);
  const similar = similarMask(y, o.rule);
  const weights = o.weights === undefined ? undefined : readWeights(o.weights, n, fn);
  return tf.tidy(() => {
    const dist = tf.reshape(asFloat(distances), [n]) as tf.Tensor1D;
    return reduceLoss(perPairFromDistances(dist, similar, o.rule, o.margin, o.posMargin), o.reduction, weights);
  });
}

/**
 * A Keras-style loss `(yTrue, yPred) => scalar` for `model.compile({ loss })`,
 * where the model outputs the distance of each pair ([N] or [N, 1]) and
 * `yTrue` holds the 0/1 labels. Reduction 'mean' (default), 'sum' or 'mean-nonzero'.
 * @group Losses
 */
export function contrastiveLossFn(options?: Omit<ContrastiveLossFromDistanceOptions, 'weights'>): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const fn = 'contrastiveLossFn';
  const o = resolve(options, fn, ['margin', 'posMargin', 'reduction', 'convention']);
  check(o.reduction !== 'none', fn, "reduction 'none' is not a Keras loss (it must return a scalar); use 'mean', 'sum' or 'mean-nonzero'");
  const opts: ContrastiveLossFromDistanceOptions = { margin: o.margin, posMargin: o.posMargin, reduction: o.reduction, convention: o.convention };
  return (yTrue, yPred) => contrastiveLossFromDistance(yTrue, yPred, opts) as tf.Scalar;
}
