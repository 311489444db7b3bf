/**
 * Training checkpoints: model weights, optimizer state and trainer state, written
 * as one unit after every epoch, so a resumed run continues exactly where an
 * interrupted one stopped.
 *
 * A checkpoint is two pieces: `state.json` (trainer state + a table of tensors) and
 * `tensors.bin` (their raw little-endian data, concatenated). Where they are kept is a
 * {@link CheckpointStore}: a directory in Node (written atomically), IndexedDB in a
 * page, or memory. A string target names a directory (Node only).
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../errors.js';
import { fileCheckpointStore } from '#platform/checkpoint-files.js';
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

export type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

const FORMAT = 'contrastive-checkpoint';
const FORMAT_VERSION = 1;

/** A named tensor group saved in a checkpoint ('model', 'head', 'optimizer', 'best'). @group Training */
export type TensorGroups = Record<string, Array<{ name: string; tensor: tf.Tensor }>>;

/** A checkpoint target: a store, or a directory path (Node). */
export type CheckpointTarget = string | CheckpointStore;

interface TensorEntry {
  group: string;
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

interface CheckpointFile<S> {
  format: string;
  formatVersion: number;
  state: S;
  tensors: TensorEntry[];
}

/** The store of a target: a directory string becomes the file store (Node only). @group Training */
export function checkpointStoreOf(target: CheckpointTarget): CheckpointStore {
  if (typeof target === 'string') return fileCheckpointStore(target);
  if (!target || typeof target.write !== 'function' || typeof target.read !== 'function') {
    throw new ContrastiveError('INVALID_ARGUMENT', 'checkpoint: expected a directory path or a CheckpointStore (with read and write)');
  }
  return target;
}

/** A checkpoint's two pieces for `state` and `groups`. `state` must be JSON-serialisable. @group Training */
export function encodeCheckpoint<S>(state: S, groups: TensorGroups): CheckpointFiles {
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [group, tensors] of Object.entries(groups)) {
    for (const { name, tensor } of tensors) {
      const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
      const data = dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync());
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      entries.push({ group, name, shape: tensor.shape, dtype, offset, length: bytes.byteLength });
      chunks.push(bytes);
      offset += bytes.byteLength;
    }
  }
  const tensors = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    tensors.set(c, at);
    at += c.byteLength;
  }
  const file: CheckpointFile<S> = { format: FORMAT, formatVersion: FORMAT_VERSION, state, tensors: entries };
  return { state: JSON.stringify(file), tensors };
}

/** Reads the pieces written by {@link encodeCheckpoint}; `where` names them in errors. The caller disposes the tensors. @group Training */
export function decodeCheckpoint<S>(files: CheckpointFiles, where: { state: string; tensors: string }): { state: S; groups: TensorGroups } {
  let file: CheckpointFile<S>;
  try {
    file = JSON.parse(files.state) as CheckpointFile<S>;
  } catch {
    throw new ContrastiveError('INVALID_DATA', `checkpoint ${where.state} is not valid JSON`);
  }
  if (!file || file.format !== FORMAT || typeof file.formatVersion !== 'number' || !Array.isArray(file.tensors)) {
    throw new ContrastiveError('INVALID_DATA', `checkpoint ${where.state} is not a contrastive checkpoint`);
  }
  if (file.formatVersion > FORMAT_VERSION) {
    throw new ContrastiveError('UNSUPPORTED', `checkpoint ${where.state} has format version ${file.formatVersion}; this library reads up to ${FORMAT_VERSION}`);
  }
  const bin = files.tensors;
  const groups: TensorGroups = {};
  for (const e of file.tensors) {
    if (e.offset + e.length > bin.byteLength) {
      throw new ContrastiveError('INVALID_DATA', `checkpoint data ${where.tensors} is truncated (tensor ${e.group}/${e.name} needs bytes ${e.offset}..${e.offset + e.length}, file has ${bin.byteLength})`);
    }
    const copy = bin.slice(e.offset, e.offset + e.length).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    (groups[e.group] ??= []).push({ name: e.name, tensor: tf.tensor(values, e.shape, e.dtype) });
  }
  return { state: file.state, groups };
}

/** Writes a checkpoint to `target` as one unit. `state` must be JSON-serialisable. @group Training */
export async function saveCheckpoint<S>(target: CheckpointTarget, state: S, groups: TensorGroups): Promise<void> {
  await checkpointStoreOf(target).write(encodeCheckpoint(state, groups));
}

/** Whether `target` holds a checkpoint. @group Training */
export async function hasCheckpoint(target: CheckpointTarget): Promise<boolean> {
  return (await checkpointStoreOf(target).read()) !== null;
}

/** Reads a checkpoint written by {@link saveCheckpoint}; the caller disposes the tensors. @group Training */
export async function loadCheckpoint<S>(target: CheckpointTarget): Promise<{ state: S; groups: TensorGroups }> {
  const store = checkpointStoreOf(target);
  const files = await store.read();
  const where = piecesOf(store.location);
  if (!files) throw new ContrastiveError('NOT_FOUND', `no checkpoint to resume from: ${where.state} does not exist`);
  return decodeCheckpoint<S>(files, where);
}

/** The names of a store's two pieces, for messages. */
function piecesOf(location: string): { state: string; tensors: string } {
  const sep = location.includes('\\') && !location.includes('/') ? '\\' : '/';
  const base = location.replace(/[\\/]+$/, '');
  return { state: `${base}${sep}state.json`, tensors: `${base}${sep}tensors.bin` };
}

/** A store in memory (tests, or a page that keeps a run only while it is open). @group Training */
export function memoryCheckpointStore(): CheckpointStore {
  let kept: CheckpointFiles | null = null;
  return {
    location: 'memory',
    async write(files) {
      kept = { state: files.state, tensors: files.tensors.slice() };
    },
    async read() {
      return kept && { state: kept.state, tensors: kept.tensors.slice() };
    },
  };
}
