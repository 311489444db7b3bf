/**
 * Atomic file writes: a crash never leaves a half-written model, checkpoint,
 * index or report behind. Data goes to a temporary sibling, is flushed, then
 * renamed over the target (rename is atomic within one file system).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

function tmpSibling(target: string): string {
  const base = path.basename(target);
  return path.join(path.dirname(target), `.tmp-${base}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
}

/** Writes `data` to `file` atomically (temporary file, fsync, rename). @group Utilities */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeChunksAtomic(file, [data]);
}

/**
 * Writes the chunks of `parts` to `file` atomically, one chunk at a time, so
 * that output larger than the JS heap (e.g. JSON lines of 60,000 embeddings)
 * never has to be held whole. Same guarantees as {@link writeFileAtomic}.
 */
export async function writeChunksAtomic(file: string, parts: Iterable<string | Uint8Array>): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tmpSibling(path.resolve(file));
  const handle = await fs.open(tmp, 'w');
  try {
    let pending: Array<string | Uint8Array> = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      await handle.writeFile(Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
      pending = [];
      size = 0;
    };
    for (const part of parts) {
      pending.push(part);
      size += part.length;
      if (size >= 1 << 20) await flush(); // about 1 MB per write
    }
    await flush();
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a whole directory atomically: `fill` writes into a fresh temporary
 * directory, which then replaces `dir`. If `dir` existed, the old copy is moved
 * aside first and removed only after the new one is in place, so at every moment
 * either the old or the new complete directory exists. A process killed between
 * the two renames leaves only the old copy, under its aside name: readers call
 * {@link recoverDirAtomic} first, which puts it back.
 * @group Utilities
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await recoverDirAtomic(target); // a crashed earlier write must not leave its old copy aside for good
  const tmp = tmpSibling(target);
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${tmp}-old`;
  let hadOld = false;
  try {
    await fs.rename(target, old);
    hadOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.rename(tmp, target);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}

const TMP_NAME = /^\.tmp-(.+)-(\d+)-[0-9a-z]+(-old)?$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Repairs what a crash (SIGKILL, power loss) during {@link writeDirAtomic} or
 * {@link writeFileAtomic} can leave beside `target`: when `target` is missing
 * but the complete old copy was moved aside, it is renamed back; temporary
 * siblings of writers that are no longer running are removed. Safe to call
 * before every read; does nothing when there is nothing to repair.
 * @group Utilities
 */
export async function recoverDirAtomic(target: string): Promise<void> {
  const abs = path.resolve(target);
  const parent = path.dirname(abs);
  const base = path.basename(abs);
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const m = TMP_NAME.exec(n);
    return m !== null && m[1] === base && !processAlive(Number(m[2]));
  });
  if (stale.length === 0) return;
  const exists = await fs.stat(abs).then(() => true, () => false);
  if (!exists) {
    // The aside copy (suffix -old) is complete by construction; a plain temporary may be half-filled.
    const aside = stale.filter((n) => n.endsWith('-old')).sort();
    if (aside.length > 0) await fs.rename(path.join(parent, aside[aside.length - 1]), abs);
  }
  for (const n of stale) await fs.rm(path.join(parent, n), { recursive: true, force: true });
}
