/** Shared test helpers. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { initBackend, type BackendName } from '../../packages/node/src/engine/backend.js';
import type { Rng } from '../../packages/contrastive/src/util/rng.js';
import { reluGradColumnSums } from '../../packages/kernels/src/relu-grad.js';

/** Runs `fn` with `backend` active, restoring the previous backend afterwards. */
export async function withBackend<T>(backend: BackendName, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await initBackend(backend);
  try {
    return await fn();
  } finally {
    if (previous && previous !== backend) await tf.setBackend(previous);
  }
}

/** Asserts that every element of `actual` is within `tol` (absolute + relative) of `expected`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'value'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/** Asserts that `p` rejects with a ContrastiveError of `code` whose message contains (or matches) every part. */
export async function rejectsWith(p: Promise<unknown>, code: string, ...parts: Array<string | RegExp>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ContrastiveError, `expected ContrastiveError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `message '${err.message}' lacks '${part}'`);
      else assert.match(err.message, part);
    }
    return true;
  });
}

/** Smallest and largest value of `values` (without spreading large arrays onto the stack). */
export function valueRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return { min, max };
}

/** A Float32Array of standard normal values for a tensor of `shape`, drawn from `rng`. */
export function randn(rng: Rng, shape: number[]): Float32Array {
  const a = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** Named kernel inputs as plain data. */
export type KernelInputs = Record<string, { data: Float32Array; shape: number[] }>;

/** Runs one kernel by name on `backend` and returns its output's shape and values (tensors released). */
export async function runKernelOn(backend: 'wasm' | 'cpu', kernel: string, inputs: KernelInputs, attrs: object): Promise<{ shape: number[]; values: Float32Array }> {
  return withBackend(backend, async () => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape);
    const out = tf.engine().runKernel(kernel, ts as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    const shape = out.shape;
    tf.dispose([out, ...Object.values(ts)]);
    return { shape, values };
  });
}

/**
 * The loss and the gradient of every parameter of `loss` on `backend`: the parameters become
 * variables, `input` a tensor; everything is released before returning.
 */
export async function gradientsOn(
  backend: 'wasm' | 'cpu',
  params: KernelInputs,
  input: { data: Float32Array; shape: number[] },
  loss: (x: tf.Tensor, vars: Record<string, tf.Variable>) => tf.Scalar,
): Promise<Record<string, Float32Array>> {
  return withBackend(backend, async () => {
    const x = tf.tensor(input.data, input.shape);
    const vars = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, tf.variable(tf.tensor(p.data, p.shape), true, `${backend}_${k}_${Math.random()}`)]));
    const { value, grads } = tf.variableGrads(() => loss(x, vars), Object.values(vars));
    const out: Record<string, Float32Array> = { loss: (await value.data()) as Float32Array };
    for (const [k, v] of Object.entries(vars)) out[k] = (await grads[v.name].data()) as Float32Array;
    tf.dispose([x, value, ...Object.values(grads), ...Object.values(vars)]);
    return out;
  });
}

/** What {@link reluGradientAndSums} returns. */
export interface ReluGradientAndSums {
  /** The relu gradient dy * step(x). */
  g: Float32Array;
  /** Sum of it over all axes but the last (all axes for rank 1). */
  sum: Float32Array;
  /** The same Sum of a fresh copy of it (no kept sums to take). */
  sumOfCopy: Float32Array;
  /** The column sums the relu-gradient kernel kept with its output, if it kept them. */
  kept: Float32Array | undefined;
}

/** The relu gradient of x (`xd`) against `dyd`, of `shape`, on `backend`, with its bias-gradient sums (tensors released). */
export async function reluGradientAndSums(backend: 'wasm' | 'cpu', xd: Float32Array, dyd: Float32Array, shape: number[]): Promise<ReluGradientAndSums> {
  const n = shape.reduce((p, d) => p * d, 1);
  const cols = shape.length >= 2 ? shape[shape.length - 1] : n;
  const leading = shape.slice(0, -1).map((_, i) => i);
  return withBackend(backend, async () => {
    const x = tf.tensor(xd, shape);
    const dy = tf.tensor(dyd, shape);
    const g = tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy);
    const sum = leading.length > 0 ? tf.sum(g, leading) : tf.sum(g);
    const gv = (await g.data()) as Float32Array;
    const copy = tf.tensor(gv, shape);
    const sumOfCopy = leading.length > 0 ? tf.sum(copy, leading) : tf.sum(copy);
    const kept = reluGradColumnSums((g as unknown as { dataId: object }).dataId, cols);
    const out = { g: gv, sum: (await sum.data()) as Float32Array, sumOfCopy: (await sumOfCopy.data()) as Float32Array, kept };
    tf.dispose([x, dy, g, sum, copy, sumOfCopy]);
    return out;
  });
}

/**
 * Asserts that `actual` holds exactly the values of `expected`, element for element as
 * `Object.is` compares them (NaN equals NaN, -0 is not 0): what
 * `assert.deepEqual(Array.from(actual), Array.from(expected))` checks, without boxing millions of
 * values into arrays first (that takes seconds per million). Equal bytes are equal values; only
 * otherwise (NaNs of other payloads, or a real difference) are the elements walked, and the
 * message names the first that differs.
 */
export function assertSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const bytes = (a: ArrayLike<number>) => (ArrayBuffer.isView(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : undefined);
  const [ba, be] = [bytes(actual), bytes(expected)];
  if (ba && be && actual.constructor === expected.constructor && ba.equals(be)) return;
  let differ = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      if (first < 0) first = i;
      differ++;
    }
  }
  if (differ > 0) assert.fail(`${what}: ${differ} of ${actual.length} values differ, the first at [${first}]: ${actual[first]} where ${expected[first]} was expected`);
}
