/** Reading one online-signature file, whatever its format. */
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { readUserText, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import { parseSvc2004 } from './svc2004.js';
import { parseTrajectoryCsv, parseTrajectoryJson } from './simple-formats.js';
import type { Trajectory } from './trajectory.js';

/** File extensions of online signatures: SVC2004 text (.txt, .svc, .sig), CSV and JSON. @group Reading and writing */
export const SIGNATURE_EXTENSIONS: readonly string[] = ['.txt', '.svc', '.sig', '.csv', '.json'];

/**
 * The image format whose signature starts `text` (a file read as UTF-8), or
 * null: PNG, JPEG, GIF, WebP, TIFF, BMP. A scanned signature given where a pen
 * trajectory is read is told apart from a broken trajectory file this way.
 */
export function imageFormatOf(text: string): string | null {
  // bytes that are not UTF-8 (0x89 of PNG, 0xFF of JPEG) read as U+FFFD
  if (/^\uFFFDPNG\r\n/.test(text)) return 'PNG';
  if (/^\uFFFD{3}/.test(text)) return 'JPEG';
  if (/^GIF8[79]a/.test(text)) return 'GIF';
  if (/^RIFF[\s\S]{4}WEBP/.test(text)) return 'WebP';
  if (/^(II\*\0|MM\0\*)/.test(text)) return 'TIFF';
  if (/^BM[\s\S]{4}\0\0\0\0/.test(text)) return 'BMP';
  return null;
}

/** True when `file`'s extension is one of {@link SIGNATURE_EXTENSIONS}. @group Reading and writing */
export function isSignatureFile(file: string): boolean {
  return SIGNATURE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/**
 * Reads an online signature: .csv and .json in the simple format, anything
 * else as SVC2004 text. Only a regular file of at most
 * USER_FILE_LIMITS.signature bytes is read.
 *
 * @throws ContrastiveError NOT_FOUND for a missing file, INVALID_ARGUMENT for a
 *   folder, FIFO or device, INVALID_DATA naming the file (and line) for a bad or too large one
 *   (an image says it is one: an online signature is a pen trajectory, not a scan).
 * @group Reading and writing
 */
export async function readSignatureFile(file: string): Promise<Trajectory> {
  const text = await readUserText(file, { maxBytes: USER_FILE_LIMITS.signature, what: 'signature' });
  const image = imageFormatOf(text);
  if (image) {
    throw new ContrastiveError(
      'INVALID_DATA',
      `${file}: a ${image} image, not an online signature (a pen trajectory: SVC2004 .txt, .csv or .json); scanned signatures need a model trained on signature images (a signatures:DIR dataset of images, the cnn encoder)`,
    );
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return parseTrajectoryCsv(text, file);
  if (ext === '.json') return parseTrajectoryJson(text, file);
  return parseSvc2004(text, file);
}
