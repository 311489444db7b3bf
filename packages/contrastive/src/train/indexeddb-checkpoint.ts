/**
 * Checkpoints in IndexedDB, for training in a page (or a web worker): a run survives a
 * reload or a closed tab and resumes where it stopped. Every store shares one database;
 * each store name is one record holding both pieces of its checkpoint, so a write replaces
 * the previous checkpoint in one transaction: a tab closed mid-write leaves the old one whole.
 * IndexedDB is looked up when a store is made, never at import, so this module loads in Node.
 */
import { ContrastiveError, check } from '../errors.js';
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

/** The IndexedDB database that holds every store's checkpoint. */
export const CHECKPOINT_DATABASE = 'contrastive-checkpoints';
const OBJECT_STORE = 'checkpoints';
const DATABASE_VERSION = 1;

/** A {@link CheckpointStore} in IndexedDB; see {@link indexedDbCheckpointStore}. @group Training */
export interface IndexedDbCheckpointStore extends CheckpointStore {
  /** The store's name: its record's key in the database {@link CHECKPOINT_DATABASE}. */
  readonly name: string;
  /** Deletes the checkpoint (a later `read` returns null), e.g. to start a run over. */
  clear(): Promise<void>;
}

/** The record kept per store name. */
interface CheckpointRecord {
  state: string;
  tensors: Uint8Array;
}

function isRecord(value: unknown): value is CheckpointRecord {
  const r = value as CheckpointRecord;
  return typeof r === 'object' && r !== null && typeof r.state === 'string' && r.tensors instanceof Uint8Array;
}

/** A failed IndexedDB operation as one error naming the store and what went wrong. */
function storeError(what: string, location: string, cause: DOMException | Error | null): ContrastiveError {
  const why = cause ? `${cause.name}: ${cause.message}` : 'no reason given';
  return new ContrastiveError('STATE', `checkpoint: IndexedDB could not ${what} ${location} (${why})`, { cause });
}

function openDatabase(factory: IDBFactory, location: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(CHECKPOINT_DATABASE, DATABASE_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(OBJECT_STORE)) request.result.createObjectStore(OBJECT_STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // never block a newer version opened in another tab
      resolve(db);
    };
    request.onerror = () => reject(storeError('open the database for', location, request.error));
  });
}

/** Runs `use` in one transaction on the object store and resolves with its result once the transaction has committed. */
async function inTransaction<T>(
  factory: IDBFactory,
  location: string,
  what: string,
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest | void,
): Promise<T | undefined> {
  const db = await openDatabase(factory, location);
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      // 'strict': complete fires only once the data is on disk, so a checkpoint that was
      // reported written survives a crash of the browser, not only of the page.
      const tx = db.transaction(OBJECT_STORE, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
      let request: IDBRequest | void;
      tx.oncomplete = () => resolve(request ? (request.result as T) : undefined);
      tx.onabort = () => reject(storeError(what, location, tx.error));
      try {
        request = use(tx.objectStore(OBJECT_STORE));
      } catch (err) {
        // e.g. DataCloneError: nothing was written; end the transaction without committing.
        tx.onabort = null;
        tx.abort();
        reject(storeError(what, location, err as Error));
      }
    });
  } finally {
    db.close();
  }
}

/**
 * A checkpoint store in the page's IndexedDB under `name` (its `location` is
 * `indexeddb://name`): pass it as `checkpointStore` to `trainSiamese`, with `resume: true`
 * to continue from it. Each write replaces the previous checkpoint in one transaction.
 * Throws UNSUPPORTED where there is no IndexedDB (Node: use `checkpointDir`, or
 * {@link memoryCheckpointStore}).
 *
 * ```ts
 * const store = indexedDbCheckpointStore('my-run');
 * await trainSiamese(network, data, { epochs: 10, checkpointStore: store, resume: await hasCheckpoint(store) });
 * ```
 * @group Training
 */
export function indexedDbCheckpointStore(name: string): IndexedDbCheckpointStore {
  check(typeof name === 'string' && name.length > 0, 'indexedDbCheckpointStore', `name must be a non-empty string, got ${JSON.stringify(name)}`);
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new ContrastiveError(
      'UNSUPPORTED',
      "indexedDbCheckpointStore: there is no IndexedDB here (globalThis.indexedDB is undefined); in Node pass a directory (checkpointDir) or use memoryCheckpointStore()",
    );
  }
  const location = `indexeddb://${name}`;
  return {
    name,
    location,
    async write(files: CheckpointFiles): Promise<void> {
      // Stored as its own buffer: a view would store the whole buffer it looks into.
      const t = files.tensors;
      const tensors = t.byteOffset === 0 && t.byteLength === t.buffer.byteLength ? t : t.slice();
      const record: CheckpointRecord = { state: files.state, tensors };
      await inTransaction(factory, location, 'write', 'readwrite', (store) => store.put(record, name));
    },
    async read(): Promise<CheckpointFiles | null> {
      const record = await inTransaction<unknown>(factory, location, 'read', 'readonly', (store) => store.get(name));
      if (record === undefined) return null;
      if (!isRecord(record)) throw new ContrastiveError('INVALID_DATA', `checkpoint ${location} is not a contrastive checkpoint record`);
      return { state: record.state, tensors: record.tensors };
    },
    async clear(): Promise<void> {
      await inTransaction(factory, location, 'delete', 'readwrite', (store) => store.delete(name));
    },
  };
}
