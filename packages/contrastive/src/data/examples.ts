/**
 * Where a dataset's examples live: behind one accessor, so the trainer and the
 * evaluators read batches of float32 rows without caring whether the examples
 * are float32 in memory (the default), 8-bit pixels in memory (a quarter of the
 * bytes, converted per batch) or image files decoded on demand
 * (@contrastive/node's streamed folders). Training builds each batch by reading
 * its rows; nothing else needs every example at once.
 */
import { ContrastiveError, check } from '../errors.js';
import type { ExampleStore, LabelledDataset } from './types.js';

export type { ExampleStore, ExampleStorage } from './types.js';

function checkRows(fn: string, rows: ArrayLike<number>, count: number): void {
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    check(Number.isInteger(r) && r >= 0 && r < count, fn, `row ${r} is not an example index in [0, ${count})`);
  }
}

function outFor(fn: string, rows: ArrayLike<number>, size: number, out: Float32Array | undefined, offset: number): Float32Array {
  const buf = out ?? new Float32Array(rows.length * size);
  check(offset >= 0 && offset + rows.length * size <= buf.length, fn, `out holds ${buf.length} floats, too few for ${rows.length} rows of ${size} from offset ${offset}`);
  return buf;
}

/**
 * Examples held as float32, row-major (what every loader gave before storage
 * choices existed): `x` is used as is, not copied.
 * @group Data
 */
export function float32Examples(x: Float32Array, exampleSize: number): ExampleStore {
  const fn = 'float32Examples';
  check(x instanceof Float32Array, fn, 'x must be a Float32Array');
  check(Number.isInteger(exampleSize) && exampleSize > 0 && x.length % exampleSize === 0, fn, `x has ${x.length} floats, not a multiple of exampleSize ${exampleSize}`);
  const count = x.length / exampleSize;
  const readSync = (rows: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array => {
    checkRows(fn, rows, count);
    const buf = outFor(fn, rows, exampleSize, out, offset);
    for (let k = 0; k < rows.length; k++) buf.set(x.subarray(rows[k] * exampleSize, (rows[k] + 1) * exampleSize), offset + k * exampleSize);
    return buf;
  };
  return {
    storage: 'float32',
    count,
    exampleSize,
    resident: true,
    bytes: x.byteLength,
    readSync,
    read: async (rows, out, offset) => readSync(rows, out, offset),
    subset: (rows) => float32Examples(readSync(rows), exampleSize),
  };
}

/** Options of {@link uint8Examples}. @group Data */
export interface Uint8ExampleOptions {
  /** A stored byte v reads as v / divisor; default 255 (pixels in [0, 1], exactly what decoding to float gives). */
  divisor?: number;
}

/** The float each byte value reads as: v / divisor, rounded to float32 once, so a uint8 store reads bit-identical to a float32 one made the same way. */
export function byteTable(divisor = 255): Float32Array {
  check(Number.isFinite(divisor) && divisor > 0, 'uint8Examples', `divisor must be a positive number, got ${divisor}`);
  return Float32Array.from({ length: 256 }, (_, v) => v / divisor);
}

/**
 * Examples held as bytes (8-bit pixels), a quarter of the memory of float32;
 * each read converts its rows (v / divisor). `bytes` is used as is, not copied.
 * @group Data
 */
export function uint8Examples(bytes: Uint8Array, exampleSize: number, options: Uint8ExampleOptions = {}): ExampleStore {
  const fn = 'uint8Examples';
  check(bytes instanceof Uint8Array, fn, 'bytes must be a Uint8Array');
  check(Number.isInteger(exampleSize) && exampleSize > 0 && bytes.length % exampleSize === 0, fn, `bytes has ${bytes.length} values, not a multiple of exampleSize ${exampleSize}`);
  const table = byteTable(options.divisor ?? 255);
  const count = bytes.length / exampleSize;
  const readSync = (rows: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array => {
    checkRows(fn, rows, count);
    const buf = outFor(fn, rows, exampleSize, out, offset);
    for (let k = 0; k < rows.length; k++) {
      const src = rows[k] * exampleSize;
      const dst = offset + k * exampleSize;
      for (let i = 0; i < exampleSize; i++) buf[dst + i] = table[bytes[src + i]];
    }
    return buf;
  };
  const subset = (rows: ArrayLike<number>): ExampleStore => {
    checkRows(fn, rows, count);
    const part = new Uint8Array(rows.length * exampleSize);
    for (let k = 0; k < rows.length; k++) part.set(bytes.subarray(rows[k] * exampleSize, (rows[k] + 1) * exampleSize), k * exampleSize);
    return uint8Examples(part, exampleSize, options);
  };
  return { storage: 'uint8', count, exampleSize, resident: true, bytes: bytes.byteLength, readSync, read: async (rows, out, offset) => readSync(rows, out, offset), subset };
}

/**
 * The examples of `dataset`: its {@link LabelledDataset.examples} store, or its
 * float32 `x` behind the same accessor.
 * @group Data
 */
export function examplesOf(dataset: Pick<LabelledDataset, 'x' | 'inputShape'> & { examples?: ExampleStore }): ExampleStore {
  if (dataset.examples) return dataset.examples;
  return float32Examples(dataset.x, dataset.inputShape.reduce((a, b) => a * b, 1));
}

/** True when `dataset` keeps its examples in a store other than a float32 `x` (bytes, or files). @group Data */
export function hasExampleStore(dataset: object): dataset is LabelledDataset & { examples: ExampleStore } {
  return (dataset as { examples?: unknown }).examples !== undefined;
}

/**
 * A labelled dataset whose examples are in `examples`. Its `x` stays readable for
 * code written against float32 datasets: for a resident store it is materialised
 * on each read (4x the bytes of a uint8 store: read rows through
 * {@link examplesOf} instead); for a streamed store reading `x` is an error naming
 * the accessor. `x` is not an own enumerable field, so spreading the dataset
 * (`{ ...dataset }`) keeps `examples` and leaves `x` out.
 * @group Data
 */
export function datasetWithExamples(fields: Omit<LabelledDataset, 'x' | 'examples'>, examples: ExampleStore): LabelledDataset {
  check(examples.count === fields.labels.length, 'datasetWithExamples', `the store holds ${examples.count} examples but there are ${fields.labels.length} labels`);
  const out = { ...fields, examples } as LabelledDataset;
  Object.defineProperty(out, 'x', {
    enumerable: false,
    configurable: true,
    get(): Float32Array {
      if (!examples.resident) {
        throw new ContrastiveError(
          'UNSUPPORTED',
          `dataset '${fields.name}' is streamed from disk (${examples.count} examples) and has no x in memory: read rows with examplesOf(dataset).read(rows), or embed it in chunks with embedExamples`,
        );
      }
      return examples.readSync(Int32Array.from({ length: examples.count }, (_, k) => k));
    },
  });
  return out;
}
