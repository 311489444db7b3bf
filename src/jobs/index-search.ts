/**
 * `contrastive index search`: embed query images or dataset rows with the
 * bundle that built the index and return each one's nearest items.
 */
import { check } from '../errors.js';
import { BundleEmbedder, EmbeddingIndex, type EmbedEngine, type SearchHit, type SearchMode } from '../index/index.js';
import { describePairInput, readPairInput, type PairInput } from './verify-pair.js';
import type { OpenBundle } from './evaluate-bundle.js';

/** Options of {@link searchIndexWith}. */
export interface IndexSearchJobOptions {
  /** Index target: a file path or a postgres:// URL. */
  index: string;
  /** Bundle directory (must be the one that built the index). */
  model: string;
  /** Queries: image files or dataset rows (as `contrastive verify` reads them). */
  queries: readonly PairInput[];
  /** Neighbours per query (default 10). */
  k?: number;
  /** Only items with this label. */
  label?: string;
  /** Default 'exact'. */
  mode?: SearchMode;
  efSearch?: number;
  /** Folder of the Fashion-MNIST files for fashion-mnist rows. */
  dataDir?: string;
  engine?: EmbedEngine;
  connectTimeoutMs?: number;
}

/** One query's answer. */
export interface IndexSearchAnswer {
  /** The query as given (file path or row name). */
  query: string;
  /** Nearest first. */
  results: SearchHit[];
}

/**
 * Searches the index at `options.index` for each query.
 *
 * @throws ContrastiveError for another bundle than the index's, a query that cannot be read or decoded, bad options.
 */
export async function searchIndexWith(options: IndexSearchJobOptions): Promise<IndexSearchAnswer[]> {
  const fn = 'index search';
  check(Array.isArray(options.queries) && options.queries.length > 0, fn, 'give at least one query');
  const embedder = await BundleEmbedder.load(options.model, { engine: options.engine });
  try {
    const index = await EmbeddingIndex.open(options.index, { model: embedder.identity, connectTimeoutMs: options.connectTimeoutMs });
    try {
      const bundle: OpenBundle = { dir: options.model, network: embedder.network, manifest: embedder.manifest };
      const inputs: Float32Array[] = [];
      for (const q of options.queries) inputs.push(await readPairInput(bundle, q, { dataDir: options.dataDir }));
      const x = new Float32Array(inputs.reduce((s, v) => s + v.length, 0));
      inputs.forEach((v, i) => x.set(v, i * v.length));
      const emb = await embedder.embedPrepared(x, inputs.length);
      const hits = await index.searchMany(emb, inputs.length, { k: options.k, label: options.label, mode: options.mode, efSearch: options.efSearch });
      return hits.map((results, i) => ({ query: describePairInput(options.queries[i]), results }));
    } finally {
      await index.close();
    }
  } finally {
    await embedder.dispose();
  }
}
