/**
 * The embedded store: one SQLite file (better-sqlite3), the durable truth of
 * an index. WAL journal, every write one IMMEDIATE transaction (a crash
 * mid-batch leaves the file as it was before the batch; a second writer waits
 * up to the busy timeout, then gets a clear error). Vectors are float32 BLOBs
 * in the items table; sqlite-vec is loaded for the in-database search
 * (`vec_distance_l2` / `vec_distance_cosine` over the same BLOBs), which needs
 * no vector kept in memory. The fast exact search runs in memory (see
 * EmbeddingIndex), over the vectors loaded from here.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { firstLine, loadPackage } from '@contrastive/kernels/internal/optional-package.js';
import type { DistanceName } from 'contrastive/internal/distances/names.js';
import { checkUserFile } from '@contrastive/node/internal/util/user-file.js';
import {
  INDEX_FORMAT,
  INDEX_FORMAT_VERSION,
  type IndexItem,
  type IndexMeta,
  type IndexStore,
  type SearchHit,
  type StoreCounts,
  type StoreSearchOptions,
  type StoredItems,
} from './store.js';

/** Milliseconds a writer waits for another writer's transaction before failing. @group Stores */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const META_TABLE = 'contrastive_index_meta';
const ITEMS_TABLE = 'contrastive_index_items';

type Database = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

/** The command that builds better-sqlite3's native binding where its install script did not run. */
export const SQLITE_REBUILD = 'npm rebuild better-sqlite3';

interface SqliteModules {
  Sqlite: typeof BetterSqlite3;
  sqliteVec: { load(db: Database): void };
}

let modules: SqliteModules | undefined;

/**
 * better-sqlite3 with its native binding, and sqlite-vec, loaded once; `load` stands for
 * `require` (tests pass one that fails). better-sqlite3's JavaScript loads without its binding
 * and would fail only inside `new Database()`, where a missing file fails too: an in-memory
 * database opened here tells the two apart.
 *
 * @throws ContrastiveError UNSUPPORTED naming the package and the command that fixes it.
 */
export function sqliteModules(fn: string, load: (id: string) => unknown = require): SqliteModules {
  if (modules && load === require) return modules;
  const Sqlite = loadPackage(fn, 'better-sqlite3', () => load('better-sqlite3') as typeof BetterSqlite3);
  try {
    new Sqlite(':memory:').close();
  } catch (err) {
    throw new ContrastiveError(
      'UNSUPPORTED',
      `${fn}: better-sqlite3 has no native binding it can load (${firstLine(err)}): its install script did not run ` +
        `(--ignore-scripts, or an npm that runs only approved install scripts) or could not build it; build it with: ${SQLITE_REBUILD} ` +
        `(npm >= 11.16: npm install-scripts approve better-sqlite3 first; the build needs Python and a C++ compiler where no prebuilt binary downloads)`,
      { cause: err },
    );
  }
  const sqliteVec = loadPackage(fn, 'sqlite-vec', () => load('sqlite-vec') as SqliteModules['sqliteVec']);
  const loaded = { Sqlite, sqliteVec };
  if (load === require) modules = loaded;
  return loaded;
}

/** Loads sqlite-vec into `db`; its binary comes from a platform package (an optional dependency of sqlite-vec). */
function loadVectorExtension(sqliteVec: SqliteModules['sqliteVec'], db: Database, fn: string): void {
  try {
    sqliteVec.load(db);
  } catch (err) {
    throw new ContrastiveError('UNSUPPORTED', `${fn}: sqlite-vec could not load its SQLite extension (${firstLine(err)}); reinstall it with its platform package: npm install --include=optional sqlite-vec`, { cause: err });
  }
}

function openDatabase(file: string, mustExist: boolean, fn: string): Database {
  const { Sqlite, sqliteVec } = sqliteModules(fn);
  let db: Database;
  try {
    db = new Sqlite(file, { fileMustExist: mustExist, timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (err) {
    if (!existsSync(file)) throw new ContrastiveError('NOT_FOUND', `${fn}: index file '${file}' does not exist`, { cause: err });
    throw new ContrastiveError('INVALID_DATA', `${fn}: cannot open '${file}' as an index (${(err as Error).message})`, { cause: err });
  }
  try {
    // An existing file must be an index before anything is set on it: the WAL pragma would rewrite
    // the header of an empty file or of someone else's database.
    if (mustExist && !db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(META_TABLE)) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: '${file}' is ${statSync(file).size === 0 ? 'an empty file' : 'a SQLite database'} but not a contrastive index (no ${META_TABLE} table)`);
    }
    loadVectorExtension(sqliteVec, db, fn);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    db.close();
    throw sqliteError(err, file, fn);
  }
  return db;
}

/** A ContrastiveError for an error better-sqlite3 threw on `file`. */
function sqliteError(err: unknown, file: string, fn: string): ContrastiveError {
  if (err instanceof ContrastiveError) return err;
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message;
  if (code === 'SQLITE_NOTADB') return new ContrastiveError('INVALID_DATA', `${fn}: '${file}' is not an index (not a SQLite database)`, { cause: err });
  if (code.startsWith('SQLITE_CORRUPT')) return new ContrastiveError('INVALID_DATA', `${fn}: the index file '${file}' is corrupt (${msg})`, { cause: err });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ContrastiveError('STATE', `${fn}: the index '${file}' is being written by another process (waited ${SQLITE_BUSY_TIMEOUT_MS / 1000} s); try again`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new ContrastiveError('INVALID_ARGUMENT', `${fn}: an id is already in the index '${file}' (${msg}); remove it first or use another id`, { cause: err });
  }
  return new ContrastiveError('INVALID_DATA', `${fn}: SQLite failed on '${file}': ${msg}`, { cause: err });
}

/** Float32 vector as the BLOB stored (little-endian float32, the layout sqlite-vec reads). */
function blobOf(vectors: Float32Array, row: number, dim: number): Buffer {
  return Buffer.from(vectors.buffer, vectors.byteOffset + row * dim * 4, dim * 4);
}

function copyBlob(blob: Uint8Array, out: Float32Array, row: number, dim: number): void {
  new Uint8Array(out.buffer, out.byteOffset + row * dim * 4, dim * 4).set(blob);
}

const SQL_DISTANCE: Record<DistanceName, string> = {
  euclidean: 'vec_distance_l2(embedding, ?)',
  squaredEuclidean: 'vec_distance_l2(embedding, ?) * vec_distance_l2(embedding, ?)',
  cosine: 'vec_distance_cosine(embedding, ?)',
};

/** An index stored in one SQLite file. @group Stores */
export class SqliteStore implements IndexStore {
  readonly kind = 'sqlite' as const;
  private db: Database | null;
  private meta: IndexMeta | null = null;

  private constructor(
    db: Database,
    readonly where: string,
  ) {
    this.db = db;
  }

  /**
   * Creates a new, empty index file.
   *
   * @throws ContrastiveError when the file exists.
   */
  static create(file: string, meta: IndexMeta, fn = 'EmbeddingIndex.create'): SqliteStore {
    if (existsSync(file)) throw new ContrastiveError('STATE', `${fn}: '${file}' already exists; open it to add, or remove it first`);
    const db = openDatabase(file, false, fn);
    try {
      db.exec(`CREATE TABLE ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE ${ITEMS_TABLE} (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          label TEXT,
          source TEXT,
          embedding BLOB NOT NULL CHECK (length(embedding) = ${meta.dim * 4})
        );
        CREATE INDEX ${ITEMS_TABLE}_label ON ${ITEMS_TABLE} (label);`);
      const put = db.prepare(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?)`);
      db.transaction(() => {
        put.run('meta', JSON.stringify(meta));
        put.run('revision', '0');
      }).immediate();
    } catch (err) {
      db.close();
      throw sqliteError(err, file, fn);
    }
    return new SqliteStore(db, file);
  }

  /**
   * Opens an existing index file.
   *
   * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a folder, FIFO or device (SQLite would block on a FIFO),
   *   INVALID_DATA for a file that is not an index or is corrupt, UNSUPPORTED for a newer format.
   */
  static async open(file: string, fn = 'EmbeddingIndex.open'): Promise<SqliteStore> {
    try {
      await checkUserFile(file, { maxBytes: Number.MAX_SAFE_INTEGER, what: 'index file', fn });
    } catch (err) {
      if (!(err instanceof ContrastiveError) || err.code !== 'NOT_FOUND') throw err;
      // a missing file: openDatabase says so in its own words
    }
    const db = openDatabase(file, true, fn);
    const store = new SqliteStore(db, file);
    try {
      await store.readMeta(fn);
    } catch (err) {
      db.close();
      throw err;
    }
    return store;
  }

  private get conn(): Database {
    if (!this.db) throw new ContrastiveError('STATE', `EmbeddingIndex: the index '${this.where}' was closed`);
    return this.db;
  }

  private run<T>(fn: string, body: (db: Database) => T): T {
    try {
      return body(this.conn);
    } catch (err) {
      throw sqliteError(err, this.where, fn);
    }
  }

  /** See {@link IndexStore.readMeta}. */
  async readMeta(fn = 'EmbeddingIndex.open'): Promise<IndexMeta> {
    if (this.meta) return this.meta;
    const row = this.run(fn, (db) => {
      const table = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(META_TABLE);
      if (!table) throw new ContrastiveError('INVALID_DATA', `${fn}: '${this.where}' is a SQLite database but not a contrastive index (no ${META_TABLE} table)`);
      return db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'meta'`).get() as { value: string } | undefined;
    });
    const meta = parseMeta(row?.value, this.where, fn);
    // The description must fit what is stored: one item tells (a CHECK constraint keeps all items one size).
    const sample = this.run(fn, (db) => db.prepare(`SELECT id, length(embedding) AS bytes FROM ${ITEMS_TABLE} LIMIT 1`).get() as { id: string; bytes: number } | undefined);
    if (sample && sample.bytes !== meta.dim * 4) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: the index '${this.where}' is damaged: its description says dim ${meta.dim}, but its items hold ${sample.bytes / 4} values (item '${sample.id}')`);
    }
    this.meta = meta;
    return this.meta;
  }

  private revisionStmt: BetterSqlite3.Statement | null = null;

  async revision(): Promise<number> {
    // asked before every in-memory search: keep the statement compiled
    return this.run('EmbeddingIndex', (db) => {
      this.revisionStmt ??= db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'revision'`);
      return Number((this.revisionStmt.get() as { value: string }).value);
    });
  }

  private bump(db: Database): number {
    const rev = Number((db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'revision'`).get() as { value: string }).value) + 1;
    db.prepare(`UPDATE ${META_TABLE} SET value = ? WHERE key = 'revision'`).run(String(rev));
    return rev;
  }

  async insert(items: readonly IndexItem[], vectors: Float32Array): Promise<number> {
    const { dim } = await this.readMeta();
    return this.run('EmbeddingIndex.add', (db) => {
      const put = db.prepare(`INSERT INTO ${ITEMS_TABLE} (id, label, source, embedding) VALUES (?, ?, ?, ?)`);
      return db
        .transaction(() => {
          items.forEach((it, i) => put.run(it.id, it.label, it.source, blobOf(vectors, i, dim)));
          return this.bump(db);
        })
        .immediate();
    });
  }

  async remove(ids: readonly string[]): Promise<number> {
    return this.run('EmbeddingIndex.remove', (db) => {
      const del = db.prepare(`DELETE FROM ${ITEMS_TABLE} WHERE id = ?`);
      return db
        .transaction(() => {
          for (const id of ids) {
            if (del.run(id).changes === 0) throw new ContrastiveError('NOT_FOUND', `EmbeddingIndex.remove: no item with id '${id}' in '${this.where}' (nothing removed)`);
          }
          return this.bump(db);
        })
        .immediate();
    });
  }

  async loadAll(): Promise<StoredItems & { revision: number }> {
    const { dim } = await this.readMeta();
    return this.run('EmbeddingIndex', (db) =>
      db
        .transaction(() => {
          const revision = Number((db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'revision'`).get() as { value: string }).value);
          const n = (db.prepare(`SELECT count(*) AS n FROM ${ITEMS_TABLE}`).get() as { n: number }).n;
          const items: IndexItem[] = new Array(n);
          const vectors = new Float32Array(n * dim);
          let i = 0;
          for (const r of db.prepare(`SELECT id, label, source, embedding FROM ${ITEMS_TABLE} ORDER BY seq`).iterate() as Iterable<{ id: string; label: string | null; source: string | null; embedding: Buffer }>) {
            items[i] = { id: r.id, label: r.label, source: r.source };
            copyBlob(r.embedding, vectors, i, dim);
            i++;
          }
          return { items, vectors, revision };
        })
        .deferred(),
    );
  }

  async get(id: string): Promise<{ item: IndexItem; vector: Float32Array } | null> {
    const { dim } = await this.readMeta();
    const r = this.run('EmbeddingIndex.get', (db) => db.prepare(`SELECT id, label, source, embedding FROM ${ITEMS_TABLE} WHERE id = ?`).get(id)) as
      | { id: string; label: string | null; source: string | null; embedding: Buffer }
      | undefined;
    if (!r) return null;
    const vector = new Float32Array(dim);
    copyBlob(r.embedding, vector, 0, dim);
    return { item: { id: r.id, label: r.label, source: r.source }, vector };
  }

  /** See {@link IndexStore.counts}. */
  async counts(): Promise<StoreCounts> {
    const rows = this.run('EmbeddingIndex.stats', (db) => db.prepare(`SELECT label, count(*) AS n FROM ${ITEMS_TABLE} GROUP BY label ORDER BY label`).all()) as { label: string | null; n: number }[];
    const labels = new Map<string | null, number>();
    let items = 0;
    for (const r of rows) {
      labels.set(r.label, r.n);
      items += r.n;
    }
    return { items, labels };
  }

  async searchInStore(queries: Float32Array, n: number, options: StoreSearchOptions): Promise<SearchHit[][]> {
    const { dim, distance } = await this.readMeta();
    const where = options.label === undefined ? '' : 'WHERE label = ?';
    return this.run('EmbeddingIndex.search', (db) => {
      const stmt = db.prepare(`SELECT id, label, source, ${SQL_DISTANCE[distance]} AS distance FROM ${ITEMS_TABLE} ${where} ORDER BY distance, seq LIMIT ?`);
      const out: SearchHit[][] = [];
      for (let q = 0; q < n; q++) {
        const blob = blobOf(queries, q, dim);
        const args: unknown[] = distance === 'squaredEuclidean' ? [blob, blob] : [blob];
        if (options.label !== undefined) args.push(options.label);
        args.push(options.k);
        out.push(stmt.all(...args) as SearchHit[]);
      }
      return out;
    });
  }

  async hasApproximateIndex(): Promise<boolean> {
    return false;
  }

  /** Every item's key (its seq, the rowid) and vector, in storage order, with the revision they were read at (what the approximate index is built from). */
  async keyedVectors(): Promise<{ keys: BigUint64Array; vectors: Float32Array; revision: number }> {
    const { dim } = await this.readMeta();
    return this.run('EmbeddingIndex', (db) =>
      db
        .transaction(() => {
          const revision = Number((db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'revision'`).get() as { value: string }).value);
          const n = (db.prepare(`SELECT count(*) AS n FROM ${ITEMS_TABLE}`).get() as { n: number }).n;
          const keys = new BigUint64Array(n);
          const vectors = new Float32Array(n * dim);
          let i = 0;
          for (const r of db.prepare(`SELECT seq, embedding FROM ${ITEMS_TABLE} ORDER BY seq`).raw().iterate() as Iterable<[number, Buffer]>) {
            keys[i] = BigInt(r[0]);
            copyBlob(r[1], vectors, i, dim);
            i++;
          }
          return { keys, vectors, revision };
        })
        .deferred(),
    );
  }

  private byKeyStmts = new Map<number, BetterSqlite3.Statement>();

  /** The items with these keys (seqs), in the order given; undefined for a key no item has. */
  async itemsByKey(keys: ArrayLike<bigint>): Promise<(IndexItem | undefined)[]> {
    return this.run('EmbeddingIndex.search', (db) => {
      // a search reads back only the rows it returns: one indexed IN (...) lookup per chunk of keys,
      // rows as arrays (no per-row objects from the driver); statements kept for the two chunk sizes used
      const CHUNK = 256;
      const found = new Map<bigint, IndexItem>();
      for (let at = 0; at < keys.length; at += CHUNK) {
        const size = Math.min(CHUNK, keys.length - at);
        let stmt = this.byKeyStmts.get(size);
        if (!stmt) {
          stmt = db.prepare(`SELECT seq, id, label, source FROM ${ITEMS_TABLE} WHERE seq IN (${new Array(size).fill('?').join(',')})`).raw().safeIntegers(true);
          if (this.byKeyStmts.size < 64) this.byKeyStmts.set(size, stmt);
        }
        const args = new Array<bigint>(size);
        for (let i = 0; i < size; i++) args[i] = keys[at + i];
        for (const r of stmt.all(...args) as [bigint, string, string | null, string | null][]) found.set(r[0], { id: r[1], label: r[2], source: r[3] });
      }
      const out: (IndexItem | undefined)[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) out[i] = found.get(keys[i]);
      return out;
    });
  }

  /** The keys (seqs) of the items with these ids, in the order given (0n for an unknown id). */
  async keysOf(ids: readonly string[]): Promise<BigUint64Array> {
    return this.run('EmbeddingIndex', (db) => {
      const stmt = db.prepare(`SELECT seq FROM ${ITEMS_TABLE} WHERE id = ?`).pluck();
      const out = new BigUint64Array(ids.length);
      ids.forEach((id, i) => {
        const seq = stmt.get(id) as number | undefined;
        out[i] = BigInt(seq ?? 0);
      });
      return out;
    });
  }

  /** See {@link IndexStore.close}. */
  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}

/** Validates the stored meta JSON. */
export function parseMeta(value: string | undefined, where: string, fn: string): IndexMeta {
  let meta: Partial<IndexMeta>;
  try {
    meta = JSON.parse(value ?? 'null') as Partial<IndexMeta>;
  } catch {
    throw new ContrastiveError('INVALID_DATA', `${fn}: '${where}' holds a damaged index description (not JSON)`);
  }
  if (!meta || meta.format !== INDEX_FORMAT) throw new ContrastiveError('INVALID_DATA', `${fn}: '${where}' is not a contrastive index (format '${String(meta?.format)}')`);
  if (typeof meta.formatVersion !== 'number' || meta.formatVersion > INDEX_FORMAT_VERSION) {
    throw new ContrastiveError('UNSUPPORTED', `${fn}: '${where}' has index format version ${String(meta.formatVersion)}; this library reads up to ${INDEX_FORMAT_VERSION}`);
  }
  const ok =
    Number.isInteger(meta.dim) &&
    (meta.dim as number) > 0 &&
    (meta.distance === 'euclidean' || meta.distance === 'squaredEuclidean' || meta.distance === 'cosine') &&
    typeof meta.model?.hash === 'string';
  if (!ok) throw new ContrastiveError('INVALID_DATA', `${fn}: '${where}' holds a damaged index description (dim, distance or model missing)`);
  return meta as IndexMeta;
}
