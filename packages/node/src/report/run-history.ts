/** Reads a run directory's history.json (written by the training job), for the compare and margin reports. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EpochRecord } from 'contrastive/internal/train/index.js';

/** The epochs of the run in `runDir`, or null when it has no readable history.json (a failed run). @group Report */
export async function readRunHistory(runDir: string): Promise<EpochRecord[] | null> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(path.join(runDir, 'history.json'), 'utf8'));
    return Array.isArray(parsed) ? (parsed as EpochRecord[]) : null;
  } catch {
    return null;
  }
}
