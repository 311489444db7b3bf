/**
 * An online signature as the pen recorded it: one point per sample with its
 * position, time, pressure and pen state.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';

/** A pen trajectory. All arrays have one entry per recorded point. @group Reading and writing */
export interface Trajectory {
  /** Horizontal position (device units). */
  x: Float64Array;
  /** Vertical position (device units). */
  y: Float64Array;
  /** Time of each point in milliseconds, non-decreasing. */
  t: Float64Array;
  /** Pen pressure (device units, >= 0); 0 where the device reports none while the pen is up. */
  pressure: Float64Array;
  /** 1 while the pen touches the tablet, 0 while it hovers (pen-up). */
  penDown: Uint8Array;
}

/** One point, the row form the readers assemble before packing a {@link Trajectory}. @group Reading and writing */
export interface TrajectoryPoint {
  x: number;
  y: number;
  t: number;
  pressure: number;
  penDown: boolean;
}

/** Number of points of a trajectory. @group Reading and writing */
export function pointCount(trajectory: Trajectory): number {
  return trajectory.x.length;
}

/**
 * Packs points into a {@link Trajectory}, checking what every later step relies
 * on: at least one point, finite values, non-decreasing time, pressure >= 0, and
 * pen-down points at two places at least (a stroke, not a dot).
 *
 * @param source file (or other origin) named in error messages.
 * @param at where point k is in the source, for messages (default `line k+1`).
 * @throws ContrastiveError INVALID_DATA naming `source` and the line.
 * @group Reading and writing
 */
export function packTrajectory(points: readonly TrajectoryPoint[], source: string, at: (k: number) => string = (k) => `line ${k + 1}`): Trajectory {
  const n = points.length;
  if (n === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty signature (no points)`);
  const tr: Trajectory = {
    x: new Float64Array(n),
    y: new Float64Array(n),
    t: new Float64Array(n),
    pressure: new Float64Array(n),
    penDown: new Uint8Array(n),
  };
  let down = 0;
  for (let k = 0; k < n; k++) {
    const p = points[k];
    for (const [name, v] of [['x', p.x], ['y', p.y], ['time', p.t], ['pressure', p.pressure]] as const) {
      if (!Number.isFinite(v)) throw new ContrastiveError('INVALID_DATA', `${source}: ${at(k)}: ${name} is ${v}, not a finite number`);
    }
    if (p.pressure < 0) throw new ContrastiveError('INVALID_DATA', `${source}: ${at(k)}: pressure ${p.pressure} is negative`);
    if (k > 0 && p.t < points[k - 1].t) {
      throw new ContrastiveError('INVALID_DATA', `${source}: ${at(k)}: time ${p.t} is earlier than the previous point's ${points[k - 1].t}`);
    }
    tr.x[k] = p.x;
    tr.y[k] = p.y;
    tr.t[k] = p.t;
    tr.pressure[k] = p.pressure;
    tr.penDown[k] = p.penDown ? 1 : 0;
    if (p.penDown) down++;
  }
  if (down === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty signature (the pen never touches the tablet in ${n} points)`);
  // A dot has no shape to compare: it would match any other dot (or a signature scaled out of range) at distance 0.
  let spread = false;
  let first = -1;
  for (let k = 0; k < n && !spread; k++) {
    if (!tr.penDown[k]) continue;
    if (first < 0) first = k;
    else spread = tr.x[k] !== tr.x[first] || tr.y[k] !== tr.y[first];
  }
  if (!spread) {
    const what = down === 1 ? 'one pen-down point' : `${down} pen-down points, all at (${tr.x[first]}, ${tr.y[first]})`;
    throw new ContrastiveError('INVALID_DATA', `${source}: not a signature: ${what} is a dot, not a stroke (a signature needs pen-down points at two places at least)`);
  }
  return tr;
}
