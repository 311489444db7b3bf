/**
 * The scale-out store: a PostgreSQL table with a pgvector column, through
 * `pg` and the `pgvector` client package. The target is a postgres:// URL;
 * `?table=NAME` picks the table (default `contrastive_index`; its description
 * lives in NAME_meta). Exact search inside the database is pgvector's
 * sequential scan; with an HNSW index (`createApproximateIndex`) the
 * approximate search uses it with `hnsw.ef_search`. Every statement is
 * parameterised; table names are checked against a strict pattern.
 */
import { createRequire } from 'node:module';
import type pgTypes from 'pg';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadPackage } from '@contrastive/kernels/internal/optional-package.js';
import type { DistanceName } from 'contrastive/internal/distances/names.js';
import { parseMeta } from './sqlite-store.js';
import type { StagedStore } from './store.js';
import type { IndexItem, IndexMeta, IndexStore, SearchHit, StoreCounts, StoreSearchOptions, StoredItems } from './store.js';

/** Connection options of the PostgreSQL store. @group Stores */
export interface PgStoreOptions {
  /** Milliseconds to wait for the server to accept a connection (default 5000). */
  connectTimeoutMs?: number;
}

/** Options of the HNSW index (pgvector defaults: m 16, efConstruction 64). @group Stores */
export interface HnswOptions {
  m?: number;
  efConstruction?: number;
}

const DEFAULT_TABLE = 'contrastive_index';
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,40}$/;
/** Rows per INSERT statement (parameters stay far below PostgreSQL's 65535). */
const INSERT_CHUNK = 500;

const require = createRequire(import.meta.url);

/** The client packages of the PostgreSQL store: optional peers, installed by those who use it. */
export const PG_INSTALL = 'npm install pg pgvector';

/** `pg`, or an error naming it; `load` stands for `require` (tests pass one that fails). */
export function pgModule(fn: string, load: (id: string) => unknown = require): typeof pgTypes {
  return loadPackage(`${fn} (a postgres:// index)`, 'pg', () => load('pg') as typeof pgTypes, PG_INSTALL);
}

/** pgvector's `pg` helpers, or an error naming pgvector. */
export function pgvectorModule(fn: string, load: (id: string) => unknown = require): { registerTypes(c: Client): Promise<void> } {
  return loadPackage(`${fn} (a postgres:// index)`, 'pgvector', () => load('pgvector/pg') as { registerTypes(c: Client): Promise<void> }, PG_INSTALL);
}

type Client = pgTypes.Client;

/** Operator and HNSW operator class of each distance. */
const OPS: Record<DistanceName, { op: string; opclass: string; sql: (d: string) => string }> = {
  euclidean: { op: '<->', opclass: 'vector_l2_ops', sql: (d) => d },
  squaredEuclidean: { op: '<->', opclass: 'vector_l2_ops', sql: (d) => `(${d}) * (${d})` },
  cosine: { op: '<=>', opclass: 'vector_cosine_ops', sql: (d) => d },
};

/** The URL without its password, and the table it names. */
function parseTarget(target: string, fn: string): { connectionString: string; where: string; table: string } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${target}' is not a valid postgres:// URL`);
  }
  const table = url.searchParams.get('table') ?? DEFAULT_TABLE;
  check(TABLE_NAME.test(table), fn, `table name '${table}' must match ${TABLE_NAME.source} (lower-case letters, digits, underscores)`);
  url.searchParams.delete('table');
  const connectionString = url.toString();
  if (url.password) url.password = '***';
  return { connectionString, where: `${url.toString()}${url.search ? '&' : '?'}table=${table}`, table };
}

async function connect(target: string, options: PgStoreOptions, fn: string): Promise<{ client: Client; where: string; table: string }> {
  const { connectionString, where, table } = parseTarget(target, fn);
  const timeout = options.connectTimeoutMs ?? 5000;
  check(Number.isInteger(timeout) && timeout > 0, fn, `connectTimeoutMs must be a positive integer, got ${timeout}`);
  const pg = pgModule(fn);
  pgvectorModule(fn); // both before connecting: a missing one is an install problem, not a server one
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeout });
  // a dropped connection surfaces on the next query; without a listener it would crash the process
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new ContrastiveError('NOT_FOUND', `${fn}: cannot connect to PostgreSQL at ${where} (${(err as Error).message || String(err)}; waited at most ${timeout} ms)`, { cause: err });
  }
  return { client, where, table };
}

async function enableVector(client: Client, where: string, fn: string, create: boolean): Promise<void> {
  const pgvector = pgvectorModule(fn);
  try {
    if (create) await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await pgvector.registerTypes(client);
  } catch (err) {
    throw new ContrastiveError('UNSUPPORTED', `${fn}: the pgvector extension is not available in ${where} (${(err as Error).message}); install pgvector on the server`, { cause: err });
  }
}

function toSql(vectors: Float32Array, row: number, dim: number): string {
  return `[${Array.from(vectors.subarray(row * dim, (row + 1) * dim)).join(',')}]`;
}

function quoteIdent(name: string): string {
  return `"${name}"`;
}

/** An index stored in a PostgreSQL table with pgvector. @group Stores */
export class PgStore implements IndexStore {
  readonly kind = 'postgres' as const;
  private client: Client | null;
  private meta: IndexMeta | null = null;

  private constructor(
    client: Client,
    readonly where: string,
    private readonly table: string,
  ) {
    this.client = client;
  }

  private get items(): string {
    return quoteIdent(this.table);
  }

  private get metaTable(): string {
    return quoteIdent(`${this.table}_meta`);
  }

  private get conn(): Client {
    if (!this.client) throw new ContrastiveError('STATE', `EmbeddingIndex: the index '${this.where}' was closed`);
    return this.client;
  }

  private async query<R extends pgTypes.QueryResultRow>(fn: string, text: string, values?: unknown[]): Promise<pgTypes.QueryResult<R>> {
    try {
      return await this.conn.query<R>(text, values);
    } catch (err) {
      throw this.error(err, fn);
    }
  }

  private error(err: unknown, fn: string): ContrastiveError {
    if (err instanceof ContrastiveError) return err;
    const code = (err as { code?: string }).code;
    const msg = (err as Error).message;
    if (code === '23505') return new ContrastiveError('INVALID_ARGUMENT', `${fn}: an id is already in the index ${this.where} (${msg}); remove it first or use another id`, { cause: err });
    if (code === '42P01') return new ContrastiveError('NOT_FOUND', `${fn}: no index table '${this.table}' in ${this.where}`, { cause: err });
    if (code === '22000' || code === '22P02') return new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${this.where} rejected a vector (${msg})`, { cause: err });
    return new ContrastiveError('INVALID_DATA', `${fn}: PostgreSQL failed on ${this.where}: ${msg}`, { cause: err });
  }

  /** Runs `body` in one transaction (rolled back on any error). */
  private async transaction<T>(fn: string, body: () => Promise<T>): Promise<T> {
    await this.query(fn, 'BEGIN');
    try {
      const out = await body();
      await this.query(fn, 'COMMIT');
      return out;
    } catch (err) {
      await this.conn.query('ROLLBACK').catch(() => undefined);
      throw this.error(err, fn);
    }
  }

  private async createTables(meta: IndexMeta, fn: string): Promise<void> {
    await this.transaction(fn, async () => {
      await this.query(fn, `CREATE TABLE ${this.metaTable} (key text PRIMARY KEY, value text NOT NULL)`);
      await this.query(
        fn,
        `CREATE TABLE ${this.items} (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, label text, source text, embedding vector(${meta.dim}) NOT NULL)`,
      );
      await this.query(fn, `CREATE INDEX ${quoteIdent(`${this.table}_label`)} ON ${this.items} (label)`);
      await this.query(fn, `INSERT INTO ${this.metaTable} (key, value) VALUES ('meta', $1), ('revision', '0')`, [JSON.stringify(meta)]);
    });
    this.meta = meta;
  }

  /** Opens the index table named by the URL. */
  static async open(target: string, options: PgStoreOptions, fn = 'EmbeddingIndex.open'): Promise<PgStore> {
    const { client, where, table } = await connect(target, options, fn);
    const store = new PgStore(client, where, table);
    try {
      await enableVector(client, where, fn, false);
      await store.readMeta(fn);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Creates the index table named by the URL; an existing one is an error. */
  static async create(target: string, meta: IndexMeta, options: PgStoreOptions, fn = 'EmbeddingIndex.create'): Promise<PgStore> {
    const { client, where, table } = await connect(target, options, fn);
    const store = new PgStore(client, where, table);
    try {
      await enableVector(client, where, fn, true);
      if (await store.exists(table)) throw new ContrastiveError('STATE', `${fn}: the index table '${table}' already exists in ${where}; open it to add, or drop it first`);
      await store.createTables(meta, fn);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** A new index in staging tables; `publish` swaps them for the target's tables in one transaction. */
  static async stage(target: string, meta: IndexMeta, options: PgStoreOptions, fn = 'EmbeddingIndex.build'): Promise<StagedStore> {
    const { client, where, table } = await connect(target, options, fn);
    const staging = `${table}_staging_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const store = new PgStore(client, where, staging);
    try {
      await enableVector(client, where, fn, true);
      await store.createTables(meta, fn);
    } catch (err) {
      await store.close();
      throw err;
    }
    const drop = async (name: string): Promise<void> => {
      await store.query(fn, `DROP TABLE IF EXISTS ${quoteIdent(name)}, ${quoteIdent(`${name}_meta`)}`);
    };
    return {
      store,
      publish: async () => {
        await store.transaction(fn, async () => {
          await drop(table);
          await store.query(fn, `ALTER TABLE ${quoteIdent(staging)} RENAME TO ${quoteIdent(table)}`);
          await store.query(fn, `ALTER TABLE ${quoteIdent(`${staging}_meta`)} RENAME TO ${quoteIdent(`${table}_meta`)}`);
        });
        await store.close();
      },
      discard: async () => {
        await drop(staging).catch(() => undefined);
        await store.close();
      },
    };
  }

  private async exists(name: string): Promise<boolean> {
    const r = await this.query('EmbeddingIndex', `SELECT to_regclass($1) IS NOT NULL AS present`, [quoteIdent(name)]);
    return r.rows[0].present as boolean;
  }

  /** See {@link IndexStore.readMeta}. */
  async readMeta(fn = 'EmbeddingIndex.open'): Promise<IndexMeta> {
    if (this.meta) return this.meta;
    if (!(await this.exists(`${this.table}_meta`)) || !(await this.exists(this.table))) {
      throw new ContrastiveError('NOT_FOUND', `${fn}: no index table '${this.table}' in ${this.where} (build one with 'contrastive index build', or name another with ?table=NAME)`);
    }
    const r = await this.query<{ value: string }>(fn, `SELECT value FROM ${this.metaTable} WHERE key = 'meta'`);
    this.meta = parseMeta(r.rows[0]?.value, this.where, fn);
    return this.meta;
  }

  async revision(): Promise<number> {
    const r = await this.query<{ value: string }>('EmbeddingIndex', `SELECT value FROM ${this.metaTable} WHERE key = 'revision'`);
    return Number(r.rows[0].value);
  }

  /** Bumps the revision; the row lock it takes also makes concurrent writers wait for each other. */
  private async bump(fn: string): Promise<number> {
    const r = await this.query<{ value: string }>(fn, `UPDATE ${this.metaTable} SET value = (value::bigint + 1)::text WHERE key = 'revision' RETURNING value`);
    return Number(r.rows[0].value);
  }

  async insert(items: readonly IndexItem[], vectors: Float32Array): Promise<number> {
    const fn = 'EmbeddingIndex.add';
    const { dim } = await this.readMeta();
    return this.transaction(fn, async () => {
      const rev = await this.bump(fn);
      for (let start = 0; start < items.length; start += INSERT_CHUNK) {
        const end = Math.min(items.length, start + INSERT_CHUNK);
        const values: unknown[] = [];
        const rows: string[] = [];
        for (let i = start; i < end; i++) {
          const p = values.length;
          rows.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4})`);
          values.push(items[i].id, items[i].label, items[i].source, toSql(vectors, i, dim));
        }
        await this.query(fn, `INSERT INTO ${this.items} (id, label, source, embedding) VALUES ${rows.join(', ')}`, values);
      }
      return rev;
    });
  }

  async remove(ids: readonly string[]): Promise<number> {
    const fn = 'EmbeddingIndex.remove';
    return this.transaction(fn, async () => {
      const rev = await this.bump(fn);
      const r = await this.query<{ id: string }>(fn, `DELETE FROM ${this.items} WHERE id = ANY($1::text[]) RETURNING id`, [ids]);
      if (r.rowCount !== new Set(ids).size) {
        const gone = new Set(r.rows.map((x) => x.id));
        const missing = ids.find((id) => !gone.has(id));
        throw new ContrastiveError('NOT_FOUND', `${fn}: no item with id '${missing}' in ${this.where} (nothing removed)`);
      }
      return rev;
    });
  }

  async loadAll(): Promise<StoredItems & { revision: number }> {
    const fn = 'EmbeddingIndex';
    const { dim } = await this.readMeta();
    return this.transaction(fn, async () => {
      await this.query(fn, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const revision = await this.revision();
      const r = await this.query<{ id: string; label: string | null; source: string | null; embedding: number[] }>(
        fn,
        `SELECT id, label, source, embedding FROM ${this.items} ORDER BY seq`,
      );
      const vectors = new Float32Array(r.rows.length * dim);
      const items = r.rows.map((row, i) => {
        vectors.set(row.embedding, i * dim);
        return { id: row.id, label: row.label, source: row.source };
      });
      return { items, vectors, revision };
    });
  }

  async get(id: string): Promise<{ item: IndexItem; vector: Float32Array } | null> {
    const r = await this.query<{ id: string; label: string | null; source: string | null; embedding: number[] }>(
      'EmbeddingIndex.get',
      `SELECT id, label, source, embedding FROM ${this.items} WHERE id = $1`,
      [id],
    );
    const row = r.rows[0];
    return row ? { item: { id: row.id, label: row.label, source: row.source }, vector: Float32Array.from(row.embedding) } : null;
  }

  /** See {@link IndexStore.counts}. */
  async counts(): Promise<StoreCounts> {
    const r = await this.query<{ label: string | null; n: string }>('EmbeddingIndex.stats', `SELECT label, count(*) AS n FROM ${this.items} GROUP BY label ORDER BY label`);
    const labels = new Map<string | null, number>();
    let items = 0;
    for (const row of r.rows) {
      labels.set(row.label, Number(row.n));
      items += Number(row.n);
    }
    return { items, labels };
  }

  async searchInStore(queries: Float32Array, n: number, options: StoreSearchOptions): Promise<SearchHit[][]> {
    const fn = 'EmbeddingIndex.search';
    const { dim, distance } = await this.readMeta();
    const { op, sql } = OPS[distance];
    const approximate = options.approximate && (await this.hasApproximateIndex());
    if (options.approximate && !approximate) {
      throw new ContrastiveError('STATE', `${fn}: ${this.where} has no HNSW index; build the index with { hnsw: true } or search exactly`);
    }
    const filter = options.label === undefined ? '' : 'WHERE label = $3';
    const text = `SELECT id, label, source, ${sql(`embedding ${op} $1`)} AS distance FROM ${this.items} ${filter} ORDER BY embedding ${op} $1, seq LIMIT $2`;
    const approxText = `SELECT id, label, source, ${sql(`embedding ${op} $1`)} AS distance FROM ${this.items} ${filter} ORDER BY embedding ${op} $1 LIMIT $2`;
    return this.transaction(fn, async () => {
      if (approximate) {
        const ef = options.efSearch ?? Math.max(40, options.k);
        await this.query(fn, `SELECT set_config('hnsw.ef_search', $1, true)`, [String(ef)]);
        // with a label filter, keep scanning the graph until k matching rows are found (pgvector >= 0.8)
        if (options.label !== undefined) await this.query(fn, `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)`).catch(() => undefined);
      } else {
        // an exact scan: never the approximate index
        await this.query(fn, `SELECT set_config('enable_indexscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`);
      }
      const out: SearchHit[][] = [];
      for (let q = 0; q < n; q++) {
        const values: unknown[] = [toSql(queries, q, dim), options.k];
        if (options.label !== undefined) values.push(options.label);
        const r = await this.query<SearchHit>(fn, approximate ? approxText : text, values);
        const hits = r.rows.map((h) => ({ id: h.id, label: h.label, source: h.source, distance: Number(h.distance) }));
        if (approximate) hits.sort((a, b) => a.distance - b.distance);
        out.push(hits);
      }
      return out;
    });
  }

  /**
   * Builds an HNSW index over the embeddings (pgvector), used by approximate
   * searches. Building takes a while on large tables.
   */
  async createApproximateIndex(options: HnswOptions = {}): Promise<void> {
    const fn = 'EmbeddingIndex.createApproximateIndex';
    const { distance } = await this.readMeta();
    const m = options.m ?? 16;
    const ef = options.efConstruction ?? 64;
    check(Number.isInteger(m) && m >= 2 && m <= 100, fn, `m must be an integer in [2, 100], got ${m}`);
    check(Number.isInteger(ef) && ef >= 4 && ef <= 1000, fn, `efConstruction must be an integer in [4, 1000], got ${ef}`);
    const old = await this.query<{ indexname: string }>(fn, `SELECT indexname FROM pg_indexes WHERE tablename = $1 AND indexdef ILIKE '%USING hnsw%'`, [this.table]);
    for (const { indexname } of old.rows) await this.query(fn, `DROP INDEX ${quoteIdent(indexname)}`);
    await this.query(fn, `CREATE INDEX ${quoteIdent(`${this.table}_hnsw`)} ON ${this.items} USING hnsw (embedding ${OPS[distance].opclass}) WITH (m = ${m}, ef_construction = ${ef})`);
  }

  async hasApproximateIndex(): Promise<boolean> {
    const r = await this.query<{ n: string }>(
      'EmbeddingIndex',
      `SELECT count(*) AS n FROM pg_indexes WHERE tablename = $1 AND indexdef ILIKE '%USING hnsw%'`,
      [this.table],
    );
    return Number(r.rows[0].n) > 0;
  }

  /** See {@link IndexStore.close}. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
