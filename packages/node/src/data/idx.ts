/**
 * The IDX file format (LeCun's MNIST format, also used by Fashion-MNIST):
 * a 4-byte magic number `0x00 0x00 <type code> <ndim>`, then `ndim` big-endian
 * uint32 dimensions, then the values, big-endian, row-major. Files may be
 * gzipped; we decide by the gzip magic bytes, not by the file name.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';
import { openUserFile, USER_FILE_LIMITS } from '../util/user-file.js';

/** Element types an IDX file can hold, by their type code. @group Datasets */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array holding the values of an IDX file of the given type. @group Datasets */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** The content of one IDX file. @group Datasets */
export interface IdxArray {
  type: IdxType;
  /** Dimensions from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** All values in row-major order, converted to the host's byte order. */
  data: IdxData;
}

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

// Guards against a corrupt header asking for an absurd allocation.
const MAX_IDX_BYTES = 2 ** 31 - 1;

function invalid(file: string, problem: string): ContrastiveError {
  return new ContrastiveError('INVALID_DATA', `readIdx: ${file}: ${problem}`);
}


/** Converts the big-endian payload to a typed array in host order. */
function toTyped(type: IdxType, bytes: Uint8Array): IdxData {
  if (type === 'uint8') return bytes;
  if (type === 'int8') return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'int16': {
      const out = new Int16Array(bytes.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(bytes.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, false);
      return out;
    }
  }
}

/**
 * Reads one IDX file, plain or gzipped (decided by its first two bytes), as a
 * stream: the header is parsed from the first bytes, then exactly one buffer of
 * the announced size is filled (a stream that goes on past it fails at once).
 * Only a regular file is opened (see openUserFile).
 *
 * @throws ContrastiveError NOT_FOUND when the file does not exist; INVALID_ARGUMENT for a folder, FIFO or device; INVALID_DATA,
 *   naming the file, for a bad magic number, an unsupported type code, a
 *   truncated file, trailing bytes, or a corrupt gzip stream.
 * @group Datasets
 */
export async function readIdx(file: string): Promise<IdxArray> {
  check(typeof file === 'string' && file.length > 0, 'readIdx', 'file must be a non-empty path');
  const { handle } = await openUserFile(file, { maxBytes: USER_FILE_LIMITS.large, what: 'IDX file', fn: 'readIdx' });
  let gz: boolean;
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    gz = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (err) {
    await handle.close();
    throw invalid(file, `read failed (${(err as Error).message})`);
  }
  const raw = handle.createReadStream({ start: 0, autoClose: true });
  const source: Readable = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on('error', (err) => source.destroy(err));

  let header: Buffer = Buffer.alloc(0);
  let headerLength = 4; // grows to 4 + 4 * ndim once the magic number is read
  let info: { type: IdxType; bytes: number } | undefined;
  let dims: number[] = [];
  let payload: Uint8Array | undefined;
  let filled = 0;

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let offset = 0;
      if (!payload) {
        const need = headerLength - header.length;
        header = Buffer.concat([header, chunk.subarray(0, need)]);
        offset = Math.min(need, chunk.length);
        if (header.length >= 4 && !info) {
          if (header[0] !== 0 || header[1] !== 0) {
            throw invalid(file, `bad magic number 0x${header.readUInt32BE(0).toString(16).padStart(8, '0')} (an IDX file starts with 0x0000, a type code and the number of dimensions)`);
          }
          const code = header[2];
          info = TYPE_CODES[code];
          if (!info) throw invalid(file, `unsupported IDX type code 0x${code.toString(16).padStart(2, '0')} (supported: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)`);
          const ndim = header[3];
          if (ndim === 0) throw invalid(file, 'header announces 0 dimensions');
          headerLength = 4 + 4 * ndim;
          // The rest of this chunk may hold the dimensions too.
          const more = headerLength - header.length;
          header = Buffer.concat([header, chunk.subarray(offset, offset + more)]);
          offset = Math.min(offset + more, chunk.length);
        }
        if (info && header.length === headerLength) {
          dims = [];
          for (let d = 0; d < (headerLength - 4) / 4; d++) dims.push(header.readUInt32BE(4 + 4 * d));
          const total = dims.reduce((a, b) => a * b, 1) * info.bytes;
          if (total > MAX_IDX_BYTES) throw invalid(file, `header dimensions [${dims.join(', ')}] announce ${total} bytes, more than this reader supports`);
          payload = new Uint8Array(total);
        }
        if (!payload) continue;
      }
      const rest = chunk.length - offset;
      if (filled + rest > payload.length) {
        throw invalid(file, `more data than the header's dimensions [${dims.join(', ')}] announce (expected ${payload.length} bytes of values)`);
      }
      payload.set(chunk.subarray(offset), filled);
      filled += rest;
    }
  } catch (err) {
    raw.destroy();
    if (err instanceof ContrastiveError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ContrastiveError('NOT_FOUND', `readIdx: ${file}: no such file`, { cause: err });
    const what = e.code?.startsWith('Z_') ? 'corrupt or truncated gzip data' : 'read failed';
    throw invalid(file, `${what} (${e.message})`);
  }

  if (!info || !payload) {
    throw invalid(file, `truncated: ${header.length} bytes, shorter than the IDX header (${headerLength} bytes)`);
  }
  if (filled < payload.length) {
    throw invalid(file, `truncated: header dimensions [${dims.join(', ')}] announce ${payload.length} bytes of values, the file holds ${filled}`);
  }
  return { type: info.type, dims, data: toTyped(info.type, payload) };
}

/** Which half of an IDX dataset to load; 'all' concatenates train then test. @group Datasets */
export type IdxSplit = 'train' | 'test' | 'all';

/** Options of {@link loadIdxDataset}. @group Datasets */
export interface IdxDatasetOptions {
  /** 'train' (train-*), 'test' (t10k-*), or 'all' (both, train first). Default 'train'. */
  split?: IdxSplit;
  /** Dataset name to report; default `idx:<dir>`. */
  name?: string;
  /** Class names indexed by label, e.g. the Fashion-MNIST article names. */
  classNames?: string[];
}

/** Candidate file names for one part of an IDX dataset, in the order they are tried. */
function idxCandidates(prefix: 'train' | 't10k', kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 'idx3' : 'idx1';
  // The canonical names use a dash; some mirrors use a dot (train-images.idx3-ubyte).
  const bases = [`${prefix}-${kind}-${rank}-ubyte`, `${prefix}-${kind}.${rank}-ubyte`];
  return bases.flatMap((b) => [`${b}.gz`, b]);
}

async function findIdxFile(dir: string, prefix: 'train' | 't10k', kind: 'images' | 'labels'): Promise<string> {
  const names = idxCandidates(prefix, kind);
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      if ((await fs.stat(file)).isFile()) return file;
    } catch {
      // try the next candidate
    }
  }
  throw new ContrastiveError('NOT_FOUND', `loadIdxDataset: no ${prefix} ${kind} file in ${dir} (looked for ${names.join(', ')})`);
}

async function loadIdxPart(dir: string, prefix: 'train' | 't10k'): Promise<{ images: IdxArray; labels: IdxArray; imageFile: string; labelFile: string }> {
  const imageFile = await findIdxFile(dir, prefix, 'images');
  const labelFile = await findIdxFile(dir, prefix, 'labels');
  const [images, labels] = await Promise.all([readIdx(imageFile), readIdx(labelFile)]);
  if (images.type !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    throw new ContrastiveError('INVALID_DATA', `loadIdxDataset: ${imageFile}: expected uint8 images of shape [count, height, width] or [count, height, width, channels], got ${images.type} [${images.dims.join(', ')}]`);
  }
  if (labels.type !== 'uint8' || labels.dims.length !== 1) {
    throw new ContrastiveError('INVALID_DATA', `loadIdxDataset: ${labelFile}: expected uint8 labels of shape [count], got ${labels.type} [${labels.dims.join(', ')}]`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new ContrastiveError('INVALID_DATA', `loadIdxDataset: ${imageFile} holds ${images.dims[0]} images but ${labelFile} holds ${labels.dims[0]} labels`);
  }
  return { images, labels, imageFile, labelFile };
}

/**
 * Loads an IDX image dataset from `dir`: `train-images-idx3-ubyte[.gz]` +
 * `train-labels-idx1-ubyte[.gz]` for 'train', `t10k-...` for 'test'. Pixels are
 * scaled from uint8 to [0, 1]; inputShape is [height, width, channels]
 * (channels 1 for the usual 3-dimensional image file). Labels must be 0..255
 * and numClasses is the largest label + 1. Sources are `<name>:<split>:<index>`.
 *
 * @throws ContrastiveError when a file is missing, corrupt (see {@link readIdx}),
 *   of the wrong type or rank, or when image and label counts differ.
 * @group Datasets
 */
export async function loadIdxDataset(dir: string, options: IdxDatasetOptions = {}): Promise<LabelledDataset> {
  check(typeof dir === 'string' && dir.length > 0, 'loadIdxDataset', 'dir must be a non-empty path');
  const split = options.split ?? 'train';
  check(split === 'train' || split === 'test' || split === 'all', 'loadIdxDataset', `split must be 'train', 'test' or 'all', got ${JSON.stringify(split)}`);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new ContrastiveError('NOT_FOUND', `loadIdxDataset: ${dir} is not a directory`);

  const prefixes: ('train' | 't10k')[] = split === 'train' ? ['train'] : split === 'test' ? ['t10k'] : ['train', 't10k'];
  const parts = [];
  for (const p of prefixes) parts.push(await loadIdxPart(dir, p));

  const shape0 = parts[0].images.dims.slice(1);
  for (const p of parts.slice(1)) {
    const s = p.images.dims.slice(1);
    if (s.join('x') !== shape0.join('x')) {
      throw new ContrastiveError('INVALID_DATA', `loadIdxDataset: ${p.imageFile} has images of shape [${s.join(', ')}], ${parts[0].imageFile} of shape [${shape0.join(', ')}]`);
    }
  }
  const inputShape = shape0.length === 2 ? [shape0[0], shape0[1], 1] : shape0;
  const size = shape0.reduce((a, b) => a * b, 1);
  const count = parts.reduce((n, p) => n + p.labels.dims[0], 0);
  const x = new Float32Array(count * size);
  const labels = new Int32Array(count);
  const name = options.name ?? `idx:${dir}`;
  const sources: string[] = new Array(count);
  let at = 0;
  for (const p of parts) {
    const pix = p.images.data as Uint8Array;
    for (let i = 0; i < pix.length; i++) x[at * size + i] = pix[i] / 255;
    const partSplit = p.imageFile.includes('t10k') ? 'test' : 'train';
    const lab = p.labels.data as Uint8Array;
    for (let i = 0; i < lab.length; i++) {
      labels[at + i] = lab[i];
      sources[at + i] = `${name}:${partSplit}:${i}`;
    }
    at += lab.length;
  }
  let maxLabel = -1;
  for (let i = 0; i < count; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
  const numClasses = Math.max(maxLabel + 1, options.classNames?.length ?? 0);
  const out: LabelledDataset = { name, inputShape, x, labels, numClasses, sources };
  if (options.classNames) out.classNames = options.classNames.slice();
  return out;
}
