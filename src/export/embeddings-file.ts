/**
 * Embeddings written to a file for other tools: `.npy` (one float32 matrix,
 * row i = example i, for NumPy) or JSON lines (one object per example with its
 * index, source, label and embedding). Written atomically.
 */
import path from 'node:path';
import { ContrastiveError, check } from '../errors.js';
import { writeFileAtomic, writeChunksAtomic } from '../util/atomic.js';
import { npyBytes } from './npy.js';

/** File formats {@link writeEmbeddingsFile} writes. */
export type EmbeddingsFormat = 'npy' | 'jsonl';
/** Every {@link EmbeddingsFormat}. */
export const EMBEDDINGS_FORMATS: readonly EmbeddingsFormat[] = ['npy', 'jsonl'];

/** Embeddings of `count` examples, row-major, with what is known of each example. */
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

/** The format a file name implies: .npy, or .jsonl / .ndjson / .json (JSON lines); null for another extension. */
export function embeddingsFormatOf(file: string): EmbeddingsFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return null;
}

/** The JSON lines of an embedding set, one at a time: `{ index, source?, label?, className?, embedding }\n` per row. */
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
