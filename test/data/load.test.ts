import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { loadDataset, DATASET_SPECS } from '../../packages/node/src/data/load.js';
import { isPairDataset } from '../../packages/contrastive/src/data/types.js';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-load-'));
  for (const [cls, grey] of [['cat', 10], ['dog', 200]] as const) {
    await fs.mkdir(path.join(root, 'folder', cls), { recursive: true });
    await sharp(Buffer.alloc(16, grey), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(path.join(root, 'folder', cls, '1.png'));
  }
  await fs.writeFile(path.join(root, 'folder', 'pairs.csv'), 'cat/1.png,dog/1.png,1\ncat/1.png,cat/1.png,0\n');
  const head = (code: number, dims: number[]): Buffer => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h[2] = code;
    h[3] = dims.length;
    dims.forEach((d, k) => h.writeUInt32BE(d, 4 + 4 * k));
    return h;
  };
  await fs.mkdir(path.join(root, 'idx'));
  await fs.writeFile(path.join(root, 'idx', 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([head(8, [3, 2, 2]), Buffer.alloc(12, 255)])));
  await fs.writeFile(path.join(root, 'idx', 'train-labels-idx1-ubyte.gz'), gzipSync(Buffer.concat([head(8, [3]), Buffer.from([0, 1, 2])])));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('loadDataset: each spec form reaches its loader', async () => {
  const mnist = await loadDataset('mnist');
  assert.ok(!isPairDataset(mnist));
  assert.equal(mnist.name, 'mnist');
  assert.equal(mnist.labels.length, 10000);

  const idx = await loadDataset(`idx:${path.join(root, 'idx')}`);
  assert.ok(!isPairDataset(idx));
  assert.deepEqual(idx.inputShape, [2, 2, 1]);
  assert.deepEqual([...idx.labels], [0, 1, 2]);

  const folder = await loadDataset(`folder:${path.join(root, 'folder')}`, { width: 3, height: 5 });
  assert.ok(!isPairDataset(folder));
  assert.deepEqual(folder.inputShape, [5, 3, 1]);
  assert.deepEqual(folder.classNames, ['cat', 'dog']);
  const defaults = await loadDataset(`folder:${path.join(root, 'folder')}`);
  assert.deepEqual(defaults.inputShape, [64, 64, 1]);

  const pairs = await loadDataset(`pairs:${path.join(root, 'folder', 'pairs.csv')}`, { width: 2, height: 2, channels: 3 });
  assert.ok(isPairDataset(pairs));
  assert.deepEqual(pairs.inputShape, [2, 2, 3]);
  assert.deepEqual([...pairs.labels], [1, 0]);
});

test('loadDataset: an unknown spec lists the valid forms; a missing path is named', async () => {
  for (const spec of ['cifar', 'mnist:foo', 'folders:/x', '']) {
    await assert.rejects(loadDataset(spec), (e: unknown) => {
      assert.ok(e instanceof ContrastiveError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.ok(e.message.startsWith(`loadDataset: unknown dataset '${spec}'`), e.message);
      for (const form of DATASET_SPECS) assert.ok(e.message.includes(form), e.message);
      assert.ok(e.message.includes('faces:DIR'), `the face dataset is among the forms: ${e.message}`);
      return true;
    });
  }
  await assert.rejects(loadDataset('folder:'), /'folder:' needs a path/);
  await assert.rejects(loadDataset('fashion-mnist', { dataDir: path.join(root, 'none') }), /apt-get install dataset-fashion-mnist/);
  await assert.rejects(loadDataset(`idx:${path.join(root, 'folder')}`), /no train images file/);
});
