/**
 * `contrastive index add`: embed image files with the bundle that built an
 * index and add them, all in one transaction (an undecodable file, a
 * repeated id or another bundle adds nothing).
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { decodeImage } from '@contrastive/node/internal/data/index.js';
import { EmbeddingIndex } from '@contrastive/index/internal/index.js';
import { BundleEmbedder, type EmbedEngine } from '@contrastive/node/internal/embed/index.js';

/** Options of {@link addFilesToIndex}. @group Index */
export interface IndexAddOptions {
  /** Index target: a file path or a postgres:// URL. */
  index: string;
  /** Bundle directory (must be the one that built the index). */
  model: string;
  /** Image files; each one's id and source is its absolute path. */
  files: readonly string[];
  /** Label of every file added (default none). */
  label?: string;
  /** Images decoded and embedded per batch (default 256). */
  batchSize?: number;
  engine?: EmbedEngine;
  connectTimeoutMs?: number;
  /** Called after each batch with the files done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link addFilesToIndex} returns. @group Index */
export interface IndexAddResult {
  added: number;
  items: number;
  engine: 'onnx' | 'tfjs';
}

const FN = 'index add';

/** Decodes `file` as the bundle's image preprocessing says (size, channels). */
export function imageOptionsOf(embedder: BundleEmbedder, fn: string): { width: number; height: number; channels: 1 | 3 } {
  const p = embedder.manifest.input.preprocessing;
  if (p.kind !== 'image') throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: the bundle ${embedder.dir} takes ${p.kind} inputs, not images`);
  check(p.channels === 1 || p.channels === 3, fn, `the bundle ${embedder.dir} takes images with ${p.channels} channels; only 1 or 3 can be decoded`);
  return { width: p.width, height: p.height, channels: p.channels };
}

/**
 * Embeds image files with `options.model` and adds them to the index at
 * `options.index` in one transaction.
 *
 * @throws ContrastiveError for another bundle than the index's, a file that cannot be decoded, an id already present.
 * @group Index
 */
export async function addFilesToIndex(options: IndexAddOptions): Promise<IndexAddResult> {
  const batch = options.batchSize ?? 256;
  check(Number.isInteger(batch) && batch >= 1, FN, `batchSize must be a positive integer, got ${batch}`);
  check(Array.isArray(options.files) && options.files.length > 0, FN, 'give at least one image file');
  check(options.label === undefined || typeof options.label === 'string', FN, 'label must be a string');
  const embedder = await BundleEmbedder.load(options.model, { engine: options.engine });
  try {
    const index = await EmbeddingIndex.open(options.index, { model: embedder.identity, dim: embedder.dim, connectTimeoutMs: options.connectTimeoutMs });
    try {
      const image = imageOptionsOf(embedder, FN);
      const n = options.files.length;
      const dim = embedder.dim;
      const vectors = new Float32Array(n * dim);
      for (let start = 0; start < n; start += batch) {
        const files = options.files.slice(start, start + batch);
        const decoded = await Promise.all(files.map((f) => decodeImage(f, image, FN)));
        const x = new Float32Array(decoded.reduce((s, d) => s + d.length, 0));
        decoded.forEach((d, i) => x.set(d, i * d.length));
        vectors.set(await embedder.embed(x, files.length), start * dim);
        options.onProgress?.(start + files.length, n);
      }
      await index.add(
        options.files.map((f, i) => {
          const abs = path.resolve(f);
          return { id: abs, label: options.label ?? null, source: abs, vector: vectors.subarray(i * dim, (i + 1) * dim) };
        }),
      );
      return { added: n, items: (await index.stats()).items, engine: embedder.engine };
    } finally {
      await index.close();
    }
  } finally {
    await embedder.dispose();
  }
}
