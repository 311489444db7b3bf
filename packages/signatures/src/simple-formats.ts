/**
 * A simple format for online signatures, as CSV or JSON, for data exported
 * from any tablet or web canvas.
 *
 * CSV: a header row naming the columns, then one point per row. `x` and `y` are
 * required; `t` (milliseconds), `pressure` and `pen` (1 down, 0 up) are
 * optional (aliases: time/timestamp, p, pen_down/penDown/button). Missing time
 * counts 10 ms per point; missing pressure is 1; missing pen is 1 (down).
 *
 *     x,y,t,pressure,pen
 *     10,20,0,0.5,1
 *
 * JSON: `{ "points": [...] }` or the bare array, each point an object with the
 * same keys as the CSV columns or an array `[x, y, t?, pressure?, pen?]`.
 */
import { parse } from 'csv-parse/sync';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { packTrajectory, type Trajectory, type TrajectoryPoint } from './trajectory.js';
import { echoValue } from 'contrastive/internal/util/format.js';

const ALIASES: Record<string, keyof TrajectoryPoint> = {
  x: 'x',
  y: 'y',
  t: 't',
  time: 't',
  timestamp: 't',
  pressure: 'pressure',
  p: 'pressure',
  pen: 'penDown',
  pen_down: 'penDown',
  pendown: 'penDown',
  button: 'penDown',
};

/** Milliseconds between points when a file gives no time. */
const DEFAULT_STEP_MS = 10;

function toPoint(values: Partial<Record<keyof TrajectoryPoint, unknown>>, k: number, where: string): TrajectoryPoint {
  const num = (key: keyof TrajectoryPoint, name: string, fallback: number | undefined): number => {
    const raw = values[key];
    if (raw === undefined || raw === null || raw === '') {
      if (fallback === undefined) throw new ContrastiveError('INVALID_DATA', `${where}: ${name} is missing`);
      return fallback;
    }
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    if (!Number.isFinite(n) || (typeof raw === 'string' && raw.trim() === '')) {
      throw new ContrastiveError('INVALID_DATA', `${where}: ${name} '${String(raw).slice(0, 20)}' is not a number`);
    }
    return n;
  };
  const pen = num('penDown', 'pen', 1);
  if (pen !== 0 && pen !== 1) throw new ContrastiveError('INVALID_DATA', `${where}: pen must be 0 or 1, got ${pen}`);
  return { x: num('x', 'x', undefined), y: num('y', 'y', undefined), t: num('t', 't', k * DEFAULT_STEP_MS), pressure: num('pressure', 'pressure', 1), penDown: pen === 1 };
}

/**
 * Parses a CSV online signature (see the module doc for the columns).
 *
 * @throws ContrastiveError INVALID_DATA naming `source` and the row for a file
 *   without header or points, a header without x and y, an unknown or repeated
 *   column, a row with another number of fields (a truncated last row), or a
 *   value that is not a number.
 * @group Reading and writing
 */
export function parseTrajectoryCsv(text: string, source: string): Trajectory {
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${source}: not valid CSV (${(err as Error).message})`, { cause: err });
  }
  if (rows.length === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty file (expected a header such as x,y,t,pressure,pen)`);
  const header = rows[0].map((h) => h.toLowerCase());
  const keys = header.map((h) => {
    const key = ALIASES[h];
    if (!key) throw new ContrastiveError('INVALID_DATA', `${source}: line 1: unknown column '${h}' (expected ${Object.keys(ALIASES).join(', ')})`);
    return key;
  });
  if (new Set(keys).size !== keys.length) throw new ContrastiveError('INVALID_DATA', `${source}: line 1: a column appears twice in '${rows[0].join(',')}'`);
  if (!keys.includes('x') || !keys.includes('y')) throw new ContrastiveError('INVALID_DATA', `${source}: line 1: the header needs columns x and y, got '${echoValue(rows[0].join(','))}'`);
  if (rows.length === 1) throw new ContrastiveError('INVALID_DATA', `${source}: empty signature (a header and no points)`);
  const points = rows.slice(1).map((row, k) => {
    const where = `${source}: line ${k + 2}`;
    if (row.length !== keys.length) throw new ContrastiveError('INVALID_DATA', `${where}: expected ${keys.length} fields like the header, got ${row.length}`);
    return toPoint(Object.fromEntries(keys.map((key, i) => [key, row[i]])), k, where);
  });
  return packTrajectory(points, source, (k) => `line ${k + 2}`);
}

/**
 * Parses a JSON online signature (see the module doc for the shape).
 *
 * @throws ContrastiveError INVALID_DATA naming `source` and the point for text
 *   that is not JSON, a document without points, a point of the wrong shape,
 *   or a value that is not a number.
 * @group Reading and writing
 */
export function parseTrajectoryJson(text: string, source: string): Trajectory {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null && Array.isArray((doc as { points?: unknown }).points) ? (doc as { points: unknown[] }).points : undefined;
  if (!list) throw new ContrastiveError('INVALID_DATA', `${source}: expected an array of points or an object { "points": [...] }`);
  if (list.length === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty signature (no points)`);
  const points = list.map((p, k) => {
    const where = `${source}: point ${k}`;
    if (Array.isArray(p)) {
      if (p.length < 2 || p.length > 5) throw new ContrastiveError('INVALID_DATA', `${where}: expected [x, y, t?, pressure?, pen?], got ${p.length} values`);
      return toPoint({ x: p[0], y: p[1], t: p[2], pressure: p[3], penDown: p[4] }, k, where);
    }
    if (typeof p !== 'object' || p === null) throw new ContrastiveError('INVALID_DATA', `${where}: expected an object or an array, got ${echoValue(JSON.stringify(p) ?? String(p))}`);
    const values: Partial<Record<keyof TrajectoryPoint, unknown>> = {};
    for (const [name, v] of Object.entries(p)) {
      const key = ALIASES[name.toLowerCase()];
      if (!key) throw new ContrastiveError('INVALID_DATA', `${where}: unknown key '${name}' (expected ${Object.keys(ALIASES).join(', ')})`);
      values[key] = typeof v === 'boolean' ? Number(v) : v;
    }
    return toPoint(values, k, where);
  });
  return packTrajectory(points, source, (k) => `point ${k}`);
}
