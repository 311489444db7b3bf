/**
 * A seeded generator of synthetic online signatures, for want of an
 * installable corpus. Each writer has a base trajectory (strokes through a few
 * control points drawn as Catmull-Rom splines, pen lifts between strokes, a
 * personal rhythm and pressure profile). Genuine signatures vary it naturally
 * (timing, scale, slant, rotation, jitter, pressure); skilled forgeries copy
 * the shape with the forger's own dynamics (slower, more even speed, tremor,
 * small shape errors, the forger's pressure). Random forgeries are other
 * writers' genuine signatures.
 */
import { check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import type { Trajectory } from './trajectory.js';
import type { SignatureSample, SignatureSet } from './signature-set.js';

/** Options of {@link syntheticSignatures}. @group Synthetic signatures */
export interface SyntheticSignatureOptions {
  /** Number of writers. Default 100. */
  writers?: number;
  /** Genuine signatures per writer. Default 20. */
  genuine?: number;
  /** Skilled forgeries per writer. Default 10. */
  forgeries?: number;
  /** Seed of every random choice. Default 1. */
  seed?: number;
}

/** Points per second of the simulated tablet. */
const SAMPLE_HZ = 100;
/** Device units per unit of the model's coordinates, and the tablet's pressure range. */
const DEVICE_SCALE = 1000;
const MAX_PRESSURE = 1023;

interface Stroke {
  /** Control points (x, y). */
  points: Array<[number, number]>;
  /** Duration of each segment between consecutive control points, ms. */
  durations: number[];
}

/** What makes a signature one writer's (or one forger's) and not another's. */
interface Style {
  strokes: Stroke[];
  /** 0: constant speed along a segment; 1: minimum-jerk (slow at the control points). */
  smoothness: number;
  /** Hover time between strokes, ms. */
  liftMs: number;
  /** Pressure profile: base + amp * sin(2 pi freq u + phase) along each stroke (u in [0, 1]). */
  pressure: { base: number; amp: number; freq: number; phase: number };
}

function logNormal(rng: Rng, sigma: number): number {
  return Math.exp(sigma * rng.normal());
}

function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

/** A writer's base signature. */
function writerStyle(rng: Rng): Style {
  const nStrokes = 1 + rng.int(3);
  const strokes: Stroke[] = [];
  let x0 = 0;
  const segmentMs = uniform(rng, 70, 130);
  for (let s = 0; s < nStrokes; s++) {
    const k = 4 + rng.int(5);
    const points: Array<[number, number]> = [];
    let x = x0;
    for (let j = 0; j < k; j++) {
      // Mostly rightwards with back-steps that make loops, y within a band.
      x += uniform(rng, -0.35, 1.1);
      points.push([x, Math.max(-1.2, Math.min(1.2, 0.7 * rng.normal()))]);
    }
    strokes.push({ points, durations: Array.from({ length: k - 1 }, () => segmentMs * logNormal(rng, 0.45)) });
    x0 = x + uniform(rng, 0.3, 0.8);
  }
  return {
    strokes,
    smoothness: uniform(rng, 0.3, 0.9),
    liftMs: uniform(rng, 120, 300),
    pressure: { base: uniform(rng, 0.45, 0.7), amp: uniform(rng, 0.1, 0.25), freq: uniform(rng, 0.5, 2.5), phase: uniform(rng, 0, 2 * Math.PI) },
  };
}

/** Catmull-Rom point of segment j (between points j and j+1) at s in [0, 1]. */
function catmullRom(p: Array<[number, number]>, j: number, s: number): [number, number] {
  const a = p[Math.max(0, j - 1)];
  const b = p[j];
  const c = p[j + 1];
  const d = p[Math.min(p.length - 1, j + 2)];
  const s2 = s * s;
  const s3 = s2 * s;
  const f = (i: 0 | 1): number =>
    0.5 * (2 * b[i] + (-a[i] + c[i]) * s + (2 * a[i] - 5 * b[i] + 4 * c[i] - d[i]) * s2 + (-a[i] + 3 * b[i] - 3 * c[i] + d[i]) * s3);
  return [f(0), f(1)];
}

/** How one signature of a style is rendered: the variation applied on top of the style. */
interface Rendering {
  scale: number;
  shear: number;
  rotation: number;
  /** Multiplies every segment duration. */
  tempo: number;
  /** Per-segment duration noise (log-normal sigma). */
  rhythmNoise: number;
  /** Control-point noise (model units). */
  shapeNoise: number;
  pressureGain: number;
  /** Tremor amplitude (model units) and frequency (Hz). */
  tremor: number;
  tremorHz: number;
  /** Sensor noise on positions (model units). */
  jitter: number;
}

function render(style: Style, r: Rendering, rng: Rng): Trajectory {
  const xs: number[] = [];
  const ys: number[] = [];
  const ts: number[] = [];
  const ps: number[] = [];
  const pen: number[] = [];
  const stepMs = 1000 / SAMPLE_HZ;
  let clock = 0;
  const tremorPhase = uniform(rng, 0, 2 * Math.PI);
  const tremorPhaseY = uniform(rng, 0, 2 * Math.PI);
  const emit = (x: number, y: number, p: number, down: boolean): void => {
    const tr = r.tremor > 0 ? r.tremor : 0;
    const sec = clock / 1000;
    xs.push(x + tr * Math.sin(2 * Math.PI * r.tremorHz * sec + tremorPhase) + r.jitter * rng.normal());
    ys.push(y + tr * Math.sin(2 * Math.PI * r.tremorHz * 1.13 * sec + tremorPhaseY) + r.jitter * rng.normal());
    ts.push(clock);
    ps.push(p);
    pen.push(down ? 1 : 0);
    clock += stepMs;
  };
  const warp = (tau: number): number => {
    const mj = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
    return tau + style.smoothness * (mj - tau);
  };
  let last: [number, number] | undefined;
  style.strokes.forEach((stroke, si) => {
    const pts = stroke.points.map(([x, y]) => [x + r.shapeNoise * rng.normal(), y + r.shapeNoise * rng.normal()] as [number, number]);
    const durations = stroke.durations.map((d) => d * r.tempo * logNormal(rng, r.rhythmNoise));
    if (last && si > 0) {
      // Pen lift: hover from the end of the last stroke to the start of this one.
      const hover = Math.max(2, Math.round((style.liftMs * r.tempo) / stepMs));
      for (let h = 1; h < hover; h++) emit(last[0] + ((pts[0][0] - last[0]) * h) / hover, last[1] + ((pts[0][1] - last[1]) * h) / hover, 0, false);
    }
    const total = durations.reduce((a, b) => a + b, 0);
    let start = 0;
    for (let j = 0; j < durations.length; j++) {
      const steps = Math.max(1, Math.round(durations[j] / stepMs));
      for (let q = 0; q < steps; q++) {
        const [x, y] = catmullRom(pts, j, warp(q / steps));
        const u = (start + (q / steps) * durations[j]) / total;
        const ramp = Math.min(1, u / 0.06, (1 - u) / 0.06 + 0.15);
        const { base, amp, freq, phase } = style.pressure;
        emit(x, y, Math.max(0.02, ramp * (base + amp * Math.sin(2 * Math.PI * freq * u + phase)) * r.pressureGain), true);
      }
      start += durations[j];
    }
    const end = pts[pts.length - 1];
    emit(end[0], end[1], 0.05 * r.pressureGain, true);
    last = end;
  });
  // Scale, slant and rotate the whole signature, then map to device units.
  const cos = Math.cos(r.rotation);
  const sin = Math.sin(r.rotation);
  const n = xs.length;
  const out: Trajectory = { x: new Float64Array(n), y: new Float64Array(n), t: new Float64Array(n), pressure: new Float64Array(n), penDown: new Uint8Array(n) };
  for (let k = 0; k < n; k++) {
    const sx = (xs[k] + r.shear * ys[k]) * r.scale;
    const sy = ys[k] * r.scale;
    out.x[k] = Math.round((cos * sx - sin * sy) * DEVICE_SCALE + 5000);
    out.y[k] = Math.round((sin * sx + cos * sy) * DEVICE_SCALE + 3000);
    out.t[k] = Math.round(ts[k]);
    out.pressure[k] = Math.round(Math.min(1, Math.max(0, ps[k])) * MAX_PRESSURE);
    out.penDown[k] = pen[k];
  }
  return out;
}

/** The natural variation of a writer's own signatures. */
function genuineRendering(rng: Rng): Rendering {
  return {
    scale: logNormal(rng, 0.07),
    shear: 0.06 * rng.normal(),
    rotation: 0.04 * rng.normal(),
    tempo: logNormal(rng, 0.1),
    rhythmNoise: 0.1,
    shapeNoise: 0.05,
    pressureGain: logNormal(rng, 0.08),
    tremor: 0,
    tremorHz: 0,
    jitter: 0.004,
  };
}

/**
 * A forger's copy of a writer's style: the shape with small errors, the
 * forger's own, more even rhythm and smoothness, the forger's pressure profile.
 */
function forgerStyle(victim: Style, rng: Rng): Style {
  const own = writerStyle(rng);
  const evenness = uniform(rng, 0.5, 0.8);
  return {
    strokes: victim.strokes.map((s) => {
      const mean = s.durations.reduce((a, b) => a + b, 0) / s.durations.length;
      return {
        points: s.points.map(([x, y]) => [x + 0.07 * rng.normal(), y + 0.07 * rng.normal()] as [number, number]),
        durations: s.durations.map((d) => (1 - evenness) * d + evenness * mean),
      };
    }),
    smoothness: own.smoothness * 0.5,
    liftMs: victim.liftMs * uniform(rng, 1.2, 2),
    pressure: own.pressure,
  };
}

/** The variation of a forger's attempt. */
function forgeryRendering(rng: Rng): Rendering {
  return {
    ...genuineRendering(rng),
    tempo: uniform(rng, 1.15, 1.7),
    shapeNoise: 0.08,
    tremor: uniform(rng, 0.006, 0.015),
    tremorHz: uniform(rng, 6, 10),
  };
}

/**
 * Generates a synthetic set: per writer `genuine` genuine signatures then
 * `forgeries` skilled forgeries (each by a forger of its own), sampled at
 * 100 Hz in device units (x, y about 1000 per unit; pressure 0..1023) with
 * pen-up hover between strokes. Same seed, same set.
 * @group Synthetic signatures
 */
export function syntheticSignatures(options: SyntheticSignatureOptions = {}): SignatureSet {
  const fn = 'syntheticSignatures';
  const writers = options.writers ?? 100;
  const genuine = options.genuine ?? 20;
  const forgeries = options.forgeries ?? 10;
  const seed = options.seed ?? 1;
  check(Number.isInteger(writers) && writers >= 1, fn, `writers must be a positive integer, got ${writers}`);
  check(Number.isInteger(genuine) && genuine >= 1, fn, `genuine must be a positive integer, got ${genuine}`);
  check(Number.isInteger(forgeries) && forgeries >= 0, fn, `forgeries must be a non-negative integer, got ${forgeries}`);
  check(Number.isInteger(seed), fn, `seed must be an integer, got ${seed}`);
  const root = new Rng(seed);
  const names = Array.from({ length: writers }, (_, w) => `w${String(w + 1).padStart(3, '0')}`);
  const samples: SignatureSample[] = [];
  for (let w = 0; w < writers; w++) {
    // One generator per writer: a writer's signatures do not depend on how many others there are.
    const rng = root.fork();
    const style = writerStyle(rng);
    for (let g = 0; g < genuine; g++) {
      samples.push({ writer: w, forged: false, trajectory: render(style, genuineRendering(rng), rng), source: `synthetic:${names[w]}:genuine:${g + 1}` });
    }
    for (let f = 0; f < forgeries; f++) {
      const forger = forgerStyle(style, rng);
      samples.push({ writer: w, forged: true, trajectory: render(forger, forgeryRendering(rng), rng), source: `synthetic:${names[w]}:forged:${f + 1}` });
    }
  }
  return { writers: names, samples };
}
