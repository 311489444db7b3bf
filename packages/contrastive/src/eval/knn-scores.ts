/**
 * The ranking scores of the k-NN search: queries and references prepared so
 * that one GEMM gives, per query, a score that orders references as the distance
 * does (the norm trick |q - r|^2 = |q|^2 + |r|^2 - 2 q.r after centring both sets
 * near the reference mean, so it does not cancel catastrophically; -cos for the
 * cosine distance), computed in blocks on onnxruntime-node (onnx-scores.ts) or
 * TF.js matMul.
 */
import * as tf from '@tensorflow/tfjs';
import type { DistanceName } from '../distances/names.js';
import { callDistance, type Distance } from '../distances/distance.js';
import { COSINE_EPS } from '../distances/pair-distances.js';
import type { EmbeddingMatrix } from './inputs.js';
import { OnnxScorer } from './onnx-scores.js';
import type { NativeOrt } from '@contrastive/kernels/internal/onnx/runtime.js';

/** Norms below this count as this (as the cosine distance of src/distances). */
/** Elements of one GEMM output tile (about 16 MB of float32: fast on XNNPACK). */
const TILE_ELEMENTS = 4 * 1024 * 1024;

/**
 * Matrices prepared so that one GEMM gives the ranking score directly:
 * score(q, r) = qa . ra with qa = [q, 1] and ra = [-r, |r|^2 / 2] after
 * centring (= (|q - r|^2 - |q|^2) / 2, and |q|^2 is constant along a row), or
 * qa = q / |q|, ra = -r / |r| for cosine (= -cos).
 */
export interface Prepared {
  /** Queries [nq, width], row-major. */
  q: Float32Array;
  /** References [nr, width], row-major. */
  r: Float32Array;
  width: number;
  nq: number;
  nr: number;
}

export function prepare(queries: EmbeddingMatrix, refs: EmbeddingMatrix, distance: DistanceName): Prepared {
  const offset = distance === 'cosine' ? new Float64Array(refs.dim) : centringOffset(refs);
  const r = prepareRows(refs, distance, offset, true);
  return { q: prepareRows(queries, distance, offset, false), r, width: widthOf(refs.dim, distance), nq: queries.rows, nr: refs.rows };
}

/** Columns of a prepared row: the embedding, plus one for the norm term (not for cosine). */
export function widthOf(dim: number, distance: DistanceName): number {
  return distance === 'cosine' ? dim : dim + 1;
}

/** Rows of `m` as queries (isRef false) or references of the ranking GEMM, centred on `offset`. */
export function prepareRows(m: EmbeddingMatrix, distance: DistanceName, offset: Float64Array, isRef: boolean): Float32Array {
  const { dim } = m;
  const cosine = distance === 'cosine';
  const width = widthOf(dim, distance);
  const build = (): Float32Array => {
    const out = new Float32Array(m.rows * width);
    for (let i = 0; i < m.rows; i++) {
      const o = i * width;
      let ss = 0;
      for (let c = 0; c < dim; c++) {
        const v = Math.fround(m.data[i * dim + c] - offset[c]);
        out[o + c] = v;
        ss += v * v;
      }
      if (cosine) {
        const scale = (isRef ? -1 : 1) / Math.max(Math.sqrt(ss), COSINE_EPS);
        for (let c = 0; c < dim; c++) out[o + c] *= scale;
      } else if (isRef) {
        for (let c = 0; c < dim; c++) out[o + c] = -out[o + c];
        out[o + dim] = ss / 2;
      } else {
        out[o + dim] = 1;
      }
    }
    return out;
  };
  return build();
}

/**
 * The offset both sets are centred on: the reference mean, which keeps
 * |q|^2 + |r|^2 - 2 q.r from cancelling for clouds far from the origin, rounded
 * to a power-of-two grid no finer than the spread of the data (so the residual
 * offset is below the spread) and so that data on a coarse grid (integers)
 * stays exact after centring and exact ties stay ties.
 */
export function centringOffset(refs: EmbeddingMatrix): Float64Array {
  const { dim, rows, data } = refs;
  const mean = new Float64Array(dim);
  for (let i = 0; i < rows; i++) for (let c = 0; c < dim; c++) mean[c] += data[i * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= rows;
  let ss = 0;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < dim; c++) {
      const v = data[i * dim + c] - mean[c];
      ss += v * v;
    }
  }
  const rms = Math.sqrt(ss / (rows * dim));
  const step = rms > 0 ? 2 ** Math.floor(Math.log2(rms)) : 1;
  for (let c = 0; c < dim; c++) mean[c] = Math.round(mean[c] / step) * step;
  return mean;
}

/** References as a row-major [width, nr] matrix (the GEMM's right operand). */
export function transposed(p: Prepared): Float32Array {
  const { width, nr } = p;
  const rt = new Float32Array(width * nr);
  for (let j = 0; j < nr; j++) for (let c = 0; c < width; c++) rt[c * nr + j] = p.r[j * width + c];
  return rt;
}

/** A source of score blocks: row-major [rows, nr] scores of queries q0 .. q0 + rows - 1. */
export interface ScoreBlocks {
  scores(q0: number, rows: number): Float32Array;
  dispose(): void;
}

export function onnxScoreBlocks(ort: NativeOrt, p: Prepared): ScoreBlocks {
  const scorer = new OnnxScorer(ort, transposed(p), p.width, p.nr, { kind: 'scores' });
  return {
    scores: (q0, rows) => scorer.run(p.q.subarray(q0 * p.width, (q0 + rows) * p.width), rows).scores,
    dispose: () => scorer.dispose(),
  };
}

/**
 * Scores of a user's {@link Distance}: its own `matrix` of each block of queries
 * against every reference (the distances themselves rank the references).
 */
export function distanceObjectBlocks(queries: EmbeddingMatrix, refs: EmbeddingMatrix, distance: Distance, fn: string): ScoreBlocks {
  const r = tf.tensor2d(refs.data, [refs.rows, refs.dim]);
  return {
    scores: (q0, rows) =>
      tf.tidy(() => {
        const q = tf.tensor2d(queries.data.subarray(q0 * queries.dim, (q0 + rows) * queries.dim), [rows, queries.dim]);
        return callDistance(distance, 'matrix', q, r, fn).dataSync() as Float32Array;
      }),
    dispose: () => r.dispose(),
  };
}

/** Scores by tf.matMul on the active backend, references in column tiles of about 16 MB. */
export function tfjsScoreBlocks(p: Prepared, bq: number): ScoreBlocks {
  const { width, nr } = p;
  const tileCols = Math.max(256, Math.min(nr, Math.floor(TILE_ELEMENTS / bq)));
  // references transposed once into column tiles [width, cols]
  const tiles: { start: number; cols: number; t: tf.Tensor2D }[] = [];
  const dispose = (): void => {
    for (const tile of tiles) tile.t.dispose();
  };
  try {
    for (let c0 = 0; c0 < nr; c0 += tileCols) {
      const cols = Math.min(tileCols, nr - c0);
      const buf = new Float32Array(width * cols);
      for (let j = 0; j < cols; j++) for (let c = 0; c < width; c++) buf[c * cols + j] = p.r[(c0 + j) * width + c];
      tiles.push({ start: c0, cols, t: tf.tensor2d(buf, [width, cols]) });
    }
  } catch (err) {
    dispose();
    throw err;
  }
  const scores = new Float32Array(bq * nr);
  return {
    scores: (q0, rows) => {
      const qt = tf.tensor2d(p.q.subarray(q0 * width, (q0 + rows) * width), [rows, width]);
      try {
        for (const tile of tiles) {
          const prod = tf.matMul(qt, tile.t);
          const dots = prod.dataSync() as Float32Array;
          prod.dispose();
          if (tiles.length === 1) scores.set(dots);
          else for (let i = 0; i < rows; i++) scores.set(dots.subarray(i * tile.cols, (i + 1) * tile.cols), i * nr + tile.start);
        }
      } finally {
        qt.dispose();
      }
      return scores;
    },
    dispose,
  };
}

