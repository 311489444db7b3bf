/**
 * The one way files a user names are read: images, CSVs, signatures, bundles,
 * embeddings files, IDX files, face photos, and what the server hands out.
 * Only regular files are read (a FIFO would block a thread for good, a link to
 * /dev/zero would fill memory), and never more than a size cap, decided by the
 * caller for the kind of file. A FIFO is opened without blocking and refused
 * after `fstat`, so a file swapped for one between the check and the open is
 * refused too.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ContrastiveError } from 'contrastive/internal/errors.js';

const MiB = 1024 * 1024;

/**
 * Default size caps, by kind of file, in bytes. Each is far above what such a
 * file holds in practice (a phone photo is 3-15 MB, an SVC2004 signature a few
 * kB, a pairs CSV of a million rows ~60 MB) and far below what would exhaust a
 * machine's memory.
 */
export const USER_FILE_LIMITS = {
  /** An image to decode (PNG, JPEG, PGM, ...) or a face photo. */
  image: 128 * MiB,
  /** A pairs CSV. */
  csv: 256 * MiB,
  /** One online signature (SVC2004 text, CSV, JSON). */
  signature: 16 * MiB,
  /** A JSON document: manifest.json, model.json, metrics.json, history.json. */
  json: 64 * MiB,
  /** Weights, an ONNX model, an embeddings file, an IDX file (Node buffers and our own readers stop at 2 GiB). */
  large: 2 * 1024 * MiB - 1,
} as const;

/** Options of {@link readUserFile} and {@link openUserFile}. */
export interface UserFileOptions {
  /** Largest file read, in bytes (see {@link USER_FILE_LIMITS}); a larger one is refused before it is read. */
  maxBytes: number;
  /** What the file is, for messages: 'image', 'pairs CSV', 'weights file'. */
  what: string;
  /** Starts messages (a library function's name); default none. */
  fn?: string;
  /** Stops the read between chunks (a request's timeout, say): the read rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A regular file opened for reading by {@link openUserFile}. */
export interface OpenUserFile {
  /** Close it when done. */
  handle: FileHandle;
  /** Its size in bytes when opened (at most `maxBytes`). */
  size: number;
}

/** A file's type in words, for a message about a file that is not regular. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Bytes for messages: '70.0 MiB', '512 bytes'. */
export function formatBytes(n: number): string {
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / 1024 / MiB).toFixed(1)} GiB`;
}

function checkOptions(o: UserFileOptions): void {
  if (!(Number.isInteger(o?.maxBytes) && o.maxBytes >= 0) || typeof o.what !== 'string') {
    throw new ContrastiveError('INVALID_ARGUMENT', `readUserFile: options need maxBytes (an integer >= 0) and what (a string), got ${JSON.stringify(o)}`);
  }
}

function problem(file: string, o: UserFileOptions, code: ConstructorParameters<typeof ContrastiveError>[0], text: string, cause?: unknown): ContrastiveError {
  return new ContrastiveError(code, `${o.fn ? `${o.fn}: ` : ''}${file}: ${text}`, cause === undefined ? undefined : { cause });
}

function notRegular(file: string, o: UserFileOptions, s: Stats): ContrastiveError {
  return problem(file, o, 'INVALID_ARGUMENT', `is ${kindOf(s)}, not a regular file (${o.what}s are read from regular files only)`);
}

function tooLarge(file: string, o: UserFileOptions, size: number | null): ContrastiveError {
  const is = size === null ? 'grew while being read past' : `is ${formatBytes(size)}, more than`;
  const article = /^[aeiou]/i.test(o.what) ? 'an' : 'a';
  return problem(file, o, 'INVALID_DATA', `${is} the ${formatBytes(o.maxBytes)} ${article} ${o.what} may have`);
}

function openError(file: string, o: UserFileOptions, err: unknown): ContrastiveError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return problem(file, o, 'NOT_FOUND', 'no such file', err);
  if (code === 'ENOTDIR') return problem(file, o, 'NOT_FOUND', 'no such file (a part of the path is not a folder)', err);
  if (code === 'EISDIR') return problem(file, o, 'INVALID_ARGUMENT', `is a folder, not a regular file (${o.what}s are read from regular files only)`, err);
  if (code === 'ELOOP') return problem(file, o, 'INVALID_ARGUMENT', 'is a symbolic link loop', err);
  return problem(file, o, 'INVALID_DATA', `cannot read (${code ?? (err as Error).message})`, err);
}

// O_NONBLOCK makes opening a FIFO return at once (it would otherwise wait for a writer); regular files ignore it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Opens `file` for reading if it is a regular file (symbolic links followed)
 * of at most `maxBytes`: the entry point for readers that stream (IDX). The
 * caller closes the handle.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a
 *   folder, FIFO, device or socket, INVALID_DATA for a file over the cap or
 *   one that cannot be read; each names the file.
 */
export async function openUserFile(file: string, options: UserFileOptions): Promise<OpenUserFile> {
  checkOptions(options);
  if (typeof file !== 'string' || file.length === 0) throw problem(String(file), options, 'INVALID_ARGUMENT', `expected a file path (${options.what})`);
  options.signal?.throwIfAborted();
  // stat first: a device or FIFO is refused without opening it at all
  let before: Stats;
  try {
    before = await fs.stat(file);
  } catch (err) {
    throw openError(file, options, err);
  }
  if (!before.isFile()) throw notRegular(file, options, before);
  if (before.size > options.maxBytes) throw tooLarge(file, options, before.size);
  let handle: FileHandle;
  try {
    handle = await fs.open(file, OPEN_FLAGS);
  } catch (err) {
    throw openError(file, options, err);
  }
  try {
    // what was opened is what counts: the path may name something else since the stat
    const s = await handle.stat();
    if (!s.isFile()) throw notRegular(file, options, s);
    if (s.size > options.maxBytes) throw tooLarge(file, options, s.size);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

const CHUNK = 4 * MiB;

/**
 * Reads the whole of `file` if it is a regular file (symbolic links followed)
 * of at most `maxBytes`; nothing else is opened for reading, and no more than
 * `maxBytes` is ever held. Reads in chunks, checking `signal` between them.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a
 *   folder, FIFO, device or socket, INVALID_DATA for a file over the cap (or
 *   growing past it while read) or one that cannot be read; each names the file.
 *   The signal's reason when it aborts.
 */
export async function readUserFile(file: string, options: UserFileOptions): Promise<Buffer> {
  const { handle, size } = await openUserFile(file, options);
  const read = async (into: Buffer, at: number, length: number): Promise<number> => {
    options.signal?.throwIfAborted();
    try {
      return (await handle.read(into, at, length, null)).bytesRead;
    } catch (err) {
      throw openError(file, options, err);
    }
  };
  try {
    // one buffer of the size found, filled in chunks (no copy for large files)
    const buf = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const n = await read(buf, filled, Math.min(CHUNK, size - filled));
      if (n === 0) break; // it shrank meanwhile
      filled += n;
    }
    if (filled < size) return buf.subarray(0, filled);
    // it may have grown meanwhile: read on, within the cap
    const more: Buffer[] = [];
    let total = filled;
    for (;;) {
      const b = Buffer.allocUnsafe(64 * 1024);
      const n = await read(b, 0, b.length);
      if (n === 0) break;
      total += n;
      if (total > options.maxBytes) throw tooLarge(file, options, null);
      more.push(b.subarray(0, n));
    }
    return more.length === 0 ? buf : Buffer.concat([buf, ...more], total);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** {@link readUserFile} as UTF-8 text. */
export async function readUserText(file: string, options: UserFileOptions): Promise<string> {
  return (await readUserFile(file, options)).toString('utf8');
}

/**
 * Checks that `file` is a regular file of at most `maxBytes` without reading
 * it, for files another library opens itself (SQLite): same refusals as
 * {@link openUserFile}.
 */
export async function checkUserFile(file: string, options: UserFileOptions): Promise<void> {
  const { handle } = await openUserFile(file, options);
  await handle.close();
}
