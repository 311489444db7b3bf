/**
 * Training checkpoints: model weights, optimizer state and trainer state,
 * written atomically as one directory after every epoch, so `--resume`
 * continues exactly where an interrupted run stopped.
 *
 * Layout of `<dir>`: `state.json` (trainer state + a table of tensors) and
 * `tensors.bin` (their raw little-endian data, concatenated).
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from '../errors.js';
import { writeDirAtomic, recoverDirAtomic } from '../util/atomic.js';

const FORMAT = 'contrastive-checkpoint';
const FORMAT_VERSION = 1;

/** A named tensor group saved in a checkpoint ('model', 'head', 'optimizer', 'best'). */
export type TensorGroups = Record<string, Array<{ name: string; tensor: tf.Tensor }>>;

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

/** Writes a checkpoint directory atomically. `state` must be JSON-serialisable. */
export async function saveCheckpoint<S>(dir: string, state: S, groups: TensorGroups): Promise<void> {
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
  const file: CheckpointFile<S> = { format: FORMAT, formatVersion: FORMAT_VERSION, state, tensors: entries };
  await writeDirAtomic(dir, async (tmp) => {
    await fs.writeFile(path.join(tmp, 'tensors.bin'), Buffer.concat(chunks));
    await fs.writeFile(path.join(tmp, 'state.json'), JSON.stringify(file));
  });
}

/** Whether `dir` holds a checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  await recoverDirAtomic(dir);
  try {
    await fs.access(path.join(dir, 'state.json'));
    return true;
  } catch {
    return false;
  }
}

/** Reads a checkpoint written by {@link saveCheckpoint}; the caller disposes the tensors. */
export async function loadCheckpoint<S>(dir: string): Promise<{ state: S; groups: TensorGroups }> {
  await recoverDirAtomic(dir);
  const stateFile = path.join(dir, 'state.json');
  const binFile = path.join(dir, 'tensors.bin');
  let file: CheckpointFile<S>;
  try {
    file = JSON.parse(await fs.readFile(stateFile, 'utf8')) as CheckpointFile<S>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ContrastiveError('NOT_FOUND', `no checkpoint to resume from: ${stateFile} does not exist`);
    throw new ContrastiveError('INVALID_DATA', `checkpoint ${stateFile} is not valid JSON`);
  }
  if (file.format !== FORMAT || typeof file.formatVersion !== 'number' || !Array.isArray(file.tensors)) {
    throw new ContrastiveError('INVALID_DATA', `checkpoint ${stateFile} is not a contrastive checkpoint`);
  }
  if (file.formatVersion > FORMAT_VERSION) {
    throw new ContrastiveError('UNSUPPORTED', `checkpoint ${stateFile} has format version ${file.formatVersion}; this library reads up to ${FORMAT_VERSION}`);
  }
  let bin: Buffer;
  try {
    bin = await fs.readFile(binFile);
  } catch {
    throw new ContrastiveError('NOT_FOUND', `checkpoint data ${binFile} is missing`);
  }
  const groups: TensorGroups = {};
  for (const e of file.tensors) {
    if (e.offset + e.length > bin.byteLength) {
      throw new ContrastiveError('INVALID_DATA', `checkpoint data ${binFile} is truncated (tensor ${e.group}/${e.name} needs bytes ${e.offset}..${e.offset + e.length}, file has ${bin.byteLength})`);
    }
    const bytes = bin.subarray(e.offset, e.offset + e.length);
    const copy = new Uint8Array(bytes).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    (groups[e.group] ??= []).push({ name: e.name, tensor: tf.tensor(values, e.shape, e.dtype) });
  }
  return { state: file.state, groups };
}
