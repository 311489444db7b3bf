/**
 * Output locations checked before any work: a run that trains for an hour and
 * then cannot write its result, or an existing run overwritten by accident, are
 * both worse than an error at the start.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return null; // a parent is a file: found while walking up
    throw err;
  }
}

/**
 * Makes sure `dir` can be created and files written in it, without creating
 * anything: a command that then fails on its input leaves no empty output
 * folder behind (the writers create it with their first file). The nearest
 * existing folder is probed, so a location where nothing can be created
 * (/proc, where Node's recursive mkdir spins forever) fails here at once.
 * `label` starts the message (by default `--out DIR`).
 *
 * @returns the absolute path.
 * @throws ContrastiveError naming `dir` when a part of the path is a file, or
 *   the nearest existing folder does not accept new files.
 */
export async function prepareOutputDir(dir: string, label = `--out ${dir}`): Promise<string> {
  const target = path.resolve(dir);
  let existing = target;
  for (;;) {
    const s = await statOrNull(existing);
    if (s) {
      if (!s.isDirectory()) {
        const where = existing === target ? `${dir} is a file` : `${existing} is a file, not a folder`;
        throw new ContrastiveError('INVALID_ARGUMENT', `${label}: ${where}; choose a folder path`);
      }
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const fail = (at: string, err: unknown): never => {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ContrastiveError('INVALID_ARGUMENT', `${label}: cannot create files in ${at} (${code}); choose a writable location`, { cause: err });
  };
  // A probe folder says whether this file system takes new entries here (root bypasses permission bits, /proc does not).
  try {
    const probe = await fs.mkdtemp(path.join(existing, '.contrastive-probe-'));
    await fs.rmdir(probe);
  } catch (err) {
    fail(existing, err);
  }
  return target;
}

/** The visible entries of `dir` (none when it does not exist). */
export async function visibleEntries(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/**
 * Refuses an output folder that already holds files, unless `force` (write
 * over it) or `resume` (continue the run in it) is set. `shown` is the path as
 * the user gave it; `fn` starts the message.
 */
export async function refuseExistingOutput(dir: string, shown: string, o: { force?: boolean; resume?: boolean; fn: string }): Promise<void> {
  if (o.force || o.resume) return;
  const present = await visibleEntries(dir);
  if (present.length === 0) return;
  const list = `${present.slice(0, 4).join(', ')}${present.length > 4 ? ', ...' : ''}`;
  const resume = o.fn === 'train' ? 'pass --resume to continue that run, ' : '';
  throw new ContrastiveError('STATE', `${o.fn}: --out ${shown} already holds files (${list}); ${resume}pass --force to write over it, or choose another --out`);
}

/** Checks a file path we will write: its folder must be creatable and writable, and the path not a folder. */
export async function prepareOutputFile(file: string, label = `--out ${file}`): Promise<string> {
  const target = path.resolve(file);
  const s = await statOrNull(target);
  if (s?.isDirectory()) throw new ContrastiveError('INVALID_ARGUMENT', `${label}: is a folder; name a file`);
  await prepareOutputDir(path.dirname(target), label);
  return target;
}
