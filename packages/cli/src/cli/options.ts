/**
 * Shared option parsers and help helpers. A parser throws commander's
 * InvalidArgumentError, which becomes one line naming the option; every
 * numeric option goes through one of these, so a bad number never reaches the
 * library. Defaults in help texts are written one way, `(default: X)`, from
 * the constants the code uses.
 */
import { parseShard, type Shard } from '../jobs/shard.js';
import { InvalidArgumentError, Option } from 'commander';
import { echoValue } from 'contrastive/internal/util/format.js';

function number(value: string): number {
  return value.trim() === '' ? NaN : Number(value);
}

export function positiveInt(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${echoValue(value)}'`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${echoValue(value)}'`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${echoValue(value)}'`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got '${echoValue(value)}'`);
  return n;
}

export function finiteNumber(value: string): number {
  const n = number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a finite number, got '${echoValue(value)}'`);
  return n;
}

export function fraction(value: string): number {
  const n = number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`expected a number in [0, 1), got '${echoValue(value)}'`);
  return n;
}

/** A fraction of a split: in (0, 1). */
export function openFraction(value: string): number {
  const n = number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError(`expected a number in (0, 1), got '${echoValue(value)}'`);
  return n;
}

export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InvalidArgumentError(`expected a comma-separated list of non-negative integers, got '${echoValue(value)}'`);
  }
  return out;
}

/** A comma-separated list of positive integers (layer widths). */
export function widthList(value: string): number[] {
  const out = intList(value);
  if (out.some((n) => n < 1)) throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got '${echoValue(value)}'`);
  return out;
}

/**
 * Affine augmentation ranges 'ROTATE,SCALE,SHEAR' (degrees, zoom fraction, degrees),
 * e.g. '10,0.1,10'; trailing entries may be left out (0).
 */
export function affineRanges(value: string): { rotate: number; scale: number; shear: number } {
  const parts = value.split(',').map((s) => s.trim());
  const [rotate = 0, scale = 0, shear = 0] = parts.map((s) => (s === '' ? NaN : Number(s)));
  const ok = parts.length <= 3 && [rotate, scale, shear].every(Number.isFinite) && rotate >= 0 && rotate <= 180 && scale >= 0 && scale < 1 && shear >= 0 && shear <= 60;
  if (!ok) throw new InvalidArgumentError(`expected ROTATE,SCALE,SHEAR: rotation degrees in [0, 180], zoom in [0, 1), shear degrees in [0, 60], e.g. 10,0.1,10; got '${echoValue(value)}'`);
  return { rotate, scale, shear };
}

export function oneOf<T extends string>(names: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(names as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${names.join(', ')}, got '${echoValue(value)}'`);
    return value as T;
  };
}

/** 1 (grayscale) or 3 (RGB). */
export function channelCount(value: string): 1 | 3 {
  const n = number(value);
  if (n !== 1 && n !== 3) throw new InvalidArgumentError(`expected 1 (grayscale) or 3 (RGB), got '${echoValue(value)}'`);
  return n;
}

/** Parses 'WxH' or 'N' (square) into [height, width]. */
export function imageSize(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected WIDTHxHEIGHT or N, got '${echoValue(value)}'`);
  const w = Number(m[1]);
  const h = Number(m[2] ?? m[1]);
  if (w < 1 || h < 1) throw new InvalidArgumentError(`image size must be positive, got '${echoValue(value)}'`);
  return [h, w];
}

/** Parses a class list ('3,4') or a fraction of the classes ('0.4'), as `--validation-classes` takes. */
export function classListOrFraction(value: string): number[] | number {
  if (/^\s*0?\.\d+\s*$/.test(value)) return Number(value);
  return intList(value);
}

/** Choices for help: 'a | b | c'. */
export function choices(names: readonly string[]): string {
  return names.join(' | ');
}

/** A default for help texts, written the one way: '(default: X)'. */
export function dflt(value: string | number | boolean | readonly (string | number)[]): string {
  return `(default: ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

/**
 * An option whose default commander applies, shown as `(default: X)` like the
 * defaults written into descriptions (commander would print strings quoted and
 * objects as JSON).
 */
export function optionWithDefault<T>(flags: string, description: string, parse: ((value: string) => T) | undefined, value: T, shown?: string): Option {
  const o = new Option(flags, description);
  if (parse) o.argParser((v: string) => parse(v));
  return o.default(value, shown ?? (Array.isArray(value) ? value.join(',') : String(value)));
}

/** --shard i/n: shard i of n (0 <= i < n), see jobs/shard.ts. */
export function shardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch {
    throw new InvalidArgumentError('expected i/n, shard i of n counted from 0 (0 <= i < n), e.g. 0/4');
  }
}

/** --readout: 'auto', 'output', 'under-head', a layer name, or NAME:flatten|avg|max (checked against the model when it is built). */
export function readoutChoice(value: string): string {
  if (!/^[A-Za-z0-9_./-]+(:(flatten|avg|max))?$/.test(value)) {
    throw new InvalidArgumentError(`expected auto, output, under-head, a layer name or NAME:avg / NAME:max, got '${echoValue(value)}'`);
  }
  return value;
}
