/**
 * Preprocessing of online signatures: resampling to a fixed length (or rate),
 * position and size normalisation, velocity and pressure features. The
 * settings are saved in the model bundle (manifest input.preprocessing.rawInput),
 * so `signature verify` prepares new signatures exactly as training did.
 */
import { z } from 'zod';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import type { Trajectory } from './trajectory.js';

/** Per-point features a preprocessed signature can carry. @group Preprocessing */
export const SIGNATURE_FEATURES = ['x', 'y', 'vx', 'vy', 'speed', 'pressure', 'pen'] as const;
/** One per-point feature: position, velocity (x, y, magnitude), pressure, pen state. @group Preprocessing */
export type SignatureFeature = (typeof SIGNATURE_FEATURES)[number];

/** Schema of {@link SignaturePreprocessing} (validates settings read from a bundle). @group Preprocessing */
export const signaturePreprocessingSchema = z
  .object({
    kind: z.literal('online-signature'),
    /** Points after resampling uniformly in time, or null to resample at `rateHz` (variable length). */
    length: z.number().int().min(2).nullable(),
    /** Points per second when `length` is null. */
    rateHz: z.number().positive().nullable(),
    /** 'centroid': subtract the mean pen-down position; 'none': keep device coordinates. */
    position: z.enum(['centroid', 'none']),
    /** 'rms': divide by the RMS distance of pen-down points from their centroid; 'height': by the pen-down height; 'none'. */
    size: z.enum(['rms', 'height', 'none']),
    /** Features per point, in this order. */
    features: z.array(z.enum(SIGNATURE_FEATURES)).min(1),
    /** Velocities are in size units per this many seconds (0.1: per 100 ms), which keeps them near the positions' scale. */
    velocityUnit: z.number().positive(),
  })
  .strict()
  .refine((p) => (p.length === null) !== (p.rateHz === null), { message: 'exactly one of length and rateHz must be set' });

/** How an online signature becomes a [time, features] sequence. @group Preprocessing */
export type SignaturePreprocessing = z.infer<typeof signaturePreprocessingSchema>;

/** Defaults: 64 points, centred, RMS size, x, y, vx, vy, pressure, pen. @group Preprocessing */
export const DEFAULT_SIGNATURE_PREPROCESSING: SignaturePreprocessing = {
  kind: 'online-signature',
  length: 64,
  rateHz: null,
  position: 'centroid',
  size: 'rms',
  features: ['x', 'y', 'vx', 'vy', 'pressure', 'pen'],
  velocityUnit: 0.1,
};

/**
 * Completes and checks preprocessing settings (defaults for what is missing).
 *
 * @throws ContrastiveError naming the bad setting.
 * @group Preprocessing
 */
export function signaturePreprocessing(options: Partial<SignaturePreprocessing> = {}, fn = 'signaturePreprocessing'): SignaturePreprocessing {
  const merged = { ...DEFAULT_SIGNATURE_PREPROCESSING, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (options.rateHz !== undefined && options.rateHz !== null && options.length === undefined) merged.length = null;
  const parsed = signaturePreprocessingSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: preprocessing ${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The most points a signature resampled at a rate may have (200 s at 100 Hz): a longer one is taken for bad times, not allocated. @group Preprocessing */
export const MAX_RESAMPLED_POINTS = 20_000;

/** A preprocessed signature: `length` points of `features` values, row-major. @group Preprocessing */
export interface SignatureSequence {
  data: Float32Array;
  length: number;
  features: number;
}

/** Linear interpolation of `v` (sampled at times `t`) at time `q`, scanning from `from`. */
function interpolate(t: Float64Array, v: ArrayLike<number>, q: number, k: number): number {
  if (k >= t.length - 1) return v[t.length - 1];
  const span = t[k + 1] - t[k];
  if (span <= 0) return v[k + 1];
  const w = (q - t[k]) / span;
  return v[k] + w * (v[k + 1] - v[k]);
}

/**
 * Turns a trajectory into a [length, features] sequence: resamples it
 * uniformly in time (linear interpolation; the pen state of the earlier
 * recorded point), moves and scales it as the settings say (statistics over
 * pen-down points: hover points can wander), divides pressure by the
 * signature's largest pressure (tablets differ in range), and computes
 * velocities by central differences in size units per `velocityUnit` seconds.
 * A signature whose points all share one timestamp is resampled by point index.
 * @group Preprocessing
 */
export function preprocessSignature(trajectory: Trajectory, preprocessing: SignaturePreprocessing, source = 'the signature'): SignatureSequence {
  const fn = 'preprocessSignature';
  const p = preprocessing;
  const n = trajectory.x.length;
  check(n >= 1, fn, `${source}: the trajectory has no points`);
  let t = trajectory.t;
  let duration = t[n - 1] - t[0];
  const timed = duration > 0;
  if (!timed) {
    t = Float64Array.from({ length: n }, (_, k) => k);
    duration = Math.max(1, n - 1);
  }
  const resampled = p.length ?? Math.max(2, Math.floor((duration / 1000) * p.rateHz!) + 1);
  if (!(resampled <= MAX_RESAMPLED_POINTS)) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${source} lasts ${(duration / 1000).toPrecision(3)} s: resampled at ${p.rateHz} Hz it would have ${resampled.toPrecision(3)} points, more than ${MAX_RESAMPLED_POINTS} (are the times in milliseconds?)`);
  }
  const length = resampled;

  // Centre and scale from the pen-down points. Running means and a scale taken
  // relative to the largest deviation never overflow: a signature in device
  // units of 1e300 normalises exactly as the same signature in units of 1
  // (summing squares of such coordinates gave Infinity, scaling it to a dot).
  let cx = 0;
  let cy = 0;
  let down = 0;
  let minY = Infinity;
  let maxY = -Infinity;
  let maxP = 0;
  for (let k = 0; k < n; k++) {
    maxP = Math.max(maxP, trajectory.pressure[k]);
    if (!trajectory.penDown[k]) continue;
    down++;
    cx += (trajectory.x[k] - cx) / down;
    cy += (trajectory.y[k] - cy) / down;
    minY = Math.min(minY, trajectory.y[k]);
    maxY = Math.max(maxY, trajectory.y[k]);
  }
  let scale = 1;
  if (p.size === 'rms') {
    let m = 0;
    for (let k = 0; k < n; k++) if (trajectory.penDown[k]) m = Math.max(m, Math.abs(trajectory.x[k] - cx), Math.abs(trajectory.y[k] - cy));
    let ss = 0;
    if (m > 0 && Number.isFinite(m)) for (let k = 0; k < n; k++) if (trajectory.penDown[k]) ss += ((trajectory.x[k] - cx) / m) ** 2 + ((trajectory.y[k] - cy) / m) ** 2;
    scale = m * Math.sqrt(ss / down);
  } else if (p.size === 'height') {
    scale = maxY - minY;
  }
  if (Number.isNaN(scale) || scale === Infinity) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${source}: its pen-down points span more than a double holds (coordinates near 1e308); scale them down`);
  }
  if (!(scale > 0)) scale = 1; // a dot: nothing to scale
  if (p.position === 'none') cx = cy = 0;

  const x = new Float64Array(length);
  const y = new Float64Array(length);
  const pr = new Float64Array(length);
  const pen = new Float64Array(length);
  let k = 0;
  for (let i = 0; i < length; i++) {
    const q = t[0] + (duration * i) / (length - 1);
    while (k < n - 1 && t[k + 1] <= q) k++;
    x[i] = (interpolate(t, trajectory.x, q, k) - cx) / scale;
    y[i] = (interpolate(t, trajectory.y, q, k) - cy) / scale;
    pr[i] = maxP > 0 ? interpolate(t, trajectory.pressure, q, k) / maxP : 0;
    pen[i] = trajectory.penDown[k];
  }
  // Seconds between resampled points (index units when there were no times).
  const dt = (timed ? duration / 1000 : duration) / (length - 1);
  const velocity = (v: Float64Array, i: number): number => {
    const a = Math.max(0, i - 1);
    const b = Math.min(length - 1, i + 1);
    return ((v[b] - v[a]) / ((b - a) * dt)) * p.velocityUnit;
  };

  const F = p.features.length;
  const data = new Float32Array(length * F);
  for (let i = 0; i < length; i++) {
    const vx = velocity(x, i);
    const vy = velocity(y, i);
    for (let f = 0; f < F; f++) {
      let v: number;
      switch (p.features[f]) {
        case 'x': v = x[i]; break;
        case 'y': v = y[i]; break;
        case 'vx': v = vx; break;
        case 'vy': v = vy; break;
        case 'speed': v = Math.hypot(vx, vy); break;
        case 'pressure': v = pr[i]; break;
        case 'pen': v = pen[i]; break;
      }
      data[i * F + f] = v;
    }
  }
  // float32 holds what the model sees: a value beyond its range (device units of 1e300 with size 'none') becomes Infinity
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new ContrastiveError(
      'INVALID_DATA',
      `${fn}: ${source}: feature '${p.features[bad % F]}' of point ${Math.floor(bad / F)} is ${data[bad]} after preprocessing (beyond float32: are the coordinates or times absurdly large?)`,
    );
  }
  return { data, length, features: F };
}

/**
 * Preprocesses many signatures into one row-major array [count, length,
 * features] (the layout of a sequence dataset). Needs a fixed `length`.
 *
 * @throws ContrastiveError when the settings resample at a rate (variable length).
 * @group Preprocessing
 */
export function preprocessSignatures(trajectories: readonly Trajectory[], preprocessing: SignaturePreprocessing): Float32Array {
  check(preprocessing.length !== null, 'preprocessSignatures', 'a dataset of signatures needs a fixed length (set length, not rateHz)');
  const size = preprocessing.length * preprocessing.features.length;
  const out = new Float32Array(trajectories.length * size);
  trajectories.forEach((tr, i) => out.set(preprocessSignature(tr, preprocessing).data, i * size));
  return out;
}
