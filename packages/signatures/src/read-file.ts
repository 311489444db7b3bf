/** Reading one online-signature file, whatever its format. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { parseSvc2004 } from './svc2004.js';
import { parseTrajectoryCsv, parseTrajectoryJson } from './simple-formats.js';
import type { Trajectory } from './trajectory.js';

/** File extensions of online signatures: SVC2004 text (.txt, .svc, .sig), CSV and JSON. @group Reading and writing */
export const SIGNATURE_EXTENSIONS: readonly string[] = ['.txt', '.svc', '.sig', '.csv', '.json'];

/** True when `file`'s extension is one of {@link SIGNATURE_EXTENSIONS}. @group Reading and writing */
export function isSignatureFile(file: string): boolean {
  return SIGNATURE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Reads an online signature: .csv and .json in the simple format, anything
 * else as SVC2004 text.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_DATA naming the file and line for a bad one.
 * @group Reading and writing
 */
export async function readSignatureFile(file: string): Promise<Trajectory> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ContrastiveError('NOT_FOUND', `${file}: no such file`, { cause: err });
    throw new ContrastiveError('INVALID_DATA', `${file}: cannot read (${code ?? String(err)})`, { cause: err });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return parseTrajectoryCsv(text, file);
  if (ext === '.json') return parseTrajectoryJson(text, file);
  return parseSvc2004(text, file);
}
