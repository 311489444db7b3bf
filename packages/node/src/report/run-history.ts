/** Reads a run directory's history.json (written by the training job), for the compare and margin reports. */
import path from 'node:path';
import { readUserText, USER_FILE_LIMITS } from '../util/user-file.js';
import type { EpochRecord } from 'contrastive/internal/train/index.js';

/** The epochs of the run in `runDir`, or null when it has no readable history.json (a failed run). @group Report */
export async function readRunHistory(runDir: string): Promise<EpochRecord[] | null> {
  try {
    const parsed: unknown = JSON.parse(await readUserText(path.join(runDir, 'history.json'), { maxBytes: USER_FILE_LIMITS.json, what: 'history file' }));
    return Array.isArray(parsed) ? (parsed as EpochRecord[]) : null;
  } catch {
    return null;
  }
}
