/**
 * Reading a file a user named (an indexed picture, a bundle file) with bounds:
 * regular files only, at most `maxBytes`. A FIFO, a device (/dev/zero,
 * /dev/urandom), a socket or a directory is refused at once, whatever the path
 * or symlink that leads to it, and nothing grows past the cap.
 *
 * Why each step: `fs.readFile` on a FIFO blocks one of libuv's four pool
 * threads until a writer comes (four such reads stop every other file read of
 * the process), and on /dev/zero it grows without end. So the file is opened
 * with O_NONBLOCK (opening a FIFO returns at once instead of waiting for a
 * writer), its type and size are read from the open descriptor (fstat: no race
 * with a rename between a stat and the open), and the read stops one byte past
 * the cap (a regular file that grows while it is read is refused too).
 *
 * A stand-in with the contract of the shared reader of user files that
 * @contrastive/node gains; the server's reads move to that one when it lands.
 */
import { constants, promises as fs } from 'node:fs';
import { ContrastiveError } from 'contrastive/internal/errors.js';

/** Options of {@link readUserFile}. */
export interface ReadUserFileOptions {
  /** Largest accepted size in bytes. */
  maxBytes: number;
  /** What the file is, for messages (e.g. "item 'x' picture"); default "file". */
  what?: string;
}

/** The kind of a non-regular file, for messages. */
function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of regular file `file`, at most `maxBytes` of them.
 *
 * @throws ContrastiveError NOT_FOUND when it does not exist, INVALID_DATA when it
 *   is not a regular file or is larger than `maxBytes`.
 */
export async function readUserFile(file: string, options: ReadUserFileOptions): Promise<Buffer> {
  const { maxBytes } = options;
  const what = options.what ?? 'file';
  let handle: import('node:fs/promises').FileHandle;
  try {
    // O_NOCTTY: a terminal device named by mistake never becomes this process's controlling terminal.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ContrastiveError('NOT_FOUND', `${what} ${file} does not exist`, { cause: err });
    throw new ContrastiveError('INVALID_DATA', `${what} ${file} cannot be opened (${code ?? (err as Error).message})`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ContrastiveError('INVALID_DATA', `${what} ${file} is ${kindOf(st)}; only regular files are read`);
    if (st.size > maxBytes) throw new ContrastiveError('INVALID_DATA', `${what} ${file} is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    // Read to the end, but never past maxBytes + 1 bytes: the file may grow between fstat and read.
    let buffer = Buffer.allocUnsafe(st.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new ContrastiveError('INVALID_DATA', `${what} ${file} grew past the ${maxBytes}-byte limit while it was read`);
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
