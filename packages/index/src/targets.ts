/**
 * Index targets: a file path (the embedded SQLite store) or a `postgres://`
 * URL (the pgvector store). Every operation takes either and gets the same
 * {@link IndexStore} interface back.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { SqliteStore } from './sqlite-store.js';
import { PgStore, type PgStoreOptions } from './pg-store.js';
import type { IndexMeta, IndexStore, StagedStore } from './store.js';

/** Options for reaching a target (used by the PostgreSQL store only). @group Stores */
export type TargetOptions = PgStoreOptions;

/** Whether `target` names a PostgreSQL database (postgres:// or postgresql://) rather than a file. @group Stores */
export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The target for messages: a file path as given, or the URL without its password. @group Stores */
export function describeTarget(target: string): string {
  if (!isPostgresTarget(target)) return target;
  try {
    const url = new URL(target);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(invalid URL)';
  }
}

function checkTarget(target: unknown, fn: string): asserts target is string {
  check(typeof target === 'string' && target.length > 0, fn, 'the index target must be a file path or a postgres:// URL');
}

/** Opens an existing index. */
export async function openStore(target: string, options: TargetOptions, fn: string): Promise<IndexStore> {
  checkTarget(target, fn);
  return isPostgresTarget(target) ? PgStore.open(target, options, fn) : SqliteStore.open(target, fn);
}

/** Creates a new, empty index; an existing one is an error. */
export async function createStore(target: string, meta: IndexMeta, options: TargetOptions, fn: string): Promise<IndexStore> {
  checkTarget(target, fn);
  if (isPostgresTarget(target)) return PgStore.create(target, meta, options, fn);
  await fs.mkdir(path.dirname(path.resolve(target)), { recursive: true });
  return SqliteStore.create(target, meta, fn);
}


/**
 * Stages a new index for `target`: a temporary sibling file renamed over the
 * target, or a staging table swapped in by one transaction. Until `publish`,
 * readers of the target see the old index, and a crash leaves it as it was.
 */
export async function stageStore(target: string, meta: IndexMeta, options: TargetOptions, fn: string): Promise<StagedStore> {
  checkTarget(target, fn);
  if (isPostgresTarget(target)) return PgStore.stage(target, meta, options, fn);
  const file = path.resolve(target);
  if (existsSync(file)) {
    // replace an index, never some other file that happens to be there
    try {
      await (await SqliteStore.open(target, fn)).close();
    } catch (err) {
      throw new ContrastiveError('STATE', `${fn}: '${target}' exists and is not an index (${(err as Error).message}); remove it or choose another target`, { cause: err });
    }
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}-${process.pid}-${Date.now().toString(36)}`);
  const store = SqliteStore.create(tmp, meta, fn);
  const sidecars = (f: string): string[] => [`${f}-wal`, `${f}-shm`, `${f}-journal`];
  return {
    store,
    publish: async () => {
      await store.close(); // checkpoints the WAL into the file and removes it
      // a stale WAL of the old file must not be replayed onto the new one
      for (const s of sidecars(file)) await fs.rm(s, { force: true });
      try {
        await fs.rename(tmp, file);
      } catch (err) {
        throw new ContrastiveError('STATE', `${fn}: cannot move the new index into place at '${target}' (${(err as Error).message})`, { cause: err });
      }
    },
    discard: async () => {
      await store.close();
      for (const f of [tmp, ...sidecars(tmp)]) await fs.rm(f, { force: true });
    },
  };
}
