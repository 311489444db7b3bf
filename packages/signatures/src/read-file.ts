/** Reading one online-signature file, whatever its format. */
import path from 'node:path';
import { readUserText, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import { parseSvc2004 } from './svc2004.js';
import { parseTrajectoryCsv, parseTrajectoryJson } from './simple-formats.js';
import type { Trajectory } from './trajectory.js';

/** File extensions of online signatures: SVC2004 text (.txt, .svc, .sig), CSV and JSON. */
export const SIGNATURE_EXTENSIONS: readonly string[] = ['.txt', '.svc', '.sig', '.csv', '.json'];

/** True when `file`'s extension is one of {@link SIGNATURE_EXTENSIONS}. */
export function isSignatureFile(file: string): boolean {
  return SIGNATURE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Reads an online signature: .csv and .json in the simple format, anything
 * else as SVC2004 text. Only a regular file of at most
 * USER_FILE_LIMITS.signature bytes is read.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a
 *   folder, FIFO or device, INVALID_DATA naming the file (and line) for a bad or too large one.
 */
export async function readSignatureFile(file: string): Promise<Trajectory> {
  const text = await readUserText(file, { maxBytes: USER_FILE_LIMITS.signature, what: 'signature' });
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return parseTrajectoryCsv(text, file);
  if (ext === '.json') return parseTrajectoryJson(text, file);
  return parseSvc2004(text, file);
}
