/**
 * Pairs with similarity labels only (no classes): a CSV of
 * `path_a,path_b,label`, label 0 = similar, 1 = dissimilar (Hadsell et al.).
 * This is the semi-supervised input: someone said which pairs match, nobody
 * said who is who.
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { echoValue } from 'contrastive/internal/util/format.js';
import { checkImageOptions, decodeImage, type ImageOptions } from './image.js';
import { mapLimit } from './map-limit.js';
import { createRequire } from 'node:module';
import type { parse as CsvParse } from 'csv-parse';
import { loadPackage } from '@contrastive/kernels/internal/optional-package.js';
import { readUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

// Loaded on first use, as sharp is (util/sharp.ts): importing @contrastive/node pays for no CSV parser.
const require = createRequire(import.meta.url);
let csvParse: typeof CsvParse | undefined;
const loadCsvParse = (fn: string): typeof CsvParse => (csvParse ??= loadPackage(fn, 'csv-parse', () => (require('csv-parse') as { parse: typeof CsvParse }).parse));
import type { PairDataset } from 'contrastive/internal/data/types.js';

/** Options of {@link loadPairsCsv}: the image shape, plus decoding concurrency. @group Datasets */
export interface PairsCsvOptions extends ImageOptions {
  /** How many images are decoded at a time; default 8. */
  concurrency?: number;
}

interface Row {
  line: number;
  a: string;
  b: string;
  label: 0 | 1;
}

/**
 * Loads a pairs CSV. Each row is `path_a,path_b,label`; an optional header row
 * is recognised by a third field that is a word (e.g. `label`). Paths are
 * relative to the CSV's folder (absolute paths are kept). Fields are trimmed,
 * empty lines skipped, a UTF-8 BOM ignored. Each distinct image is decoded
 * and held once, however many rows name it (see decodeImage for formats and
 * `fit`): the pairs are row numbers into the dataset's `x`. Sources are
 * `<file>:<line>`. The CSV must be a regular file of at most
 * {@link USER_FILE_LIMITS}.csv bytes.
 *
 * @throws ContrastiveError naming the CSV file and line for a wrong column
 *   count, a label other than 0/1, or a missing or undecodable image; for a
 *   missing, non-regular or too large CSV; and for a CSV without pairs.
 * @group Datasets
 */
export async function loadPairsCsv(file: string, options: PairsCsvOptions): Promise<PairDataset> {
  const fn = 'loadPairsCsv';
  check(typeof file === 'string' && file.length > 0, fn, 'file must be a non-empty path');
  const image = checkImageOptions(options, fn);
  const concurrency = options.concurrency ?? 8;
  check(Number.isInteger(concurrency) && concurrency >= 1, fn, `concurrency must be an integer >= 1, got ${concurrency}`);
  const text = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.csv, what: 'pairs CSV', fn });

  const base = path.dirname(path.resolve(file));
  const rows: Row[] = [];
  const parse = loadCsvParse(fn);
  const parser = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true });
  try {
    let first = true;
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      // a header names its third column (e.g. 'label'); an empty or numeric third field is a data row
      const isHeader = first && record.length === 3 && /^[A-Za-z_]/.test(record[2]);
      first = false;
      if (isHeader) continue;
      if (record.length !== 3) {
        throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} line ${line}: expected 3 columns (path_a,path_b,label), found ${record.length}`);
      }
      const [a, b, l] = record;
      if (l !== '0' && l !== '1') {
        throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} line ${line}: label must be 0 (similar) or 1 (dissimilar), got '${echoValue(l)}'`);
      }
      if (a === '' || b === '') throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} line ${line}: empty image path`);
      rows.push({ line, a: path.resolve(base, a), b: path.resolve(base, b), label: l === '0' ? 0 : 1 });
    }
  } catch (err) {
    if (err instanceof ContrastiveError) throw err;
    const e = err as Error & { lines?: number };
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${file}${e.lines ? ` line ${e.lines}` : ''}: cannot parse CSV (${e.message})`, { cause: err });
  }
  if (rows.length === 0) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file}: no pairs (expected rows path_a,path_b,label)`);

  // Decode each distinct image once; remember where it first appears for messages.
  const firstLine = new Map<string, number>();
  for (const r of rows) {
    if (!firstLine.has(r.a)) firstLine.set(r.a, r.line);
    if (!firstLine.has(r.b)) firstLine.set(r.b, r.line);
  }
  const unique = [...firstLine.keys()];
  // Each image once, straight into x: a pair is two rows of x (copying pixels per row took 6 GB for 100,000 rows of two images).
  const size = image.width * image.height * image.channels;
  const rowOf = new Map(unique.map((img, k) => [img, k]));
  const x = new Float32Array(unique.length * size);
  await mapLimit(unique, concurrency, async (img, k) => {
    try {
      x.set(await decodeImage(img, image, fn), k * size);
    } catch (err) {
      if (!(err instanceof ContrastiveError)) throw err;
      const detail = err.message.startsWith(`${fn}: `) ? err.message.slice(fn.length + 2) : err.message;
      throw new ContrastiveError(err.code, `${fn}: ${file} line ${firstLine.get(img)}: image ${detail}`, { cause: err });
    }
  });
  const a = Int32Array.from(rows, (r) => rowOf.get(r.a)!);
  const b = Int32Array.from(rows, (r) => rowOf.get(r.b)!);
  const labels = Uint8Array.from(rows, (r) => r.label);
  return {
    name: `pairs:${file}`,
    inputShape: [image.height, image.width, image.channels],
    x,
    a,
    b,
    labels,
    sources: rows.map((r) => `${file}:${r.line}`),
  };
}
