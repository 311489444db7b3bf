/**
 * @contrastive/index: the embedding index, one store interface with two stores: a
 * SQLite + sqlite-vec file (default; with an optional HNSW graph beside it for
 * approximate search, `usearch` installed beside it) and PostgreSQL + pgvector (`pg`
 * and `pgvector` installed beside it).
 *
 * @packageDocumentation
 * @module @contrastive/index
 */
export { EmbeddingIndex, type SearchAnswer, type IndexSearchOptions, type OpenIndexOptions, type NewIndexOptions, type BuildIndexOptions, type IndexEntry, type IndexStats } from './embedding-index.js';
export { INDEX_FORMAT, INDEX_FORMAT_VERSION, SEARCH_MODES, type SearchMode, type ModelIdentity, type IndexMeta, type IndexItem, type SearchHit, type IndexStore, type StoreSearchOptions, type StoreCounts, type StoredItems, type StagedStore } from './store.js';
export { SqliteStore, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-store.js';
export { PgStore, type PgStoreOptions, type HnswOptions } from './pg-store.js';
export { DEFAULT_EXACT_BELOW, DEFAULT_ANN_EF_SEARCH, ANN_INSTALL, annManifestPath, type AnnBuildOptions, type AnnInfo } from './ann.js';
export { isPostgresTarget, describeTarget, type TargetOptions } from './targets.js';
export { mergeIndexes, type MergeIndexOptions, type MergeIndexResult } from './merge.js';
