/** Checks and conversions of loss inputs, with messages that name the function and argument. */
import * as tf from '@tensorflow/tfjs';
import { check, ContrastiveError } from '../errors.js';

/** Labels as the loss functions accept them: a tensor of N values, or any array of numbers. @group Losses */
export type LabelsInput = tf.Tensor | number[] | ArrayLike<number>;

/**
 * Reads `labels` as N values that must each be 0 or 1. A tensor may be [N] or
 * [N, 1] (Keras-style `yTrue`). `meaning` explains the labels in the message.
 */
export function readBinaryLabels(labels: LabelsInput, n: number, fn: string, meaning = '0 = similar, 1 = dissimilar'): ArrayLike<number> {
  let values: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    check(
      labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1),
      fn,
      `labels must be a 1-D tensor of N = ${n} values, got shape [${labels.shape.join(', ')}]`,
    );
    values = labels.dataSync() as Float32Array | Int32Array | Uint8Array;
  } else {
    check(labels != null && typeof (labels as ArrayLike<number>).length === 'number', fn, 'labels must be a tf.Tensor1D or an array of 0/1 numbers');
    values = labels;
  }
  check(values.length === n, fn, `labels has ${values.length} values but the embeddings have N = ${n} rows`);
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (y !== 0 && y !== 1) {
      if (typeof y !== 'number' || !Number.isFinite(y)) {
        throw new ContrastiveError('NUMERIC', `${fn}: labels[${i}] is ${String(y)}, not a finite 0/1 label (${meaning})`);
      }
      throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: labels[${i}] = ${y}, labels must be 0 or 1 (${meaning})`);
    }
  }
  return values;
}

/** Throws a NUMERIC ContrastiveError naming the first non-finite value of `values` (rows of width `d`). */
export function checkFiniteValues(values: ArrayLike<number>, fn: string, name: string, d = 1): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const where = d > 1 ? `row ${Math.floor(i / d)}, column ${i % d}` : `index ${i}`;
      throw new ContrastiveError('NUMERIC', `${fn}: ${name} has a non-finite value (${values[i]}) at ${where}`);
    }
  }
}

/** Checks the option bag itself: an object (or undefined) without unknown keys. */
export function checkOptionKeys(options: unknown, known: readonly string[], fn: string): void {
  if (options === undefined) return;
  check(typeof options === 'object' && options !== null && !Array.isArray(options), fn, 'options must be an object');
  for (const key of Object.keys(options)) {
    check(known.includes(key), fn, `unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

/** Converts a tensor to float32 (losses work in float32; integer embeddings are accepted). */
export function asFloat<T extends tf.Tensor>(t: T): T {
  return (t.dtype === 'float32' ? t : tf.cast(t, 'float32')) as T;
}
