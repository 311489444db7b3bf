/** Our .npy writer: the header NumPy expects, data little-endian float32; read back by numpy when it is installed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npyBytes, parseNpy } from '../../packages/node/src/export/npy.js';
import { embeddingsJsonLines, writeEmbeddingsFile } from '../../packages/node/src/export/embeddings-file.js';

const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

test('npyBytes: version 1.0 header padded to 64 bytes, shape and data read back', () => {
  const data = Float32Array.from([1, -2.5, 3e-7, 4, 5, 6]);
  const bytes = npyBytes(data, [2, 3]);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes[8] + 256 * bytes[9];
  assert.equal((10 + headerLength) % 64, 0);
  assert.equal(bytes[10 + headerLength - 1], 0x0a);
  const back = parseNpy(bytes);
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(back.data, data);
  assert.deepEqual(parseNpy(npyBytes(Float32Array.from([7]), [1])).shape, [1]);
  assert.throws(() => npyBytes(data, [4, 2]), /holds 8 values but data has 6/);
});

test('writeEmbeddingsFile: .npy that numpy loads, JSON lines with index, source, label and embedding', { skip: !numpy && 'python3 numpy is not installed' }, async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'npy-'));
  const set = { embeddings: Float32Array.from([0.5, -1, 2, 0.25]), dim: 2, sources: ['a.png', 'b.png'], labels: Int32Array.from([1, 0]), classNames: ['x', 'y'] };
  const file = path.join(tmp, 'emb.npy');
  assert.equal(await writeEmbeddingsFile(file, set), 'npy');
  const r = spawnSync('python3', ['-c', `import numpy; a = numpy.load(${JSON.stringify(file)}); print(a.dtype, a.shape, a.tolist())`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'float32 (2, 2) [[0.5, -1.0], [2.0, 0.25]]', r.stderr);
  const lines = [...embeddingsJsonLines(set)].join('').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { index: 0, source: 'a.png', label: 1, className: 'y', embedding: [0.5, -1] });
  await assert.rejects(writeEmbeddingsFile(path.join(tmp, 'emb.txt'), set), /cannot tell the format/);
});
