/**
 * Embeddings written to a file for other tools: `.npy` (one float32 matrix,
 * row i = example i, for NumPy) or JSON lines (one object per example with its
 * index, source, label and embedding). Written atomically; read back (e.g. as
 * query vectors) by {@link readEmbeddingsFile}.
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { writeFileAtomic, writeChunksAtomic } from 'contrastive/internal/util/atomic.js';
import { npyBytes, parseNpy } from './npy.js';
import { readUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

/** File formats {@link writeEmbeddingsFile} writes. @group Embedding files */
export type EmbeddingsFormat = 'npy' | 'jsonl';
/** Every {@link EmbeddingsFormat}. @group Embedding files */
export const EMBEDDINGS_FORMATS: readonly EmbeddingsFormat[] = ['npy', 'jsonl'];

/** Embeddings of `count` examples, row-major, with what is known of each example. @group Embedding files */
export interface EmbeddingSet {
  embeddings: Float32Array;
  dim: number;
  /** Where each row came from (file path or dataset row), when known. */
  sources?: string[];
  /** Class of each row, when the data has classes. */
  labels?: Int32Array;
  /** Class names indexed by label, when known. */
  classNames?: string[];
}

/** The format a file name implies: .npy, or .jsonl / .ndjson / .json (JSON lines); null for another extension. @group Embedding files */
export function embeddingsFormatOf(file: string): EmbeddingsFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return null;
}

/** The JSON lines of an embedding set, one at a time: `{ index, source?, label?, className?, embedding }\n` per row. @group Embedding files */
export function* embeddingsJsonLines(set: EmbeddingSet): Generator<string> {
  const rows = set.embeddings.length / set.dim;
  for (let i = 0; i < rows; i++) {
    const row: Record<string, unknown> = { index: i };
    if (set.sources) row.source = set.sources[i];
    if (set.labels) {
      row.label = set.labels[i];
      if (set.classNames) row.className = set.classNames[set.labels[i]];
    }
    row.embedding = Array.from(set.embeddings.subarray(i * set.dim, (i + 1) * set.dim));
    yield JSON.stringify(row) + '\n';
  }
}

/**
 * Writes `set` to `file` as `format` (default: from the extension).
 *
 * @returns the format written.
 * @throws ContrastiveError when the format cannot be told from the extension, or the set is inconsistent.
 * @group Embedding files
 */
export async function writeEmbeddingsFile(file: string, set: EmbeddingSet, format?: EmbeddingsFormat): Promise<EmbeddingsFormat> {
  const fn = 'writeEmbeddingsFile';
  const f = format ?? embeddingsFormatOf(file);
  if (f === null) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: cannot tell the format of ${file} from its extension: name it .npy or .jsonl, or pass the format`);
  check(EMBEDDINGS_FORMATS.includes(f), fn, `format must be one of ${EMBEDDINGS_FORMATS.join(', ')}, got '${String(f)}'`);
  check(Number.isInteger(set.dim) && set.dim >= 1 && set.embeddings.length % set.dim === 0, fn, `embeddings (${set.embeddings.length} values) are not rows of dim ${set.dim}`);
  const rows = set.embeddings.length / set.dim;
  check(!set.sources || set.sources.length === rows, fn, `${set.sources?.length} sources for ${rows} rows`);
  check(!set.labels || set.labels.length === rows, fn, `${set.labels?.length} labels for ${rows} rows`);
  // JSON lines are streamed: 60,000 rows of 64 numbers are ~50 MB of text, more than a capped heap holds
  if (f === 'npy') await writeFileAtomic(file, npyBytes(set.embeddings, [rows, set.dim]));
  else await writeChunksAtomic(file, embeddingsJsonLines(set));
  return f;
}

/** What {@link readEmbeddingsFile} returns: `rows` embeddings of `dim` values, row-major. @group Embedding files */
export interface EmbeddingRows {
  embeddings: Float32Array;
  rows: number;
  dim: number;
  format: EmbeddingsFormat;
}

/** One JSON value as an embedding: an array of numbers, or an object with one in `embedding`. */
function jsonEmbedding(value: unknown, where: string): number[] {
  const v = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { embedding?: unknown }).embedding : value;
  if (!Array.isArray(v)) throw new ContrastiveError('INVALID_DATA', `${where}: expected an array of numbers or an object with an "embedding" array`);
  return v.map((x, c) => {
    if (typeof x !== 'number') throw new ContrastiveError('INVALID_DATA', `${where}: value ${c} is ${JSON.stringify(x)}, not a number`);
    return x;
  });
}

/**
 * Reads embeddings from a file: `.npy` ([rows, dim] or [dim], float32 or
 * float64, as `contrastive embed` or `numpy.save` write them) or JSON (one
 * value per line, each an array of numbers or an object with an `embedding`
 * array as {@link writeEmbeddingsFile} writes; or one JSON array of such
 * values). The format comes from the extension unless given.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_DATA for a file that is not such embeddings
 *   (naming the row or line), rows of different lengths or no rows, NUMERIC for a non-finite value (naming row and column).
 * @group Embedding files
 */
export async function readEmbeddingsFile(file: string, format?: EmbeddingsFormat): Promise<EmbeddingRows> {
  const fn = 'readEmbeddingsFile';
  const f = format ?? embeddingsFormatOf(file);
  if (f === null) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: cannot tell the format of ${file} from its extension: name it .npy, .jsonl or .json`);
  check(EMBEDDINGS_FORMATS.includes(f), fn, `format must be one of ${EMBEDDINGS_FORMATS.join(', ')}, got '${String(f)}'`);
  let bytes: Buffer;
  try {
    bytes = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.large, what: 'embeddings file', fn });
  } catch (err) {
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND') throw new ContrastiveError('NOT_FOUND', `${fn}: ${file} does not exist`, { cause: err });
    throw err;
  }
  let data: Float32Array;
  let rows: number;
  let dim: number;
  if (f === 'npy') {
    let npy: { shape: number[]; data: Float32Array };
    try {
      npy = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} is not a readable .npy file (${(err as Error).message.replace(/^parseNpy: /, '')})`, { cause: err });
    }
    if (npy.shape.length !== 1 && npy.shape.length !== 2) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} holds an array of shape (${npy.shape.join(', ')}); expected (dim,) or (rows, dim)`);
    [rows, dim] = npy.shape.length === 1 ? [1, npy.shape[0]] : (npy.shape as [number, number]);
    data = npy.data;
  } else {
    const text = bytes.toString('utf8');
    let values: { value: unknown; where: string }[];
    let whole: unknown;
    try {
      whole = JSON.parse(text);
    } catch {
      whole = undefined;
    }
    // one JSON array of rows, or one row (an array of numbers, or an object)
    if (Array.isArray(whole) && whole.length > 0 && whole.every((e) => e !== null && typeof e === 'object')) values = whole.map((value, i) => ({ value, where: `${file} row ${i}` }));
    else if (whole !== undefined) values = [{ value: whole, where: `${file} row 0` }];
    else {
      values = [];
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          values.push({ value: JSON.parse(line), where: `${file} line ${i + 1}` });
        } catch {
          throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} line ${i + 1} is not JSON (expected one JSON array or object per line)`);
        }
      });
    }
    const parsed = values.map(({ value, where }) => ({ v: jsonEmbedding(value, `${fn}: ${where}`), where }));
    rows = parsed.length;
    dim = parsed[0]?.v.length ?? 0;
    data = new Float32Array(rows * dim);
    parsed.forEach(({ v, where }, r) => {
      if (v.length !== dim) throw new ContrastiveError('INVALID_DATA', `${fn}: ${where} has ${v.length} values but the first row has ${dim}`);
      data.set(v, r * dim);
    });
  }
  if (rows === 0 || dim === 0) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} holds no embeddings (${rows} rows of ${dim} values)`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ContrastiveError('NUMERIC', `${fn}: ${file} row ${Math.floor(i / dim)} has a non-finite value (${data[i]}) at column ${i % dim}`);
  }
  return { embeddings: data, rows, dim, format: f };
}
