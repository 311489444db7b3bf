/**
 * Output locations checked before any work: a run that trains for an hour and
 * then cannot write its result, or an existing run overwritten by accident, are
 * both worse than an error at the start.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { formatBytes } from './user-file.js';

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
 * `label` starts the message (by default `{ out: DIR }`, which the CLI prints as `--out DIR`).
 *
 * @returns the absolute path.
 * @throws ContrastiveError naming `dir` when a part of the path is a file, or
 *   the nearest existing folder does not accept new files.
 */
export async function prepareOutputDir(dir: string, label = `{ out: ${dir} }`): Promise<string> {
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
 * How messages name the output when the caller names it no other way: the option
 * `{ out }`, which the CLI prints as its flag `--out` (messages name options, never flags).
 */
const OUT = '{ out }';

/** 'another { out }', or for an output named in words ('the output') 'another output'. */
function another(flag: string): string {
  return `another ${flag.replace(/^the /, '')}`;
}

/** A file or folder a command reads, which what it writes must never replace. */
export interface ReadPath {
  /** The path as given. */
  path: string;
  /** What it is, for messages, said before the path: 'the bundle', 'the dataset', 'image 2'. */
  what: string;
}

/** Options of {@link refuseExistingOutput}. */
export interface ExistingOutputOptions {
  /** Starts the message (the command, e.g. 'train'). */
  fn: string;
  /** Write over an output that holds something (never over an input: see `inputs`). */
  force?: boolean;
  /** Continue the run in the output folder (train). */
  resume?: boolean;
  /** What the command reads: an output that is one of them, lies inside one or (a folder) holds one is refused, even with `force`. */
  inputs?: readonly ReadPath[];
  /** The output is one file, not a folder (refused when it exists and is not empty). */
  file?: boolean;
  /** The folder is replaced as a whole, so its hidden entries count too (they would be deleted). */
  replaces?: boolean;
  /** The option that named the output, for messages; default `{ out }` (the CLI prints its flag, `--out`). */
  flag?: string;
}

/** The real path `p` will have: symbolic links of its existing part resolved, the rest appended. */
async function realPathOf(p: string): Promise<string> {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** True when `child` is `parent` or lies under it. */
function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([statOrNull(a), statOrNull(b)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Refuses an output that is, lies inside or (a folder) holds something the
 * command reads, whatever `force` says: an embeddings file B/model.json would
 * overwrite the bundle B it reads, x.png the image x.png it embeds.
 * Symbolic links are resolved, and a file is compared by identity too (a hard
 * link, another path to the same mount). With `force` given (true or false: the
 * caller takes that option) the message says that it does not help.
 */
export async function refuseOutputOverInput(out: string, shown: string, inputs: readonly ReadPath[], o: { fn: string; flag?: string; file?: boolean; force?: boolean }): Promise<void> {
  const flag = o.flag ?? OUT;
  const target = await realPathOf(out);
  for (const input of inputs) {
    const source = await realPathOf(input.path);
    const why =
      target === source || (await sameFile(out, input.path))
        ? `is ${input.what} ${input.path}`
        : within(target, source)
          ? `lies inside ${input.what} ${input.path}`
          : !o.file && within(source, target)
            ? `holds ${input.what} ${input.path}`
            : null;
    if (why) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${o.fn}: ${flag} ${shown} ${why}, which this command reads: writing there would destroy it${o.force === undefined ? '' : ' ({ force: true } does not change that)'}; choose ${another(flag)}`);
    }
  }
}

/**
 * The one check of an output before a command works: refuses an output that
 * overlaps an input (see {@link refuseOutputOverInput}, even with `force`), and
 * an output that already holds something unless `force` (write over it) or
 * `resume` (continue the run in it) is set: a folder with entries (visible
 * ones, or any when `replaces`), a file that is not empty. `shown` is the path
 * as the user gave it; `fn` starts the message.
 */
export async function refuseExistingOutput(dir: string, shown: string, o: ExistingOutputOptions): Promise<void> {
  const flag = o.flag ?? OUT;
  if (o.inputs?.length) await refuseOutputOverInput(dir, shown, o.inputs, { ...o, force: o.force ?? false });
  if (o.force || o.resume) return;
  if (o.file) {
    const s = await statOrNull(path.resolve(dir));
    if (s && !s.isDirectory() && s.size > 0) {
      throw new ContrastiveError('STATE', `${o.fn}: ${flag} ${shown} already exists (${formatBytes(s.size)}); pass { force: true } to replace it, or choose ${another(flag)}`);
    }
    return;
  }
  const present = o.replaces ? await allEntries(dir) : await visibleEntries(dir);
  if (present.length === 0) return;
  const list = `${present.slice(0, 4).join(', ')}${present.length > 4 ? ', ...' : ''}`;
  const resume = o.fn === 'train' ? 'pass { resume: true } to continue that run, ' : '';
  const replaced = o.replaces ? ' (it is replaced as a whole)' : '';
  throw new ContrastiveError('STATE', `${o.fn}: ${flag} ${shown} already holds files (${list})${replaced}; ${resume}pass { force: true } to write over it, or choose ${another(flag)}`);
}

/** Every entry of `dir` but the leftovers of our own atomic writes (none when it does not exist). */
async function allEntries(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => !n.startsWith('.tmp-') && !n.startsWith('.contrastive-probe-')).sort();
  } catch {
    return [];
  }
}

/** Checks a file path we will write: its folder must be creatable and writable, and the path not a folder. */
export async function prepareOutputFile(file: string, label = `{ out: ${file} }`): Promise<string> {
  const target = path.resolve(file);
  const s = await statOrNull(target);
  if (s?.isDirectory()) throw new ContrastiveError('INVALID_ARGUMENT', `${label}: is a folder; name a file`);
  await prepareOutputDir(path.dirname(target), label);
  return target;
}
