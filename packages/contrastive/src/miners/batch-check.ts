/** Input checks shared by the miners (internal, not exported from the barrel). */
import { ContrastiveError, check } from '../errors.js';

/**
 * Checks a miner's inputs and returns the batch size N: `labels` holds N integer
 * class labels, `distances` N * N finite numbers.
 */
export function checkMinerInputs(fn: string, distances: Float32Array, labels: ArrayLike<number>): number {
  check(distances instanceof Float32Array, fn, 'distances must be a Float32Array (N x N, row-major)');
  check(labels != null && typeof labels.length === 'number', fn, 'labels must be an array of class labels');
  const n = labels.length;
  check(
    distances.length === n * n,
    fn,
    `distances has ${distances.length} values but labels has ${n} entries (expected ${n} x ${n} = ${n * n})`,
  );
  for (let i = 0; i < n; i++) {
    check(Number.isInteger(labels[i]), fn, `labels[${i}] is ${labels[i]}, expected an integer class label`);
  }
  for (let k = 0; k < distances.length; k++) {
    if (!Number.isFinite(distances[k])) {
      throw new ContrastiveError(
        'NUMERIC',
        `${fn}: distances[${k}] (row ${Math.floor(k / n)}, column ${k % n}) is ${distances[k]}, expected a finite distance`,
      );
    }
  }
  return n;
}

/** Checks that a threshold option is a finite number (may be negative, e.g. for similarities). */
export function checkFinite(fn: string, name: string, value: number): void {
  check(typeof value === 'number' && Number.isFinite(value), fn, `${name} must be a finite number, got ${value}`);
}
