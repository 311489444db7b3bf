/**
 * Input conversion and validation shared by the evaluators. Metrics run on
 * plain typed arrays; tensors are read once with dataSync. Every problem is a
 * ContrastiveError naming the function, the argument and what is wrong.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';

/** A vector of numbers: an array, a typed array or a 1-D tensor. @group Evaluation */
export type NumericInput = ArrayLike<number> | tf.Tensor;

/**
 * Embeddings, one row per example: a 2-D tensor, an array of rows, or a flat
 * row-major array together with the `dim` option.
 * @group Evaluation
 */
export type EmbeddingsInput = tf.Tensor | ArrayLike<number> | ArrayLike<number>[];

/** Embeddings read into one flat row-major buffer. */
export interface EmbeddingMatrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

function readVector(x: NumericInput, fn: string, arg: string): ArrayLike<number> {
  if (x instanceof tf.Tensor) {
    check(x.rank <= 1 || x.shape.slice(1).every((s) => s === 1), fn, `${arg} must be a vector, got a tensor of shape [${x.shape.join(', ')}]`);
    return x.dataSync() as ArrayLike<number>;
  }
  check(x != null && typeof (x as ArrayLike<number>).length === 'number', fn, `${arg} must be an array, typed array or tensor`);
  return x;
}

/** Reads distances as finite numbers (NaN and infinities are errors). */
export function readDistances(x: NumericInput, fn: string, arg = 'distances'): Float64Array {
  const v = readVector(x, fn, arg);
  check(v.length > 0, fn, `${arg} is empty`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const d = Number(v[i]);
    if (!Number.isFinite(d)) {
      throw new ContrastiveError('NUMERIC', `${fn}: ${arg}[${i}] is ${d} (every distance must be finite)`);
    }
    out[i] = d;
  }
  return out;
}

/** Reads pair labels: 0 = similar, 1 = dissimilar; anything else is an error. */
export function readPairLabels(x: NumericInput, fn: string, length: number, arg = 'labels'): Uint8Array {
  const v = readVector(x, fn, arg);
  check(v.length === length, fn, `${arg} has length ${v.length} but distances has length ${length}`);
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const y = Number(v[i]);
    check(y === 0 || y === 1, fn, `${arg}[${i}] is ${y} (pair labels must be 0 = similar or 1 = dissimilar)`);
    out[i] = y;
  }
  return out;
}

/** Reads distances and pair labels and checks both classes are present. */
export function readPairs(distances: NumericInput, labels: NumericInput, fn: string): { d: Float64Array; y: Uint8Array; positives: number; negatives: number } {
  const d = readDistances(distances, fn);
  const y = readPairLabels(labels, fn, d.length);
  let positives = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 0) positives++;
  const negatives = y.length - positives;
  check(positives > 0, fn, `labels has no similar pairs (label 0) among ${y.length}; verification needs both kinds`);
  check(negatives > 0, fn, `labels has no dissimilar pairs (label 1) among ${y.length}; verification needs both kinds`);
  return { d, y, positives, negatives };
}

/** Reads class labels (integers, any range). */
export function readClassLabels(x: NumericInput, fn: string, length: number, arg = 'labels'): Int32Array {
  const v = readVector(x, fn, arg);
  check(v.length === length, fn, `${arg} has length ${v.length} but there are ${length} embeddings`);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = Number(v[i]);
    check(Number.isInteger(c) && Math.abs(c) < 2 ** 31, fn, `${arg}[${i}] is ${c} (class labels must be integers)`);
    out[i] = c;
  }
  return out;
}

/** Reads embeddings into a flat float32 matrix, checking shape and finiteness. */
export function readEmbeddings(x: EmbeddingsInput, fn: string, arg = 'embeddings', dim?: number): EmbeddingMatrix {
  let data: Float32Array;
  let d: number;
  if (x instanceof tf.Tensor) {
    check(x.rank === 2, fn, `${arg} must be a 2-D tensor [count, dim], got shape [${x.shape.join(', ')}]`);
    check(dim === undefined || dim === x.shape[1], fn, `dim is ${dim} but ${arg} has ${x.shape[1]} columns`);
    data = Float32Array.from(x.dataSync() as ArrayLike<number>);
    d = x.shape[1] as number;
  } else {
    check(x != null && typeof x.length === 'number', fn, `${arg} must be a tensor, an array of rows or a flat array with dim`);
    check(x.length > 0, fn, `${arg} is empty`);
    const first = (x as ArrayLike<unknown>)[0];
    if (first != null && typeof first === 'object') {
      const rows = x as ArrayLike<ArrayLike<number>>;
      d = rows[0].length;
      check(dim === undefined || dim === d, fn, `dim is ${dim} but ${arg}[0] has length ${d}`);
      data = new Float32Array(rows.length * d);
      for (let i = 0; i < rows.length; i++) {
        check(rows[i] != null && rows[i].length === d, fn, `${arg}[${i}] has length ${rows[i]?.length} but ${arg}[0] has length ${d}`);
        data.set(rows[i], i * d);
      }
    } else {
      check(dim !== undefined, fn, `${arg} is a flat array: pass the embedding size as dim`);
      check(Number.isInteger(dim) && dim > 0, fn, `dim must be a positive integer, got ${dim}`);
      check(x.length % dim === 0, fn, `${arg} has ${x.length} values, not divisible by dim ${dim}`);
      data = Float32Array.from(x as ArrayLike<number>);
      d = dim;
    }
  }
  check(d > 0, fn, `${arg} rows are empty (dim 0)`);
  const rows = data.length / d;
  check(rows > 0, fn, `${arg} is empty`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new ContrastiveError('NUMERIC', `${fn}: ${arg} row ${Math.floor(i / d)} column ${i % d} is ${data[i]} (embeddings must be finite)`);
    }
  }
  return { data, rows, dim: d };
}
