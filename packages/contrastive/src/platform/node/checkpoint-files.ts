/** Checkpoints in a directory (Node): `state.json` + `tensors.bin`, replaced atomically as one directory. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from '../../errors.js';
import { writeDirAtomic, recoverDirAtomic } from '../../util/atomic.js';
import type { CheckpointFiles, CheckpointStore } from '../../train/checkpoint-store.js';

/** The checkpoint store of directory `dir`. @group Training */
export function fileCheckpointStore(dir: string): CheckpointStore {
  const stateFile = path.join(dir, 'state.json');
  const binFile = path.join(dir, 'tensors.bin');
  return {
    location: dir,
    async write(files: CheckpointFiles) {
      await writeDirAtomic(dir, async (tmp) => {
        await fs.writeFile(path.join(tmp, 'tensors.bin'), files.tensors);
        await fs.writeFile(path.join(tmp, 'state.json'), files.state);
      });
    },
    async read(): Promise<CheckpointFiles | null> {
      await recoverDirAtomic(dir);
      let state: string;
      try {
        state = await fs.readFile(stateFile, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
        throw new ContrastiveError('INVALID_DATA', `checkpoint ${stateFile} cannot be read (${(err as Error).message})`, { cause: err });
      }
      let tensors: Uint8Array;
      try {
        tensors = new Uint8Array(await fs.readFile(binFile));
      } catch {
        throw new ContrastiveError('NOT_FOUND', `checkpoint data ${binFile} is missing`);
      }
      return { state, tensors };
    },
  };
}
