/**
 * What the jobs share, in one place: the seed and split fractions a job uses
 * when none is given, and how a job names its output directory. The numbers
 * themselves are `RUN_DEFAULTS` (choices.ts, which the CLI reads for --help).
 */
import path from 'node:path';
import { RUN_DEFAULTS } from './choices.js';

/** The seed of a job: the given one, else {@link RUN_DEFAULTS}.seed. @group Training */
export function jobSeed(seed: number | undefined): number {
  return seed ?? RUN_DEFAULTS.seed;
}

/** Fractions of each seen class held out for validation and test. @group Training */
export interface SplitFractions {
  validation: number;
  test: number;
}

/** The split fractions of a job: the given ones, else {@link RUN_DEFAULTS}' 0.1 and 0.2. @group Training */
export function splitFractions(o: { validationFraction?: number; testFraction?: number } = {}): SplitFractions {
  return { validation: o.validationFraction ?? RUN_DEFAULTS.validationFraction, test: o.testFraction ?? RUN_DEFAULTS.testFraction };
}

/** UTC time to the millisecond, safe in file names: 2026-11-30T12-20-45-123Z. @group Training */
export function runTimestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-').replace(/-\d\dZ$/, 'Z');
}

/**
 * A job's output directory, absolute: `out` when given, else
 * `runs/<prefix><dataset>-<timestamp>` with the dataset spec made safe for a file name.
 * @group Training
 */
export function runDirectory(out: string | undefined, datasetSpec: string, prefix = ''): string {
  return path.resolve(out ?? path.join('runs', `${prefix}${datasetSpec.replace(/[^A-Za-z0-9_-]+/g, '_')}-${runTimestamp()}`));
}
