/**
 * Distances between rows of one batch picked by index pairs, differentiable and
 * NaN-safe: the distances that in-batch mined losses consume.
 *
 * Gathering the rows of every mined tuple costs T * d floats (a 256-example batch
 * easily yields millions of triplets). Here each distinct row pair of the batch is
 * computed once (at most B * B of them), the T distances are read from those, and
 * the backward pass first sums the T upstream gradients per row pair, then does
 * one O(d) update per pair: O(T + pairs * d) time and O(T + B * B) memory.
 */
import * as tf from '@tensorflow/tfjs';
import { check, ContrastiveError } from '../errors.js';
import type { DistanceName } from './names.js';
import { callDistance, checkDistance, isDistanceObject, type Distance, type DistanceLike } from './distance.js';
import { COSINE_EPS } from './pair-distances.js';
import { squaredDifference } from './squared-difference.js';

/** Row indices into a batch: an Int32Array, a Uint32Array or an array of integers. @group Distances */
export type Indices = Int32Array | Uint32Array | ArrayLike<number>;

/**
 * The distances of every row pair that appears in `flat` (entries a * B + b),
 * float64, as a symmetric B * B matrix; `used` marks the computed pairs.
 */
interface PairTable {
  dist: Float64Array;
  used: Uint8Array;
  /** Cosine only: max(|e_i|, eps), and whether |e_i|^2 >= eps^2 (the norm then depends on e_i). */
  norms?: Float64Array;
  normActive?: Uint8Array;
}

function checkFiniteRows(e: Float32Array, d: number, fn: string): void {
  for (let k = 0; k < e.length; k++) {
    if (!Number.isFinite(e[k])) {
      throw new ContrastiveError('NUMERIC', `${fn}: embeddings has a non-finite value (${e[k]}) at row ${Math.floor(k / d)}, column ${k % d}`);
    }
  }
}

function dot(e: Float32Array, i: number, j: number, d: number): number {
  let s = 0;
  const oi = i * d;
  const oj = j * d;
  for (let k = 0; k < d; k++) s += e[oi + k] * e[oj + k];
  return s;
}

function pairTable(e: Float32Array, rows: number, d: number, flat: Int32Array, distance: DistanceName, fn: string): PairTable {
  const used = new Uint8Array(rows * rows);
  for (let k = 0; k < flat.length; k++) used[flat[k]] = 1;
  const dist = new Float64Array(rows * rows);
  const table: PairTable = { dist, used };
  if (distance === 'cosine') {
    const eps2 = COSINE_EPS * COSINE_EPS;
    const norms = new Float64Array(rows);
    const normActive = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const s = dot(e, i, i, d);
      normActive[i] = s >= eps2 ? 1 : 0;
      norms[i] = Math.sqrt(Math.max(s, eps2));
    }
    table.norms = norms;
    table.normActive = normActive;
  }
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      const ij = i * rows + j;
      const ji = j * rows + i;
      if (!used[ij] && !used[ji]) continue;
      used[ij] = used[ji] = 1;
      let v: number;
      if (distance === 'cosine') v = 1 - dot(e, i, j, d) / (table.norms![i] * table.norms![j]);
      else if (i === j) v = 0;
      else {
        const sq = squaredDifference(e, i * d, e, j * d, d);
        v = distance === 'squaredEuclidean' ? sq : Math.sqrt(sq);
      }
      if (!Number.isFinite(Math.fround(v))) {
        throw new ContrastiveError('NUMERIC', `${fn}: the distance between rows ${i} and ${j} overflows float32 (${v})`);
      }
      dist[ij] = dist[ji] = v;
    }
  }
  return table;
}

/**
 * The gradient with respect to the [B, d] embeddings, given per row pair the summed
 * upstream gradient `w` and (Euclidean only) the summed negative upstream gradient
 * `push` of the tuples that met the pair collapsed (D = 0).
 */
function embeddingGradient(e: Float32Array, rows: number, d: number, t: PairTable, w: Float64Array, push: Float64Array | null, distance: DistanceName): Float32Array {
  const g = new Float64Array(rows * d);
  const u = 1 / Math.sqrt(d);
  for (let i = 0; i < rows; i++) {
    const oi = i * d;
    for (let j = i; j < rows; j++) {
      const ij = i * rows + j;
      if (!t.used[ij]) continue;
      const ji = j * rows + i;
      const oj = j * d;
      if (i === j) {
        // d(e_i, e_i) is constant except for the cosine of a row whose norm is floored at eps.
        if (distance === 'cosine' && !t.normActive![i] && w[ij] !== 0) {
          const c = (-2 * w[ij]) / (t.norms![i] * t.norms![i]);
          for (let k = 0; k < d; k++) g[oi + k] += c * e[oi + k];
        }
        continue;
      }
      // D is symmetric, so both orders of the pair share one derivative.
      const s = w[ij] + w[ji];
      if (distance === 'cosine') {
        if (s === 0) continue;
        const ni = t.norms![i];
        const nj = t.norms![j];
        const cos = 1 - t.dist[ij];
        const cross = -s / (ni * nj);
        const selfI = t.normActive![i] ? (s * cos) / (ni * ni) : 0;
        const selfJ = t.normActive![j] ? (s * cos) / (nj * nj) : 0;
        for (let k = 0; k < d; k++) {
          const a = e[oi + k];
          const b = e[oj + k];
          g[oi + k] += cross * b + selfI * a;
          g[oj + k] += cross * a + selfJ * b;
        }
        continue;
      }
      const D = t.dist[ij];
      if (distance === 'euclidean' && D === 0) {
        // Steepest-descent subgradient, as pairDistances: a collapsed pair that some tuple
        // wants apart moves along u = (1, ..., 1)/sqrt(d) for the first row, -u for the second.
        const p = push![ij] - push![ji];
        if (p === 0) continue;
        for (let k = 0; k < d; k++) {
          g[oi + k] += p * u;
          g[oj + k] -= p * u;
        }
        continue;
      }
      const c = distance === 'squaredEuclidean' ? 2 * s : s / D;
      if (c === 0) continue;
      for (let k = 0; k < d; k++) {
        const diff = c * (e[oi + k] - e[oj + k]);
        g[oi + k] += diff;
        g[oj + k] -= diff;
      }
    }
  }
  return Float32Array.from(g);
}

/**
 * Entries `flat` of a user distance's [B, B] matrix of the batch, differentiable:
 * the backward pass adds each entry's upstream gradient into its cell and lets
 * autodiff carry it through `matrix` (tf.gather has no gradient on wasm).
 */
function userFlatDistances(embeddings: tf.Tensor2D, flat: Int32Array, distance: Distance, fn: string): tf.Tensor1D {
  const rows = embeddings.shape[0];
  const pick = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const m = args[0] as tf.Tensor2D;
    const values = m.dataSync();
    const out = new Float32Array(flat.length);
    for (let k = 0; k < flat.length; k++) {
      out[k] = values[flat[k]];
      if (!Number.isFinite(out[k])) throw new ContrastiveError('NUMERIC', `${fn}: distance '${distance.name}' of rows ${Math.floor(flat[k] / rows)} and ${flat[k] % rows} is ${out[k]}`);
    }
    return {
      value: tf.tensor1d(out, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync();
        const cells = new Float32Array(rows * rows);
        for (let k = 0; k < flat.length; k++) cells[flat[k]] += g[k];
        return tf.tensor2d(cells, [rows, rows]);
      },
    };
  });
  return tf.tidy(() => pick(callDistance(distance, 'matrix', embeddings, embeddings, fn) as tf.Tensor2D) as tf.Tensor1D);
}

/** {@link indexPairDistances} with the caller's name for messages; `flat[k] = first[k] * B + second[k]`, already checked. */
export function flatPairDistances(embeddings: tf.Tensor2D, flat: Int32Array, distanceLike: DistanceLike, fn: string): tf.Tensor1D {
  if (isDistanceObject(distanceLike)) return userFlatDistances(embeddings, flat, distanceLike, fn);
  const distance = distanceLike as DistanceName;
  const [rows, d] = embeddings.shape;
  const x = embeddings.dtype === 'float32' ? embeddings : (tf.cast(embeddings, 'float32') as tf.Tensor2D);
  try {
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor2D;
      const e = input.dataSync() as Float32Array;
      checkFiniteRows(e, d, fn);
      const table = pairTable(e, rows, d, flat, distance, fn);
      const out = new Float32Array(flat.length);
      for (let k = 0; k < flat.length; k++) out[k] = table.dist[flat[k]];
      return {
        value: tf.tensor1d(out, 'float32'),
        gradFunc: (dy: tf.Tensor) => {
          const g = dy.dataSync() as Float32Array;
          const w = new Float64Array(rows * rows);
          const push = distance === 'euclidean' ? new Float64Array(rows * rows) : null;
          for (let k = 0; k < flat.length; k++) {
            const gk = g[k];
            w[flat[k]] += gk;
            if (push && gk < 0) push[flat[k]] += gk;
          }
          return tf.tensor2d(embeddingGradient(e, rows, d, table, w, push, distance), [rows, d], 'float32');
        },
      };
    });
    return op(x) as tf.Tensor1D;
  } finally {
    if (x !== embeddings) x.dispose();
  }
}

/** Checks a list of row indices into a batch of `rows` rows; `fn` and `name` go into the message. */
export function checkIndexList(idx: unknown, name: string, rows: number, fn: string): asserts idx is Indices {
  check(
    idx instanceof Int32Array || idx instanceof Uint32Array || Array.isArray(idx),
    fn,
    `${name} must be an Int32Array (or array) of row indices`,
  );
  const v = idx as ArrayLike<number>;
  // Integer typed arrays hold integers: only the range needs checking (T can be millions).
  const integral = !Array.isArray(v);
  for (let k = 0; k < v.length; k++) {
    const i = v[k];
    if ((integral || Number.isInteger(i)) && i >= 0 && i < rows) continue;
    check(false, fn, `${name}[${k}] = ${i} is not a row index in [0, ${rows})`);
  }
}

/**
 * The distances D[k] = distance(embeddings[first[k]], embeddings[second[k]]) for T
 * index pairs into one batch: the same values and gradients as
 * `pairDistances(gather(embeddings, first), gather(embeddings, second), distance)`,
 * without materialising the T * d gathered rows. Each distinct row pair is computed
 * once in float64 from the differences (never |a|^2 + |b|^2 - 2ab), so T may be in
 * the millions for a batch of a few hundred rows.
 *
 * NaN-safe as {@link pairDistances}: at D = 0 the Euclidean distance takes the
 * steepest-descent subgradient per pair of the list (zero when the loss wants D
 * smaller, along u = (1, ..., 1)/sqrt(d) for the first row and -u for the second
 * when it wants D larger); the cosine floors norms at 1e-8.
 *
 * Values are computed on the CPU side (one read of the [B, d] embeddings) and the
 * gradient is built there too, so it behaves the same on every backend.
 *
 * @param embeddings - [B, d] batch embeddings (finite).
 * @param first - T row indices in [0, B).
 * @param second - T row indices in [0, B).
 * @param distance - default `'euclidean'`; a {@link Distance} object's `matrix` of the batch is read instead.
 * @returns the [T] distances, differentiable with respect to `embeddings`.
 * @throws ContrastiveError on a bad shape, index or distance name, or a non-finite embedding.
 * @group Distances
 */
export function indexPairDistances(embeddings: tf.Tensor2D, first: Indices, second: Indices, distance: DistanceLike = 'euclidean'): tf.Tensor1D {
  const fn = 'indexPairDistances';
  checkDistance(distance, fn);
  check(embeddings instanceof tf.Tensor, fn, 'embeddings must be a tf.Tensor2D');
  check(embeddings.rank === 2, fn, `embeddings must be a 2-D [B, d] tensor, got shape [${embeddings.shape.join(', ')}]`);
  const rows = embeddings.shape[0];
  checkIndexList(first, 'first', rows, fn);
  checkIndexList(second, 'second', rows, fn);
  check(first.length === second.length, fn, `first has ${first.length} indices but second has ${second.length}`);
  const flat = new Int32Array(first.length);
  for (let k = 0; k < flat.length; k++) flat[k] = first[k] * rows + second[k];
  return flatPairDistances(embeddings, flat, distance, fn);
}
