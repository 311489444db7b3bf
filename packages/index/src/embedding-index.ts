/**
 * An embedding index: ids, labels, sources and embeddings in a durable store
 * (a SQLite file, or PostgreSQL + pgvector), searched by exact k-NN in memory
 * over the stored vectors (the project's own knn: one GEMM pass on
 * onnxruntime, far faster than a database scan), by the database itself, or
 * approximately through an HNSW graph (usearch beside a SQLite file, ann.ts;
 * pgvector's HNSW index in PostgreSQL). The store stays the truth: the
 * in-memory copy is reloaded whenever another writer has committed, and the
 * graph is searched only while it matches the store's state.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { checkDistanceName, type DistanceName } from 'contrastive/internal/distances/names.js';
// the exact search's engine brings TensorFlow.js (seconds to import): loaded when an exact search runs,
// so an approximate search (a CLI call with a query vector) never pays for it
import type { KnnGallery } from 'contrastive/internal/eval/knn-gallery.js';

let knnGallery: Promise<typeof import('contrastive/internal/eval/knn-gallery.js')> | undefined;
/** The exact search's module, imported once: a dynamic import per search costs a module resolution each time. */
function knnGalleryModule(): Promise<typeof import('contrastive/internal/eval/knn-gallery.js')> {
  return (knnGallery ??= import('contrastive/internal/eval/knn-gallery.js'));
}
import { PgStore, type HnswOptions } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import { AnnGraph, annManifestStamp, DEFAULT_ANN_EF_SEARCH, DEFAULT_EXACT_BELOW, type AnnBuildOptions, type AnnInfo } from './ann.js';
import { createStore, openStore, stageStore, type TargetOptions } from './targets.js';
import { INDEX_FORMAT, INDEX_FORMAT_VERSION, SEARCH_MODES, type SearchMode, type IndexItem, type IndexMeta, type IndexStore, type ModelIdentity, type SearchHit } from './store.js';

/** Options of {@link EmbeddingIndex.search}. @group Index */
export interface IndexSearchOptions {
  /** Neighbours per query (default 10); fewer come back when the index (or the label) has fewer items. */
  k?: number;
  /** Only items with this label. */
  label?: string;
  /** Default 'auto': approximate on a SQLite index with a current graph of at least `exactBelow` items, else exact. */
  mode?: SearchMode;
  /**
   * HNSW candidate list size for 'approximate' (default: 64 for the SQLite
   * graph, max(40, k) for pgvector; at least k is used); larger: better
   * recall, slower.
   */
  efSearch?: number;
  /** 'auto' searches exactly below this many items (default 100,000). */
  exactBelow?: number;
}

/** What {@link EmbeddingIndex.searchDetailed} returns: the hits and how they were found. @group Index */
export interface SearchAnswer {
  /** Per query, nearest first. */
  hits: SearchHit[][];
  /** The mode that ran ('auto' resolved). */
  mode: Exclude<SearchMode, 'auto'>;
  /** The HNSW candidate list size of an approximate search (null otherwise, and for pgvector without one given). */
  efSearch: number | null;
  /** Why this mode ran, in words (e.g. 'approximate: HNSW graph of 1000000 items'). */
  reason: string;
}

/** Options of {@link EmbeddingIndex.open}. @group Index */
export interface OpenIndexOptions extends TargetOptions {
  /**
   * The model the caller embeds with: when given, an index made by another
   * model is an error (its vectors are not comparable). A hash or an identity.
   */
  model?: ModelIdentity | string;
  /**
   * The size of the caller's embeddings: when given, an index recording
   * another dim is an error naming the index (with `model` the same, its
   * description is damaged) instead of a query of the wrong size later.
   */
  dim?: number;
}

/** What a new index records. @group Index */
export interface NewIndexOptions extends TargetOptions {
  dim: number;
  /** Default 'euclidean'. */
  distance?: DistanceName;
  /** The model that makes the embeddings. */
  model: ModelIdentity;
}

/** Options of {@link EmbeddingIndex.build}. @group Index */
export interface BuildIndexOptions extends NewIndexOptions {
  /**
   * After filling, build an approximate (HNSW) index: a usearch graph beside
   * a SQLite file (the package usearch installed), pgvector's HNSW index in
   * PostgreSQL.
   */
  ann?: boolean | (HnswOptions & AnnBuildOptions);
  /** The same as `ann` (its earlier name, PostgreSQL only then). */
  hnsw?: boolean | HnswOptions;
}

/** An item to add: its description and its embedding. @group Index */
export interface IndexEntry {
  id: string;
  label?: string | null;
  source?: string | null;
  /** The embedding (dim numbers). */
  vector: ArrayLike<number>;
}

/** What {@link EmbeddingIndex.stats} returns. @group Index */
export interface IndexStats {
  /** The target, without any password. */
  where: string;
  store: 'sqlite' | 'postgres';
  dim: number;
  distance: DistanceName;
  model: ModelIdentity;
  createdAt: string;
  items: number;
  /** Items per label, most first (label null: unlabelled). */
  labels: { label: string | null; count: number }[];
  /** Whether approximate search is available (a pgvector HNSW index, or a current graph beside a SQLite file). */
  approximateIndex: boolean;
  /** The HNSW graph beside a SQLite file (null: none), current or stale. */
  ann: AnnInfo | null;
}

/** The in-memory copy searched in 'exact' mode. */
interface Mirror {
  revision: number;
  items: IndexItem[];
  vectors: Float32Array;
  gallery: KnnGallery | null;
  /** Galleries over one label's rows, built on first use. */
  byLabel: Map<string, { rows: number[]; gallery: KnnGallery | null }>;
}

function modelHash(model: ModelIdentity | string): string {
  return typeof model === 'string' ? model : model.hash;
}

/**
 * A durable index of embeddings with exact and approximate nearest-neighbour search.
 *
 * @example
 * ```ts
 * import { EmbeddingIndex } from '@contrastive/index';
 *
 * const model = { hash: 'the-bundle-hash' }; // bundleIdentity(dir) for a real bundle
 * await EmbeddingIndex.build('gallery.sqlite', { dim: 2, model }, (ix) =>
 *   ix.add([
 *     { id: 'a', label: 'cat', vector: [0, 1] },
 *     { id: 'b', label: 'dog', vector: [1, 0] },
 *   ]),
 * );
 * const index = await EmbeddingIndex.open('gallery.sqlite', { model });
 * console.log(await index.search([0.1, 0.9], { k: 1 })); // [{ id: 'a', label: 'cat', distance: 0.141... }]
 * await index.close();
 * ```
 * @group Index
 */
export class EmbeddingIndex {
  private mirror: Mirror | null = null;
  private closed = false;
  /** The SQLite index's HNSW graph as last read (undefined: not looked for yet). */
  private annGraph: AnnGraph | null | undefined = undefined;
  /** What the manifest file was (inode, size, mtime) when the graph was read. */
  private annStamp: string | null = null;

  private constructor(
    private readonly store: IndexStore,
    /** What the index records about itself. */
    readonly meta: IndexMeta,
  ) {}

  /** Embedding size. */
  get dim(): number {
    return this.meta.dim;
  }

  /** Distance the index ranks by. */
  get distance(): DistanceName {
    return this.meta.distance;
  }

  /** The model that made the index's embeddings. */
  get model(): ModelIdentity {
    return this.meta.model;
  }

  /** The target, without any password. */
  get where(): string {
    return this.store.where;
  }

  /**
   * Opens an index: a file path (SQLite) or a postgres:// URL (pgvector;
   * `?table=NAME` picks the table).
   *
   * @throws ContrastiveError NOT_FOUND (no such file or table, server unreachable), INVALID_DATA (not an index, corrupt),
   *   STATE when `options.model` is not the model that built the index or `options.dim` is not its dim.
   */
  static async open(target: string, options: OpenIndexOptions = {}): Promise<EmbeddingIndex> {
    const fn = 'EmbeddingIndex.open';
    const store = await openStore(target, options, fn);
    const index = new EmbeddingIndex(store, await store.readMeta());
    try {
      if (options.model !== undefined) index.checkModel(options.model, fn);
      if (options.dim !== undefined && options.dim !== index.dim) {
        const damaged = options.model !== undefined ? ": the index's description is damaged (it names the model that embeds with another size); rebuild it with index build" : '';
        throw new ContrastiveError('STATE', `${fn}: the index ${index.where} records embeddings of dim ${index.dim}, but the model embeds dim ${options.dim}${damaged}`);
      }
    } catch (err) {
      await store.close();
      throw err;
    }
    return index;
  }

  /**
   * Creates a new, empty index at `target`.
   *
   * @throws ContrastiveError STATE when an index (or file) is already there.
   */
  static async create(target: string, options: NewIndexOptions): Promise<EmbeddingIndex> {
    const fn = 'EmbeddingIndex.create';
    const meta = newMeta(options, fn);
    return new EmbeddingIndex(await createStore(target, meta, options, fn), meta);
  }

  /**
   * Builds a new index at `target` and replaces whatever was there in one
   * step: `fill` adds to a staged index (a temporary file, or staging tables);
   * only when it resolves is the staged index moved into place. If `fill`
   * throws (or the process dies), the target stays as it was.
   *
   * @returns what `fill` returned.
   */
  static async build<T>(target: string, options: BuildIndexOptions, fill: (index: EmbeddingIndex) => Promise<T>): Promise<T> {
    const fn = 'EmbeddingIndex.build';
    const meta = newMeta(options, fn);
    const staged = await stageStore(target, meta, options, fn);
    const index = new EmbeddingIndex(staged.store, meta);
    const ann = options.ann ?? options.hnsw;
    const annOptions = ann === true || ann === undefined || ann === false ? {} : ann;
    let out: T;
    try {
      if (ann && staged.store instanceof SqliteStore) AnnGraph.checkOptions(annOptions, fn);
      out = await fill(index);
      if (ann && staged.store instanceof PgStore) await staged.store.createApproximateIndex(annOptions);
    } catch (err) {
      index.closed = true;
      await staged.discard();
      throw err;
    }
    index.closed = true;
    index.disposeMirror();
    await staged.publish();
    if (staged.store instanceof SqliteStore) {
      // a graph of the index this one replaced is of no use; the new one is built from the published file
      await AnnGraph.remove(target);
      if (ann) {
        const built = await EmbeddingIndex.open(target);
        try {
          await built.createApproximateIndex(annOptions);
        } finally {
          await built.close();
        }
      }
    }
    return out;
  }

  /** Throws STATE unless `model` (a hash or identity) is the model that built the index. */
  checkModel(model: ModelIdentity | string, fn = 'EmbeddingIndex'): void {
    const hash = modelHash(model);
    if (hash !== this.meta.model.hash) {
      const mine = this.meta.model.description ? ` (${this.meta.model.description})` : '';
      const theirs = typeof model !== 'string' && model.description ? ` (${model.description})` : '';
      throw new ContrastiveError(
        'STATE',
        `${fn}: the index ${this.where} was built with another model: index model ${this.meta.model.hash.slice(0, 12)}${mine}, given ${hash.slice(0, 12)}${theirs}; embeddings of different models are not comparable (rebuild the index with this model)`,
      );
    }
  }

  private live(fn: string): IndexStore {
    if (this.closed) throw new ContrastiveError('STATE', `${fn}: the index ${this.where} is closed`);
    return this.store;
  }

  /**
   * Adds items in one transaction: all or none. Ids must be new and unique.
   *
   * @throws ContrastiveError for a vector of the wrong size or with non-finite values, an empty or repeated id.
   */
  async add(entries: readonly IndexEntry[]): Promise<void> {
    const fn = 'EmbeddingIndex.add';
    const store = this.live(fn);
    check(Array.isArray(entries), fn, 'entries must be an array of { id, label?, source?, vector }');
    if (entries.length === 0) return;
    const { dim } = this.meta;
    const vectors = new Float32Array(entries.length * dim);
    const items: IndexItem[] = [];
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      check(e !== null && typeof e === 'object', fn, `entries[${i}] must be an object { id, label?, source?, vector }`);
      check(typeof e.id === 'string' && e.id.length > 0, fn, `entries[${i}].id must be a non-empty string`);
      check(!seen.has(e.id), fn, `id '${e.id}' appears twice in the batch`);
      seen.add(e.id);
      for (const key of ['label', 'source'] as const) {
        const v = e[key];
        check(v === undefined || v === null || typeof v === 'string', fn, `entries[${i}].${key} must be a string or null`);
      }
      const v = e.vector;
      check(v != null && typeof v.length === 'number', fn, `entries[${i}].vector must be an array of ${dim} numbers`);
      check(v.length === dim, fn, `entries[${i}] ('${e.id}') has a vector of ${v.length} values but the index holds dim ${dim}`);
      for (let c = 0; c < dim; c++) {
        const x = Number(v[c]);
        if (!Number.isFinite(x)) throw new ContrastiveError('NUMERIC', `${fn}: entries[${i}] ('${e.id}') has a non-finite value at ${c}`);
        vectors[i * dim + c] = x;
      }
      items.push({ id: e.id, label: e.label ?? null, source: e.source ?? null });
    });
    const before = this.mirror?.revision;
    const graph = await this.currentGraphBeforeWrite(fn);
    const revision = await store.insert(items, vectors);
    if (graph) await this.updateGraph(graph, revision, fn, async (s) => ({ addKeys: await s.keysOf(items.map((it) => it.id)), addVectors: vectors }));
    const m = this.mirror;
    if (m && before === revision - 1) {
      // our own commit on top of our copy: extend it instead of reloading
      const grown = new Float32Array(m.vectors.length + vectors.length);
      grown.set(m.vectors);
      grown.set(vectors, m.vectors.length);
      this.disposeMirror();
      this.mirror = { revision, items: m.items.concat(items), vectors: grown, gallery: null, byLabel: new Map() };
    } else {
      this.disposeMirror();
    }
  }

  /**
   * Removes items by id in one transaction.
   *
   * @throws ContrastiveError NOT_FOUND for an unknown id (then nothing is removed).
   */
  async remove(ids: readonly string[]): Promise<void> {
    const fn = 'EmbeddingIndex.remove';
    const store = this.live(fn);
    check(Array.isArray(ids) && ids.every((id) => typeof id === 'string'), fn, 'ids must be an array of strings');
    if (ids.length === 0) return;
    const graph = await this.currentGraphBeforeWrite(fn);
    const keys = graph && store instanceof SqliteStore ? await store.keysOf(ids) : null;
    const revision = await store.remove(ids);
    if (graph && keys) await this.updateGraph(graph, revision, fn, async () => ({ removeKeys: keys }));
    this.disposeMirror();
  }

  /**
   * The SQLite index's graph when it is current (a write then keeps it
   * current); null when there is none, or it is stale already (it stays
   * stale, and says so when searched).
   */
  private async currentGraphBeforeWrite(fn: string): Promise<AnnGraph | null> {
    if (!(this.store instanceof SqliteStore)) return null;
    const graph = this.readGraph(fn);
    return graph && graph.isCurrent(this.meta, await this.store.revision()) ? graph : null;
  }

  /**
   * Applies a write committed as `revision` to the graph, when no other
   * writer committed between (else the graph is left stale, and says so).
   */
  private async updateGraph(graph: AnnGraph, revision: number, fn: string, change: (s: SqliteStore) => Promise<Parameters<AnnGraph['update']>[1]>): Promise<void> {
    const store = this.store as SqliteStore;
    if (graph.manifest.revision !== revision - 1) return;
    this.annGraph = await graph.update(revision, await change(store), fn);
    this.annStamp = annManifestStamp(this.where);
  }

  /** The graph beside the SQLite file as last read; read again when its manifest file changed (asked before every search: a stat, not a read). */
  private readGraph(fn: string): AnnGraph | null {
    if (!(this.store instanceof SqliteStore)) return null;
    const stamp = annManifestStamp(this.where);
    if (this.annGraph !== undefined && stamp === this.annStamp) return this.annGraph;
    const fresh = stamp === null ? null : AnnGraph.open(this.where, fn);
    const cached = this.annGraph;
    this.annStamp = stamp;
    if (cached && fresh && cached.manifest.graph === fresh.manifest.graph) return cached;
    cached?.close();
    this.annGraph = fresh;
    return fresh;
  }

  /** One item and its stored embedding, or null for an unknown id. */
  async get(id: string): Promise<{ item: IndexItem; vector: Float32Array } | null> {
    check(typeof id === 'string', 'EmbeddingIndex.get', 'id must be a string');
    return this.live('EmbeddingIndex.get').get(id);
  }

  /** Every item with its embedding ([items, dim] row-major), as stored. */
  async all(): Promise<{ items: IndexItem[]; vectors: Float32Array }> {
    const m = await this.loadMirror('EmbeddingIndex.all');
    return { items: m.items.slice(), vectors: m.vectors.slice() };
  }

  /** The nearest items of one query vector, nearest first (ties by insertion order). */
  async search(query: ArrayLike<number>, options: IndexSearchOptions = {}): Promise<SearchHit[]> {
    const fn = 'EmbeddingIndex.search';
    check(query != null && typeof query.length === 'number', fn, `query must be an array of ${this.dim} numbers`);
    check(query.length === this.dim, fn, `the query has ${query.length} values but the index holds dim ${this.dim}`);
    return (await this.searchMany(Float32Array.from(query), 1, options))[0];
  }

  /**
   * The nearest items of each of `n` query vectors stored row after row in
   * `queries` ([n, dim]), nearest first.
   *
   * @throws ContrastiveError for queries of the wrong size or non-finite values, a bad k or mode,
   *   'approximate' without an HNSW index.
   */
  async searchMany(queries: Float32Array, n: number, options: IndexSearchOptions = {}): Promise<SearchHit[][]> {
    return (await this.searchDetailed(queries, n, options)).hits;
  }

  /**
   * As {@link EmbeddingIndex.searchMany}, and says which mode ran and why
   * ('auto' resolved to 'exact' or 'approximate').
   *
   * @throws ContrastiveError as {@link EmbeddingIndex.searchMany}; STATE for 'approximate' on a SQLite index whose
   *   graph is stale (naming the command that rebuilds it), UNSUPPORTED for 'approximate' with a label on a SQLite index.
   */
  async searchDetailed(queries: Float32Array, n: number, options: IndexSearchOptions = {}): Promise<SearchAnswer> {
    const fn = 'EmbeddingIndex.search';
    const store = this.live(fn);
    const k = options.k ?? 10;
    check(Number.isInteger(n) && n >= 0, fn, `n must be a non-negative integer, got ${n}`);
    check(queries instanceof Float32Array && queries.length === n * this.dim, fn, `queries must be a Float32Array of n x dim = ${n} x ${this.dim} values, got ${queries?.length}`);
    for (let i = 0; i < queries.length; i++) {
      if (!Number.isFinite(queries[i])) throw new ContrastiveError('NUMERIC', `${fn}: query ${Math.floor(i / this.dim)} has a non-finite value`);
    }
    const plan = await this.planSearchAs(options, fn);
    const { mode, efSearch, reason } = plan;
    if (n === 0) return { hits: [], mode, efSearch, reason };
    if (plan.graph) return { hits: await this.searchGraph(plan.graph, store as SqliteStore, queries, n, k, efSearch!, fn), mode, efSearch, reason };
    if (mode === 'database' || mode === 'approximate') {
      const hits = await store.searchInStore(queries, n, { k, label: options.label, approximate: mode === 'approximate', efSearch: options.efSearch });
      return { hits, mode, efSearch, reason };
    }
    const r = await this.nearestRows(queries, n, k, options.label, fn);
    const out: SearchHit[][] = [];
    for (let q = 0; q < n; q++) {
      const hits: SearchHit[] = [];
      for (let j = 0; j < r.k; j++) {
        const item = r.items[r.rows[q * r.k + j]];
        hits.push({ id: item.id, label: item.label, source: item.source, distance: r.distances[q * r.k + j] });
      }
      out.push(hits);
    }
    return { hits: out, mode, efSearch, reason };
  }

  /**
   * Which mode a search with `options` runs, and why, without searching (an
   * application that needs something only for one mode, such as a tensor
   * backend for the exact search, prepares it first).
   *
   * @throws ContrastiveError as {@link EmbeddingIndex.searchDetailed} for bad options or a stale graph.
   */
  async planSearch(options: IndexSearchOptions = {}): Promise<Omit<SearchAnswer, 'hits'>> {
    const { mode, efSearch, reason } = await this.planSearchAs(options, 'EmbeddingIndex.search');
    return { mode, efSearch, reason };
  }

  private async planSearchAs(options: IndexSearchOptions, fn: string): Promise<Omit<SearchAnswer, 'hits'> & { graph?: AnnGraph }> {
    const store = this.live(fn);
    const k = options.k ?? 10;
    const mode = options.mode ?? 'auto';
    const exactBelow = options.exactBelow ?? DEFAULT_EXACT_BELOW;
    check(Number.isInteger(k) && k >= 1, fn, `k must be a positive integer, got ${k}`);
    check(SEARCH_MODES.includes(mode), fn, `mode must be one of ${SEARCH_MODES.join(', ')}, got '${String(mode)}'`);
    check(options.label === undefined || typeof options.label === 'string', fn, 'label must be a string');
    if (options.efSearch !== undefined) check(Number.isInteger(options.efSearch) && options.efSearch >= 1 && options.efSearch <= 1000, fn, `efSearch must be an integer in [1, 1000], got ${options.efSearch}`);
    check(Number.isInteger(exactBelow) && exactBelow >= 0, fn, `exactBelow must be a non-negative integer, got ${exactBelow}`);
    let graph: AnnGraph | null = null;
    if (store instanceof SqliteStore && (mode === 'approximate' || mode === 'auto')) {
      graph = this.readGraph(fn);
      if (mode === 'approximate') {
        if (!graph) throw new ContrastiveError('UNSUPPORTED', `${fn}: approximate search of ${this.where} needs its HNSW graph; build it with: contrastive index ann --index ${this.where} (or index build --ann)`);
        if (options.label !== undefined) throw new ContrastiveError('UNSUPPORTED', `${fn}: the HNSW graph of ${this.where} has no label filter; search a label with { mode: 'exact' } (or 'auto')`);
      }
      if (graph && options.label === undefined && (mode === 'approximate' || graph.manifest.items >= exactBelow)) {
        const revision = await store.revision();
        if (!graph.isCurrent(this.meta, revision)) throw graph.staleError(this.where, this.meta, revision, fn);
        const ef = Math.max(k, options.efSearch ?? DEFAULT_ANN_EF_SEARCH);
        const why = mode === 'auto' ? `, auto: ${graph.manifest.items} items >= ${exactBelow}` : '';
        return { mode: 'approximate', efSearch: ef, reason: `approximate: HNSW graph (usearch, ef ${ef}${why})`, graph };
      }
    }
    if (mode === 'approximate' && !(store instanceof PgStore)) throw new ContrastiveError('UNSUPPORTED', `${fn}: approximate search needs an HNSW index (a SQLite file's graph, or pgvector's)`);
    const ran = mode === 'auto' ? 'exact' : mode;
    const words = ran === 'exact' ? 'exact: in memory' : ran === 'database' ? 'database: a scan inside the database' : 'approximate: pgvector HNSW';
    const why = mode !== 'auto' ? '' : options.label !== undefined ? ' (auto: a label filter searches exactly)' : graph ? ` (auto: fewer than ${exactBelow} items)` : ' (auto: no HNSW graph)';
    return { mode: ran, efSearch: ran === 'approximate' ? (options.efSearch ?? null) : null, reason: words + why };
  }

  /** An approximate search of the SQLite index's graph; only the rows found are read from the file. */
  private async searchGraph(graph: AnnGraph, store: SqliteStore, queries: Float32Array, n: number, k: number, ef: number, fn: string): Promise<SearchHit[][]> {
    const r = graph.search(queries, n, k, ef, fn);
    const keys: bigint[] = [];
    for (let q = 0; q < n; q++) for (let j = 0; j < r.counts[q]; j++) keys.push(r.keys[q * k + j]);
    const items = await store.itemsByKey(keys);
    const out: SearchHit[][] = [];
    let at = 0;
    for (let q = 0; q < n; q++) {
      const hits: SearchHit[] = [];
      for (let j = 0; j < r.counts[q]; j++) {
        const item = items[at++];
        // the graph matched the file's revision: every key it returns is a row
        if (!item) throw new ContrastiveError('INVALID_DATA', `${fn}: the HNSW graph of ${this.where} returned item key ${r.keys[q * k + j]}, which the index does not hold; rebuild it with: contrastive index ann --index ${this.where} --force`);
        hits.push({ id: item.id, label: item.label, source: item.source, distance: r.distances[q * k + j] });
      }
      out.push(hits);
    }
    return out;
  }

  /**
   * Exact search in memory, answered as positions instead of objects (for
   * large k, e.g. retrieval metrics over a whole class): `rows[q * k + j]` is
   * the position in `items` (a snapshot of the index) of query q's j-th
   * nearest item, `distances` its distance; k = min(options.k, items available).
   *
   * @throws ContrastiveError as {@link EmbeddingIndex.searchMany}.
   */
  async searchRows(queries: Float32Array, n: number, options: { k?: number; label?: string } = {}): Promise<{ items: readonly IndexItem[]; rows: Int32Array; distances: Float64Array; k: number }> {
    const fn = 'EmbeddingIndex.searchRows';
    const k = options.k ?? 10;
    check(Number.isInteger(n) && n >= 0, fn, `n must be a non-negative integer, got ${n}`);
    check(queries instanceof Float32Array && queries.length === n * this.dim, fn, `queries must be a Float32Array of n x dim = ${n} x ${this.dim} values, got ${queries?.length}`);
    check(Number.isInteger(k) && k >= 1, fn, `k must be a positive integer, got ${k}`);
    return this.nearestRows(queries, n, k, options.label, fn);
  }

  private async nearestRows(queries: Float32Array, n: number, k: number, label: string | undefined, fn: string): Promise<{ items: readonly IndexItem[]; rows: Int32Array; distances: Float64Array; k: number }> {
    const m = await this.loadMirror(fn);
    const { KnnGallery } = await knnGalleryModule();
    let rows: number[] | null = null;
    let gallery: KnnGallery | null;
    if (label === undefined) {
      gallery = m.gallery ??= m.items.length > 0 ? new KnnGallery(m.vectors, this.distance, { dim: this.dim }) : null;
    } else {
      let sub = m.byLabel.get(label);
      if (!sub) {
        const picked: number[] = [];
        m.items.forEach((it, i) => {
          if (it.label === label) picked.push(i);
        });
        const v = new Float32Array(picked.length * this.dim);
        picked.forEach((r, j) => v.set(m.vectors.subarray(r * this.dim, (r + 1) * this.dim), j * this.dim));
        sub = { rows: picked, gallery: picked.length > 0 ? new KnnGallery(v, this.distance, { dim: this.dim }) : null };
        m.byLabel.set(label, sub);
      }
      rows = sub.rows;
      gallery = sub.gallery;
    }
    if (!gallery || n === 0) return { items: m.items, rows: new Int32Array(0), distances: new Float64Array(0), k: 0 };
    const kk = Math.min(k, gallery.rows);
    const r = gallery.search(queries, kk, { dim: this.dim });
    if (rows) for (let i = 0; i < r.indices.length; i++) r.indices[i] = rows[r.indices[i]];
    return { items: m.items, rows: r.indices, distances: r.distances, k: kk };
  }

  /** The in-memory copy, reloaded when any writer committed since it was read. */
  private async loadMirror(fn: string): Promise<Mirror> {
    const store = this.live(fn);
    const revision = await store.revision();
    if (this.mirror && this.mirror.revision === revision) return this.mirror;
    this.disposeMirror();
    const all = await store.loadAll();
    // add() refuses non-finite vectors; one found here was written by something else, and would rank as NaN silently
    const bad = all.vectors.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const item = all.items[Math.floor(bad / this.dim)];
      throw new ContrastiveError('INVALID_DATA', `${fn}: the index ${this.where} is damaged: item '${item?.id}' holds a non-finite value (${all.vectors[bad]}); remove it (index remove) or rebuild the index`);
    }
    this.mirror = { revision: all.revision, items: all.items, vectors: all.vectors, gallery: null, byLabel: new Map() };
    return this.mirror;
  }

  private disposeMirror(): void {
    const m = this.mirror;
    this.mirror = null;
    m?.gallery?.dispose();
    for (const sub of m?.byLabel.values() ?? []) sub.gallery?.dispose();
  }

  /** Counts and description. */
  async stats(): Promise<IndexStats> {
    const store = this.live('EmbeddingIndex.stats');
    const counts = await store.counts();
    const graph = this.readGraph('EmbeddingIndex.stats');
    const annInfo = graph ? graph.info(this.meta, await store.revision()) : null;
    const labels = [...counts.labels.entries()].map(([label, count]) => ({ label, count }));
    labels.sort((a, b) => b.count - a.count || String(a.label).localeCompare(String(b.label)));
    return {
      where: this.where,
      store: store.kind,
      dim: this.dim,
      distance: this.distance,
      model: this.meta.model,
      createdAt: this.meta.createdAt,
      items: counts.items,
      labels,
      approximateIndex: store instanceof SqliteStore ? annInfo?.current === true : await store.hasApproximateIndex(),
      ann: annInfo,
    };
  }

  /**
   * Builds (or rebuilds) the HNSW index for 'approximate' searches: a usearch
   * graph beside a SQLite file (written atomically; kept current by
   * {@link EmbeddingIndex.add} and {@link EmbeddingIndex.remove}), or
   * pgvector's HNSW index.
   *
   * @throws ContrastiveError UNSUPPORTED when usearch is not installed (SQLite), naming the install command.
   */
  async createApproximateIndex(options: HnswOptions & AnnBuildOptions = {}): Promise<void> {
    const fn = 'EmbeddingIndex.createApproximateIndex';
    const store = this.live(fn);
    if (store instanceof PgStore) {
      await store.createApproximateIndex(options);
      return;
    }
    if (!(store instanceof SqliteStore)) throw new ContrastiveError('UNSUPPORTED', `${fn}: this store has no approximate index`);
    AnnGraph.checkOptions(options, fn);
    const { keys, vectors, revision } = await store.keyedVectors();
    this.annGraph?.close();
    this.annGraph = await AnnGraph.build(this.where, this.meta, revision, keys, vectors, options, fn);
    this.annStamp = annManifestStamp(this.where);
  }

  /**
   * Removes the SQLite index's HNSW graph (searches are exact again).
   *
   * @returns whether there was one.
   * @throws ContrastiveError UNSUPPORTED on PostgreSQL.
   */
  async dropApproximateIndex(): Promise<boolean> {
    const fn = 'EmbeddingIndex.dropApproximateIndex';
    const store = this.live(fn);
    if (!(store instanceof SqliteStore)) throw new ContrastiveError('UNSUPPORTED', `${fn}: only the SQLite store's graph can be dropped here (in PostgreSQL: DROP INDEX)`);
    this.annGraph?.close();
    const had = await AnnGraph.remove(this.where);
    this.annGraph = null;
    this.annStamp = null;
    return had;
  }

  /** Closes the connection or file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disposeMirror();
    this.annGraph?.close();
    await this.store.close();
  }
}

function newMeta(options: NewIndexOptions, fn: string): IndexMeta {
  check(options !== null && typeof options === 'object', fn, 'options { dim, distance?, model } are required');
  check(Number.isInteger(options.dim) && options.dim >= 1 && options.dim <= 16000, fn, `dim must be an integer in [1, 16000], got ${options.dim}`);
  const distance = options.distance ?? 'euclidean';
  checkDistanceName(distance, fn);
  check(typeof options.model?.hash === 'string' && options.model.hash.length > 0, fn, 'model.hash must be a non-empty string (see bundleIdentity)');
  const model: ModelIdentity = { hash: options.model.hash };
  if (options.model.description !== undefined) model.description = String(options.model.description);
  return { format: INDEX_FORMAT, formatVersion: INDEX_FORMAT_VERSION, dim: options.dim, distance, model, createdAt: new Date().toISOString() };
}
