/**
 * A distance as an object: the built-in distances and your own, one shape for
 * the losses, the miners (through the trainer), the metrics and knn alike.
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { DISTANCE_NAMES, type DistanceName } from './names.js';

/**
 * A distance between embedding rows. Both methods must be differentiable with
 * TF.js ops (the trainer takes gradients through them) and return values >= 0.
 * @group Distances
 */
export interface Distance {
  /** A name for messages, checkpoints and manifests. */
  readonly name: string;
  /** Row-wise distances D[i] = distance(a[i], b[i]) of two [N, d] matrices: [N]. */
  pairs(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D;
  /** All-pairs distances M[i, j] = distance(x[i], y[j]) of [N, d] and [M, d]: [N, M]. */
  matrix(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
}

/** A distance by name, or a {@link Distance} object of your own. @group Distances */
export type DistanceLike = DistanceName | Distance;

/** Whether `d` is a {@link Distance} object (rather than a name). @group Distances */
export function isDistanceObject(d: unknown): d is Distance {
  return typeof d === 'object' && d !== null && typeof (d as Distance).pairs === 'function' && typeof (d as Distance).matrix === 'function';
}

/** Throws a ContrastiveError naming `fn` when `d` is neither a {@link DistanceName} nor a {@link Distance}. @group Distances */
export function checkDistance(d: unknown, fn: string): asserts d is DistanceLike {
  if (typeof d === 'string') {
    check((DISTANCE_NAMES as readonly string[]).includes(d), fn, `unknown distance '${d}' (expected one of ${DISTANCE_NAMES.join(', ')}, or a distance object { name, pairs, matrix })`);
    return;
  }
  check(
    isDistanceObject(d) && typeof d.name === 'string',
    fn,
    `distance must be one of ${DISTANCE_NAMES.join(', ')} or an object { name: string, pairs(a, b), matrix(x, y) }, got ${d === null ? 'null' : typeof d}`,
  );
}

/** The name of a distance (a built-in's own name, or the object's `name`). @group Distances */
export function distanceName(d: DistanceLike): string {
  return typeof d === 'string' ? d : d.name;
}

/**
 * A distance's all-pairs matrix from its row-pair distances: every row of `x`
 * against every row of `y`, through `pairs` on the [N * M, d] expanded rows.
 * Differentiable whenever `pairs` is; memory N * M * d.
 * @group Distances
 */
export function matrixFromPairs(pairs: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, d] = x.shape;
    const m = y.shape[0];
    const a = tf.reshape(tf.tile(tf.expandDims(x, 1), [1, m, 1]), [n * m, d]) as tf.Tensor2D;
    const b = tf.reshape(tf.tile(tf.expandDims(y, 0), [n, 1, 1]), [n * m, d]) as tf.Tensor2D;
    return tf.reshape(pairs(a, b), [n, m]) as tf.Tensor2D;
  });
}

/**
 * Runs a user's distance on `a`, `b` and checks what comes back: a [N] tensor
 * (`pairs`) or an [N, M] tensor (`matrix`), so a wrong shape is named here and
 * not deep inside a loss.
 */
export function callDistance(distance: Distance, kind: 'pairs' | 'matrix', a: tf.Tensor2D, b: tf.Tensor2D, fn: string): tf.Tensor {
  const out = kind === 'pairs' ? distance.pairs(a, b) : distance.matrix(a, b);
  const expected = kind === 'pairs' ? [a.shape[0]] : [a.shape[0], b.shape[0]];
  check(
    out instanceof tf.Tensor && out.rank === expected.length && out.shape.every((s, i) => s === expected[i]),
    fn,
    `distance '${distance.name}'.${kind} must return a tensor of shape [${expected.join(', ')}], got ${out instanceof tf.Tensor ? `shape [${out.shape.join(', ')}]` : typeof out}`,
  );
  return out;
}
