/**
 * Signatures on disk, one folder per writer:
 *
 *     DIR/<writer>/genuine/<file>    genuine signatures
 *     DIR/<writer>/forged/<file>     skilled forgeries of that writer's signature (optional)
 *
 * Files are online signatures (SVC2004 .txt, .csv, .json) or images (offline
 * signatures, CEDAR-style: PNG, JPEG, ...), one kind per folder tree. The
 * SVC2004 distribution's own flat layout is read too: DIR/U<writer>S<n>.TXT
 * with n = 1..20 genuine and 21..40 skilled forgeries.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { isImageFile } from '@contrastive/node/internal/data/index.js';
import { isSignatureFile } from './read-file.js';

/** One signature file of a writer. @group Reading and writing */
export interface SignatureFile {
  writer: number;
  forged: boolean;
  path: string;
}

/** What a signature folder holds. @group Reading and writing */
export interface SignatureFolder {
  /** 'online' for pen trajectories, 'offline' for images. */
  kind: 'online' | 'offline';
  /** Writer names (sorted folder names, or the SVC2004 user numbers), indexed by SignatureFile.writer. */
  writers: string[];
  files: SignatureFile[];
}

/** Sub-folder of a writer's genuine signatures. @group Reading and writing */
export const GENUINE_FOLDER = 'genuine';
/** Sub-folder of the skilled forgeries of a writer's signature. @group Reading and writing */
export const FORGED_FOLDER = 'forged';

const SVC_NAME = /^U(\d+)S(\d+)\.TXT$/i;
/** SVC2004: signatures 1-20 of a user are genuine, 21-40 skilled forgeries. */
const SVC_GENUINE_LAST = 20;

async function entries(dir: string, fn: string): Promise<import('node:fs').Dirent[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : `cannot read (${code})`;
    throw new ContrastiveError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_DATA', `${fn}: ${dir}: ${why}`, { cause: err });
  }
}

/**
 * Lists the signature files under `dir` (see the module doc for the layout),
 * writers and files sorted by name.
 *
 * @throws ContrastiveError when `dir` is missing, holds no writer, a writer has
 *   no genuine signature, online and image files are mixed, or a writer folder
 *   holds something other than genuine/ and forged/.
 * @group Reading and writing
 */
export async function listSignatureFolder(dir: string): Promise<SignatureFolder> {
  const fn = 'loadSignatures';
  const top = await entries(dir, fn);
  const svc = top.filter((e) => e.isFile() && SVC_NAME.test(e.name));
  const writerDirs = top.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const files: SignatureFile[] = [];
  let writers: string[];
  if (writerDirs.length === 0 && svc.length > 0) {
    const users = [...new Set(svc.map((e) => Number(SVC_NAME.exec(e.name)![1])))].sort((a, b) => a - b);
    writers = users.map((u) => `U${u}`);
    for (const e of svc.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))) {
      const [, u, s] = SVC_NAME.exec(e.name)!;
      files.push({ writer: users.indexOf(Number(u)), forged: Number(s) > SVC_GENUINE_LAST, path: path.join(dir, e.name) });
    }
  } else {
    writers = writerDirs;
    for (const [w, name] of writerDirs.entries()) {
      const wdir = path.join(dir, name);
      const kinds = await entries(wdir, fn);
      for (const k of kinds) {
        if (!(k.isDirectory() && (k.name === GENUINE_FOLDER || k.name === FORGED_FOLDER))) {
          throw new ContrastiveError('INVALID_DATA', `${fn}: ${path.join(wdir, k.name)}: a writer folder holds only ${GENUINE_FOLDER}/ and ${FORGED_FOLDER}/`);
        }
        const sub = path.join(wdir, k.name);
        const found = (await entries(sub, fn)).filter((e) => e.isFile() && (isSignatureFile(e.name) || isImageFile(e.name))).map((e) => e.name).sort();
        for (const f of found) files.push({ writer: w, forged: k.name === FORGED_FOLDER, path: path.join(sub, f) });
      }
      if (!files.some((f) => f.writer === w && !f.forged)) {
        throw new ContrastiveError('INVALID_DATA', `${fn}: writer ${wdir} has no genuine signature (expected files in ${path.join(wdir, GENUINE_FOLDER)}/)`);
      }
    }
  }
  if (writers.length === 0) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir} holds no writer (expected ${dir}/<writer>/${GENUINE_FOLDER}/<file> and optionally ${FORGED_FOLDER}/, or SVC2004's U1S1.TXT ...)`);
  }
  const images = files.filter((f) => isImageFile(f.path));
  if (images.length > 0 && images.length < files.length) {
    const online = files.find((f) => !isImageFile(f.path))!;
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir} mixes images (${images[0].path}) and online signatures (${online.path}); use one kind per folder`);
  }
  return { kind: images.length > 0 ? 'offline' : 'online', writers, files };
}
