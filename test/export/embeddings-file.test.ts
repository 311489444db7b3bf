/** readEmbeddingsFile: what writeEmbeddingsFile and numpy.save write comes back, and bad files are named. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npyBytes, parseNpy } from '../../packages/node/src/export/npy.js';
import { readEmbeddingsFile, writeEmbeddingsFile } from '../../packages/node/src/export/embeddings-file.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
let tmp = '';
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'emb-file-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const set = { embeddings: Float32Array.from([0.5, -1, 2, 0.25, 3e-7, 7]), dim: 2, sources: ['a.png', 'b.png', 'c.png'], labels: Int32Array.from([1, 0, 1]) };

test('readEmbeddingsFile reads back what writeEmbeddingsFile wrote, .npy and JSON lines', async () => {
  for (const name of ['e.npy', 'e.jsonl']) {
    const file = path.join(tmp, name);
    await writeEmbeddingsFile(file, set);
    const r = await readEmbeddingsFile(file);
    assert.deepEqual([r.rows, r.dim, r.format], [3, 2, name.endsWith('.npy') ? 'npy' : 'jsonl']);
    assert.deepEqual(r.embeddings, set.embeddings);
  }
});

test('readEmbeddingsFile: a 1-D .npy is one row; float64 is read as float32; JSON arrays in every layout', async () => {
  const one = path.join(tmp, 'one.npy');
  await fs.writeFile(one, npyBytes(Float32Array.from([1, 2, 3]), [3]));
  assert.deepEqual(await readEmbeddingsFile(one), { embeddings: Float32Array.from([1, 2, 3]), rows: 1, dim: 3, format: 'npy' });
  // float64 by hand: the header NumPy writes for its default dtype
  const f4 = npyBytes(Float32Array.from([0, 0]), [2]);
  const header = Buffer.from(f4.subarray(0, f4.length - 8)).toString('latin1').replace("'<f4'", "'<f8'");
  const data = Buffer.alloc(16);
  data.writeDoubleLE(0.1, 0);
  data.writeDoubleLE(-2.5, 8);
  const f8 = parseNpy(new Uint8Array(Buffer.concat([Buffer.from(header, 'latin1'), data])));
  assert.deepEqual(f8.shape, [2]);
  assert.deepEqual(f8.data, Float32Array.from([0.1, -2.5]));
  const json = async (name: string, text: string) => {
    await fs.writeFile(path.join(tmp, name), text);
    const r = await readEmbeddingsFile(path.join(tmp, name));
    return [r.rows, r.dim, [...r.embeddings]];
  };
  assert.deepEqual(await json('a.json', '[1, 2.5]'), [1, 2, [1, 2.5]]);
  assert.deepEqual(await json('b.json', '[[1, 2], [3, 4]]'), [2, 2, [1, 2, 3, 4]]);
  assert.deepEqual(await json('c.jsonl', '{"embedding": [1, 2]}\n\n[3, 4]\n'), [2, 2, [1, 2, 3, 4]]);
  assert.deepEqual(await json('d.json', '[\n  {"index": 0, "embedding": [5, 6]}\n]\n'), [1, 2, [5, 6]]);
});

test('readEmbeddingsFile reads what numpy.save writes (float64 and float32)', { skip: !numpy && 'python3 numpy is not installed' }, async () => {
  const f64 = path.join(tmp, 'np64.npy');
  const f32 = path.join(tmp, 'np32.npy');
  const r = spawnSync('python3', ['-c', `import numpy as np; a = np.array([[0.1, -0.2, 0.3], [1e-3, 4.0, -5.5]]); np.save(${JSON.stringify(f64)}, a); np.save(${JSON.stringify(f32)}, a.astype(np.float32))`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const file of [f64, f32]) {
    const e = await readEmbeddingsFile(file);
    assert.deepEqual([e.rows, e.dim], [2, 3]);
    assert.deepEqual(e.embeddings, Float32Array.from([0.1, -0.2, 0.3, 1e-3, 4.0, -5.5]));
  }
});

test('readEmbeddingsFile names the file and the row or line of what is wrong', async () => {
  const bad = async (name: string, bytes: Uint8Array | string, pattern: RegExp, code: string) => {
    const file = path.join(tmp, name);
    await fs.writeFile(file, bytes);
    await assert.rejects(readEmbeddingsFile(file), (err: unknown) => {
      assert.ok(err instanceof ContrastiveError);
      assert.equal(err.code, code);
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  };
  await bad('nan.npy', npyBytes(Float32Array.from([1, 2, NaN, 4]), [2, 2]), /row 1 has a non-finite value \(NaN\) at column 0/, 'NUMERIC');
  await bad('cube.npy', npyBytes(new Float32Array(8), [2, 2, 2]), /shape \(2, 2, 2\)/, 'INVALID_DATA');
  await bad('none.npy', npyBytes(new Float32Array(0), [0, 4]), /no embeddings/, 'INVALID_DATA');
  await bad('text.npy', 'hello', /not a readable \.npy file/, 'INVALID_DATA');
  await bad('cut.npy', npyBytes(new Float32Array(8), [2, 4]).subarray(0, 140), /holds 12 bytes.*needs 32/, 'INVALID_DATA');
  await bad('ragged.jsonl', '[1,2]\n[1,2,3]\n', /line 2 has 3 values but the first row has 2/, 'INVALID_DATA');
  await bad('broken.jsonl', '[1,2]\n[1,\n', /line 2 is not JSON/, 'INVALID_DATA');
  await bad('null.jsonl', '[1,null]\n', /value 1 is null, not a number/, 'INVALID_DATA');
  await bad('huge.jsonl', '[1,1e999]\n', /non-finite value \(Infinity\)/, 'NUMERIC');
  await bad('vec.txt', '1,2', /cannot tell the format/, 'INVALID_ARGUMENT');
  await assert.rejects(readEmbeddingsFile(path.join(tmp, 'missing.npy')), /missing\.npy does not exist/);
});
