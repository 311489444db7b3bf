/**
 * The SVC2004 text format (First International Signature Verification
 * Competition): the first line holds the number of points, then one point per
 * line, fields separated by white space:
 *
 *     x y timestamp button-status azimuth altitude pressure     (Task 2)
 *     x y timestamp button-status                              (Task 1: no pressure, no angles)
 *
 * Timestamps are in milliseconds; button status is 1 with the pen down, 0 up.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { packTrajectory, type Trajectory, type TrajectoryPoint } from './trajectory.js';

const FIELDS_TASK2 = ['x', 'y', 'timestamp', 'button-status', 'azimuth', 'altitude', 'pressure'] as const;

/**
 * Parses the text of one SVC2004 signature file. Points of a Task 1 file (4
 * fields) get pressure 1 with the pen down and 0 with it up.
 *
 * @param source file name for messages.
 * @throws ContrastiveError INVALID_DATA naming `source` and the line for an
 *   empty file, a point count that is not a positive integer, fewer points than
 *   the count (truncated), more points than the count, a line with another
 *   number of fields, a field that is not a number, or an empty signature.
 * @group Reading and writing
 */
export function parseSvc2004(text: string, source: string): Trajectory {
  const lines = text.split(/\r?\n/);
  // A trailing newline (or several) ends the file; blank lines inside it are errors.
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty file (an SVC2004 file starts with its number of points)`);
  const head = lines[0].trim();
  const count = Number(head);
  if (!/^\d+$/.test(head)) {
    throw new ContrastiveError('INVALID_DATA', `${source}: line 1: expected the number of points, got '${head.slice(0, 40)}'`);
  }
  if (count === 0) throw new ContrastiveError('INVALID_DATA', `${source}: empty signature (the header says 0 points)`);
  const found = lines.length - 1;
  if (found < count) throw new ContrastiveError('INVALID_DATA', `${source}: truncated: the header says ${count} points but the file has ${found}`);
  if (found > count) throw new ContrastiveError('INVALID_DATA', `${source}: wrong point count: the header says ${count} points but the file has ${found}`);

  let width = 0;
  const points: TrajectoryPoint[] = [];
  for (let k = 0; k < count; k++) {
    const lineNo = k + 2;
    const fields = lines[k + 1].trim().split(/\s+/);
    if (width === 0) {
      if (fields.length !== 4 && fields.length !== 7) {
        throw new ContrastiveError('INVALID_DATA', `${source}: line ${lineNo}: expected 7 fields (${FIELDS_TASK2.join(' ')}) or 4 (Task 1), got ${fields.length}`);
      }
      width = fields.length;
    } else if (fields.length !== width) {
      throw new ContrastiveError('INVALID_DATA', `${source}: line ${lineNo}: expected ${width} fields like the first point, got ${fields.length}`);
    }
    const v = fields.map((f, i) => {
      const n = Number(f);
      if (f === '' || !Number.isFinite(n)) {
        throw new ContrastiveError('INVALID_DATA', `${source}: line ${lineNo}: ${FIELDS_TASK2[i]} '${f.slice(0, 20)}' is not a number`);
      }
      return n;
    });
    const button = v[3];
    if (button !== 0 && button !== 1) throw new ContrastiveError('INVALID_DATA', `${source}: line ${lineNo}: button-status must be 0 or 1, got ${button}`);
    const penDown = button === 1;
    points.push({ x: v[0], y: v[1], t: v[2], penDown, pressure: width === 7 ? v[6] : penDown ? 1 : 0 });
  }
  return packTrajectory(points, source, (k) => `line ${k + 2}`);
}

/**
 * Writes a trajectory as SVC2004 Task 2 text (azimuth and altitude 0, which
 * this library does not use). Numbers are rounded to integers, as the
 * competition's files hold them.
 * @group Reading and writing
 */
export function formatSvc2004(trajectory: Trajectory): string {
  const n = trajectory.x.length;
  const rows = [String(n)];
  for (let k = 0; k < n; k++) {
    const r = (v: number): string => String(Math.round(v));
    rows.push(`${r(trajectory.x[k])} ${r(trajectory.y[k])} ${r(trajectory.t[k])} ${trajectory.penDown[k]} 0 0 ${r(trajectory.pressure[k])}`);
  }
  return rows.join('\n') + '\n';
}
