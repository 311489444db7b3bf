/**
 * The NumPy `.npy` format (version 1.0) for float32 matrices: what
 * `numpy.load` reads. Small enough to be ours: a magic string, a header
 * dictionary padded to 64 bytes, then the little-endian data.
 */
import { check } from 'contrastive/internal/errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The bytes of a `.npy` file holding `data` as a C-order float32 array of `shape`. @group Embedding files */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const fn = 'npyBytes';
  check(shape.every((d) => Number.isInteger(d) && d >= 0), fn, `shape must be non-negative integers, got ${JSON.stringify(shape)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  check(count === data.length, fn, `shape ${JSON.stringify(shape)} holds ${count} values but data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces and ending in '\n' to a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/**
 * Reads a `.npy` file's bytes back: its shape and data, as float32. Reads
 * little-endian float32 (what {@link npyBytes} writes) and float64 (NumPy's
 * default dtype, rounded to float32), C order.
 * @group Embedding files
 */
export function parseNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const fn = 'parseNpy';
  check(bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b), fn, 'not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = bytes[6] === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = bytes[6] === 1 ? 10 : 12;
  check(bytes.length >= start + headerLength, fn, `header of ${headerLength} bytes runs past the end of the file (${bytes.length} bytes)`);
  const header = String.fromCharCode(...bytes.subarray(start, start + headerLength));
  const descr = /'descr': '([^']*)'/.exec(header)?.[1];
  check(descr === '<f4' || descr === '<f8', fn, `only little-endian float32 ('<f4') and float64 ('<f8') are read, header: ${header.trim()}`);
  check(/'fortran_order': False/.test(header), fn, 'only C order is read');
  const m = /'shape': \(([^)]*)\)/.exec(header);
  check(m !== null, fn, `no shape in header: ${header.trim()}`);
  const shape = m![1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  check(shape.every((d) => Number.isInteger(d) && d >= 0), fn, `bad shape in header: ${header.trim()}`);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = descr === '<f8' ? 8 : 4;
  const offset = start + headerLength;
  check(bytes.length - offset === count * width, fn, `data holds ${bytes.length - offset} bytes, shape ${JSON.stringify(shape)} of ${descr} needs ${count * width}`);
  const data = new Float32Array(count);
  if (width === 8) for (let i = 0; i < count; i++) data[i] = view.getFloat64(offset + i * 8, true);
  else for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + i * 4, true);
  return { shape, data };
}
