/** Shared option parsers: commander turns their InvalidArgumentError into one clear line. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got '${value}'`);
  return n;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`expected a number in [0, 1), got '${value}'`);
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InvalidArgumentError(`expected a comma-separated list of non-negative integers, got '${value}'`);
  }
  return out;
}

export function oneOf<T extends string>(names: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(names as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${names.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** Parses 'WxH' or 'N' (square) into [height, width]. */
export function imageSize(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected WIDTHxHEIGHT or N, got '${value}'`);
  const w = Number(m[1]);
  const h = Number(m[2] ?? m[1]);
  if (w < 1 || h < 1) throw new InvalidArgumentError(`image size must be positive, got '${value}'`);
  return [h, w];
}

/** Parses a class list ('3,4') or a fraction of the classes ('0.4'), as `--validation-classes` takes. */
export function classListOrFraction(value: string): number[] | number {
  if (/^\s*0?\.\d+\s*$/.test(value)) return Number(value);
  return intList(value);
}
