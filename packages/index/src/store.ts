/**
 * The storage interface of an embedding index. Two implementations: a SQLite
 * file with sqlite-vec (sqlite-store.ts, the embedded default) and a
 * PostgreSQL table with pgvector (pg-store.ts, to scale out). The store is the
 * durable truth; {@link EmbeddingIndex} adds the model check, validation and
 * the fast in-memory exact search on top.
 */
import type { DistanceName } from 'contrastive/internal/distances/names.js';

/** The `format` value every index records. @group Stores */
export const INDEX_FORMAT = 'contrastive-index';
/** The index format this library writes and the newest it reads. @group Stores */
export const INDEX_FORMAT_VERSION = 1;

/** Which model made an index's embeddings: vectors of another model are not comparable. @group Stores */
export interface ModelIdentity {
  /** A hash of everything that decides the embedding (see bundleIdentity). */
  hash: string;
  /** Free text for messages, e.g. the bundle directory. */
  description?: string;
}

/** What an index records about itself. @group Stores */
export interface IndexMeta {
  format: typeof INDEX_FORMAT;
  formatVersion: number;
  /** Embedding size. */
  dim: number;
  /** Distance the index ranks by. */
  distance: DistanceName;
  model: ModelIdentity;
  /** ISO 8601 time of creation. */
  createdAt: string;
}

/**
 * How an index searches:
 * - 'auto' (default): 'approximate' on a SQLite index that has a current
 *   approximate graph (`index build --ann`, `index ann`) and at least
 *   `exactBelow` items (default 100,000) when no label filter is given;
 *   'exact' otherwise;
 * - 'exact': exact k-NN in memory over the stored vectors;
 * - 'database': exact, inside the database (sqlite-vec's distance functions, or a
 *   pgvector sequential scan); nothing held in memory;
 * - 'approximate': HNSW: the usearch graph beside a SQLite file, or pgvector's
 *   HNSW index (PostgreSQL indexes built with one only).
 * @group Stores
 */
export type SearchMode = 'auto' | 'exact' | 'database' | 'approximate';

/** The search modes, for option checks and help texts. @group Stores */
export const SEARCH_MODES: readonly SearchMode[] = ['auto', 'exact', 'database', 'approximate'];

/** One stored embedding's description. @group Stores */
export interface IndexItem {
  /** Unique within the index. */
  id: string;
  /** Class or identity, if known. */
  label: string | null;
  /** Where the example came from: a file path or a dataset row such as 'mnist:123'. */
  source: string | null;
}

/** Every stored item with its vector, in storage order. @group Stores */
export interface StoredItems {
  items: IndexItem[];
  /** Row-major [items, dim]. */
  vectors: Float32Array;
}

/** One search result. @group Stores */
export interface SearchHit extends IndexItem {
  /** Distance to the query in the index's distance. */
  distance: number;
}

/** How a store searches by itself (in the database rather than in memory). @group Stores */
export interface StoreSearchOptions {
  k: number;
  /** Only items with this label. */
  label?: string;
  /** Use the store's approximate index (pgvector HNSW) when it has one; else an exact scan. */
  approximate: boolean;
  /** HNSW candidate list size (pgvector `hnsw.ef_search`). */
  efSearch?: number;
}

/** Counts of an index. @group Stores */
export interface StoreCounts {
  items: number;
  /** Items per label (null: no label). */
  labels: Map<string | null, number>;
}

/** The operations both stores implement. Writes are transactions: all or nothing. @group Stores */
export interface IndexStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The target for messages (a file path, or a URL without its password). */
  readonly where: string;
  /** The index's metadata: embedding size, distance, model and counts as stored. */
  readMeta(): Promise<IndexMeta>;
  /** A number that changes whenever any writer commits (so readers can tell their copy is stale). */
  revision(): Promise<number>;
  /** Inserts items with their vectors ([items, dim]) in one transaction; an id already present fails the whole batch. Returns the new revision. */
  insert(items: readonly IndexItem[], vectors: Float32Array): Promise<number>;
  /** Removes items by id in one transaction; an unknown id fails the whole call. Returns the new revision. */
  remove(ids: readonly string[]): Promise<number>;
  /** Everything stored, with the revision it was read at. */
  loadAll(): Promise<StoredItems & { revision: number }>;
  /** One item and its vector, or null. */
  get(id: string): Promise<{ item: IndexItem; vector: Float32Array } | null>;
  /** How many entries the store holds. */
  counts(): Promise<StoreCounts>;
  /** k nearest items of each of `n` queries (row-major in `queries`) searched inside the database. */
  searchInStore(queries: Float32Array, n: number, options: StoreSearchOptions): Promise<SearchHit[][]>;
  /** Whether the store has an approximate index (pgvector HNSW). */
  hasApproximateIndex(): Promise<boolean>;
  /** Closes the connection or file; the store cannot be used afterwards. */
  close(): Promise<void>;
}

/** A new index being filled beside the target; `publish` replaces the target with it in one step. @group Stores */
export interface StagedStore {
  store: IndexStore;
  /** Replaces the target (if any) by the staged index and closes it. */
  publish(): Promise<void>;
  /** Drops the staged index; the target stays as it was. */
  discard(): Promise<void>;
}
