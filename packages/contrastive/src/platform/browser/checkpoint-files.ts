/** Outside Node there is no file system: a directory target is refused with what to use instead. */
import { ContrastiveError } from '../../errors.js';
import type { CheckpointStore } from '../../train/checkpoint-store.js';

/** Throws: directories need Node. */
export function fileCheckpointStore(dir: string): CheckpointStore {
  throw new ContrastiveError(
    'UNSUPPORTED',
    `checkpoint: the directory '${dir}' needs Node's file system; in a page pass a CheckpointStore (indexedDbCheckpointStore(name) or memoryCheckpointStore())`,
  );
}
