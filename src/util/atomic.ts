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

/** Writes `data` to `file` atomically (temporary file, fsync, rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tmpSibling(path.resolve(file));
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
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
 * either the old or the new complete directory exists.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
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
