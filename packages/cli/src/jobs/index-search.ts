/**
 * `contrastive index search`: embed query images or dataset rows with the
 * bundle that built the index and return each one's nearest items; or search
 * with query embeddings given as numbers (no bundle needed to embed them).
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
// Only what a search by vector needs is imported up front: the embedder and the query readers bring
// TensorFlow.js (seconds to import), which an approximate search of a vector never touches.
import { EmbeddingIndex, type SearchAnswer } from '@contrastive/index/internal/embedding-index.js';
import type { EmbedEngine } from '@contrastive/node/internal/embed/index.js';
import type { SearchHit, SearchMode } from '@contrastive/index/internal/store.js';
import type { PairInput } from './verify-pair.js';
import type { OpenBundle } from './evaluate-bundle.js';

/**
 * A search restricted to `label` that found nothing: when no item carries that
 * label (they are compared exactly, case included), an error listing the labels
 * the index holds, so a typo is not mistaken for "no neighbours".
 */
async function checkLabelFound(index: EmbeddingIndex, label: string | undefined, answers: readonly SearchHit[][]): Promise<void> {
  if (label === undefined || answers.every((hits) => hits.length > 0)) return;
  const { labels } = await index.stats();
  if (labels.some((l) => l.label === label)) return;
  const named = labels.filter((l): l is { label: string; count: number } => l.label !== null);
  const near = named.find((l) => l.label.toLowerCase() === label.toLowerCase());
  const shown = named.slice(0, 20).map((l) => `${l.label} (${l.count})`).join(', ') + (named.length > 20 ? `, ... (${named.length - 20} more)` : '');
  throw new ContrastiveError(
    'NOT_FOUND',
    `index search: no item of ${index.where} has the label '${label}'${near ? ` (labels are compared exactly: did you mean '${near.label}'?)` : ''}; ` +
      (named.length ? `its labels: ${shown}` : 'its items have no labels'),
  );
}

/** Options of {@link searchIndexWith}. @group Index */
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
  /** Default 'auto' (approximate from 100,000 items when the index has an HNSW graph, else exact). */
  mode?: SearchMode;
  /** HNSW candidate list size of an approximate search (larger: better recall, slower). */
  efSearch?: number;
  /** Folder of the Fashion-MNIST files for fashion-mnist rows. */
  dataDir?: string;
  engine?: EmbedEngine;
  connectTimeoutMs?: number;
}

/** One query's answer. @group Index */
export interface IndexSearchAnswer {
  /** The query as given (file path or row name). */
  query: string;
  /** Nearest first. */
  results: SearchHit[];
  /** The mode that ran ('auto' resolved). */
  mode: SearchAnswer['mode'];
  /** HNSW candidate list size of an approximate search, else null. */
  efSearch: number | null;
  /** Why that mode ran, in words. */
  reason: string;
}

/** Each query's answer, with the mode that found it. */
function answersOf(names: readonly string[], a: SearchAnswer): IndexSearchAnswer[] {
  return a.hits.map((results, i) => ({ query: names[i], results, mode: a.mode, efSearch: a.efSearch, reason: a.reason }));
}

/**
 * Searches the index at `options.index` for each query.
 *
 * @throws ContrastiveError for another bundle than the index's, a query that cannot be read or decoded, bad options,
 *   a `label` no item carries (listing the index's labels).
 * @group Index
 */
export async function searchIndexWith(options: IndexSearchJobOptions): Promise<IndexSearchAnswer[]> {
  const fn = 'index search';
  check(Array.isArray(options.queries) && options.queries.length > 0, fn, 'give at least one query');
  const { BundleEmbedder } = await import('@contrastive/node/internal/embed/bundle-embedder.js');
  const { describePairInput, readPairInput } = await import('./verify-pair.js');
  const embedder = await BundleEmbedder.load(options.model, { engine: options.engine });
  try {
    const index = await EmbeddingIndex.open(options.index, { model: embedder.identity, dim: embedder.dim, connectTimeoutMs: options.connectTimeoutMs });
    try {
      const bundle: OpenBundle = { dir: options.model, network: embedder.network, manifest: embedder.manifest };
      const inputs: Float32Array[] = [];
      for (const q of options.queries) inputs.push(await readPairInput(bundle, q, { dataDir: options.dataDir }));
      const x = new Float32Array(inputs.reduce((s, v) => s + v.length, 0));
      inputs.forEach((v, i) => x.set(v, i * v.length));
      const emb = await embedder.embedPrepared(x, inputs.length);
      const answer = await index.searchDetailed(emb, inputs.length, { k: options.k, label: options.label, mode: options.mode, efSearch: options.efSearch });
      await checkLabelFound(index, options.label, answer.hits);
      return answersOf(options.queries.map(describePairInput), answer);
    } finally {
      await index.close();
    }
  } finally {
    await embedder.dispose();
  }
}

/** One query embedding and the name its answer carries (e.g. `--vector 1`, `q.npy:0`). @group Index */
export interface QueryVector {
  name: string;
  values: ArrayLike<number>;
}

/** Options of {@link searchIndexByVectors}. @group Index */
export interface IndexVectorSearchOptions {
  /** Index target: a file path or a postgres:// URL. */
  index: string;
  /**
   * Query embeddings, in the index's embedding space: as the bundle that
   * built the index embeds (L2-normalised when that bundle normalises);
   * searched as given.
   */
  vectors: readonly QueryVector[];
  /** When given, a bundle directory that must be the one that built the index (checked as for image queries). */
  model?: string;
  /** Neighbours per query (default 10). */
  k?: number;
  /** Only items with this label. */
  label?: string;
  /** Default 'auto' (approximate from 100,000 items when the index has an HNSW graph, else exact). */
  mode?: SearchMode;
  /** HNSW candidate list size of an approximate search (larger: better recall, slower). */
  efSearch?: number;
  connectTimeoutMs?: number;
  /**
   * Called with the mode that will run, before the search: the CLI starts a
   * tensor backend only for an exact search.
   */
  beforeSearch?: (mode: SearchAnswer['mode']) => Promise<void>;
}

/**
 * Searches the index at `options.index` with each query embedding. Without
 * `model` nothing ties the vectors to the index's bundle but their size: the
 * caller vouches that they come from it.
 *
 * @throws ContrastiveError for a vector whose size is not the index's dim (naming both), non-finite values,
 *   another bundle than the index's (when `model` is given), bad options, a `label` no item carries (listing the index's labels).
 * @group Index
 */
export async function searchIndexByVectors(options: IndexVectorSearchOptions): Promise<IndexSearchAnswer[]> {
  const fn = 'index search';
  check(Array.isArray(options.vectors) && options.vectors.length > 0, fn, 'give at least one query vector');
  // the bundle reader brings TensorFlow.js: loaded only when a bundle is given to check
  const identity = options.model !== undefined ? await (await import('@contrastive/node/internal/embed/bundle-identity.js')).bundleIdentity(options.model) : undefined;
  const index = await EmbeddingIndex.open(options.index, { model: identity, connectTimeoutMs: options.connectTimeoutMs });
  try {
    const { dim } = index;
    const x = new Float32Array(options.vectors.length * dim);
    options.vectors.forEach((q, i) => {
      check(q !== null && typeof q === 'object' && q.values != null && typeof q.values.length === 'number', fn, `vectors[${i}] must be { name, values }`);
      if (q.values.length !== dim) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: query ${q.name} has ${q.values.length} values but the index ${index.where} holds embeddings of dim ${dim}`);
      }
      for (let c = 0; c < dim; c++) {
        const v = Number(q.values[c]);
        // a finite double beyond float32's range would become Infinity in the search
        if (!Number.isFinite(Math.fround(v))) throw new ContrastiveError('NUMERIC', `${fn}: query ${q.name} has a value that is not a finite float32 (${q.values[c]}) at ${c}`);
        x[i * dim + c] = v;
      }
    });
    const search = { k: options.k, label: options.label, mode: options.mode, efSearch: options.efSearch };
    await options.beforeSearch?.((await index.planSearch(search)).mode);
    const answer = await index.searchDetailed(x, options.vectors.length, search);
    await checkLabelFound(index, options.label, answer.hits);
    return answersOf(options.vectors.map((v) => v.name), answer);
  } finally {
    await index.close();
  }
}
