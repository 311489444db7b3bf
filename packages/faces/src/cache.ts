/**
 * On-disk cache of face detections and descriptors, one small JSON file per
 * (image content, pipeline): keyed by the SHA-256 of the file's bytes, so a
 * renamed or copied photo is not described twice and an edited one is.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { readUserText, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import type { DescribedFace } from './engine.js';

/** What is stored for one image. @group Detection and description */
export interface CachedFaces {
  /** The pipeline that produced the entry (engine id + image size limit). */
  pipeline: string;
  /** Size of the image the boxes refer to (after EXIF rotation and the size limit). */
  width: number;
  height: number;
  faces: DescribedFace[];
}

/** The default cache folder: $CONTRASTIVE_CACHE_DIR/faces, else ~/.cache/contrastive/faces. @group Detection and description */
export function defaultFaceCacheDir(): string {
  const base = process.env.CONTRASTIVE_CACHE_DIR || path.join(os.homedir(), '.cache', 'contrastive');
  return path.join(base, 'faces');
}

/** SHA-256 of bytes, hex. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A folder of cached face descriptors. @group Detection and description */
export class FaceCache {
  constructor(readonly dir: string = defaultFaceCacheDir()) {}

  private fileOf(contentHash: string, pipeline: string): string {
    return path.join(this.dir, contentHash.slice(0, 2), `${contentHash}-${sha256(pipeline).slice(0, 16)}.json`);
  }

  /** The cached entry, or undefined when absent or unreadable (a damaged entry is recomputed, never trusted). */
  async get(contentHash: string, pipeline: string): Promise<CachedFaces | undefined> {
    let text: string;
    try {
      text = await readUserText(this.fileOf(contentHash, pipeline), { maxBytes: USER_FILE_LIMITS.json, what: 'cache entry' });
    } catch {
      return undefined;
    }
    try {
      const raw = JSON.parse(text) as { pipeline: string; width: number; height: number; faces: { box: DescribedFace['box']; descriptor: number[] }[] };
      if (raw.pipeline !== pipeline || !Array.isArray(raw.faces)) return undefined;
      if (!raw.faces.every((f) => Array.isArray(f.descriptor) && f.descriptor.length === 128 && f.descriptor.every(Number.isFinite))) return undefined;
      return { pipeline, width: raw.width, height: raw.height, faces: raw.faces.map((f) => ({ box: f.box, descriptor: Float32Array.from(f.descriptor) })) };
    } catch {
      return undefined;
    }
  }

  /** Stores an entry (atomically). */
  async set(contentHash: string, entry: CachedFaces): Promise<void> {
    const json = { ...entry, faces: entry.faces.map((f) => ({ box: f.box, descriptor: Array.from(f.descriptor) })) };
    await writeFileAtomic(this.fileOf(contentHash, entry.pipeline), JSON.stringify(json));
  }
}
