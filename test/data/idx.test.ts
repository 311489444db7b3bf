import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdx, loadIdxDataset } from '../../packages/node/src/data/idx.js';
import { loadFashionMnist, FASHION_MNIST_DEBIAN_DIR } from '../../packages/node/src/data/fashion-mnist.js';
import { rejectsWith, valueRange } from '../support/helpers.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-idx-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Builds an IDX file: magic 0x0000 + type code + ndim, big-endian dims, then `payload`. */
function idx(typeCode: number, dims: number[], payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = typeCode;
  head[3] = dims.length;
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([head, payload]);
}

/** n images of h x w where pixel p of image i is (i * 7 + p) % 256; labels i % classes. */
function images(n: number, h: number, w: number): Buffer {
  const px = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) px[i * h * w + p] = (i * 7 + p) % 256;
  return idx(0x08, [n, h, w], px);
}
function labelsFile(n: number, classes: number): Buffer {
  return idx(0x08, [n], Uint8Array.from({ length: n }, (_, i) => i % classes));
}

async function write(name: string, data: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return file;
}

test('readIdx: plain and gzipped files give the same header and values', async () => {
  const buf = images(300, 28, 28); // 235 KB: the stream delivers it in several chunks
  const plain = await write('plain-idx3-ubyte', buf);
  const gz = await write('gz.bin', gzipSync(buf)); // the name says nothing: magic bytes decide
  for (const file of [plain, gz]) {
    const arr = await readIdx(file);
    assert.equal(arr.type, 'uint8');
    assert.deepEqual(arr.dims, [300, 28, 28]);
    assert.equal(arr.data.length, 300 * 784);
    assert.ok(arr.data instanceof Uint8Array);
    assert.equal(arr.data[0], 0);
    assert.equal(arr.data[784 + 3], (7 + 3) % 256);
    assert.equal(arr.data[299 * 784 + 783], (299 * 7 + 783) % 256);
  }
});

test('readIdx: big-endian int16, int32, float32 and float64 values', async () => {
  const i16 = Buffer.alloc(6);
  [-2, 300, 32767].forEach((v, k) => i16.writeInt16BE(v, 2 * k));
  assert.deepEqual([...(await readIdx(await write('i16', idx(0x0b, [3], i16)))).data], [-2, 300, 32767]);
  const i32 = Buffer.alloc(8);
  [-70000, 123456789].forEach((v, k) => i32.writeInt32BE(v, 4 * k));
  const r32 = await readIdx(await write('i32', idx(0x0c, [1, 2], i32)));
  assert.deepEqual(r32.dims, [1, 2]);
  assert.deepEqual([...r32.data], [-70000, 123456789]);
  const f32 = Buffer.alloc(8);
  [1.5, -0.25].forEach((v, k) => f32.writeFloatBE(v, 4 * k));
  const rf = await readIdx(await write('f32', idx(0x0d, [2], f32)));
  assert.equal(rf.type, 'float32');
  assert.deepEqual([...rf.data], [1.5, -0.25]);
  const f64 = Buffer.alloc(8);
  f64.writeDoubleBE(Math.PI, 0);
  assert.deepEqual([...(await readIdx(await write('f64', idx(0x0e, [1], f64)))).data], [Math.PI]);
  const i8 = await readIdx(await write('i8', idx(0x09, [2], Uint8Array.from([0xff, 0x05]))));
  assert.deepEqual([...i8.data], [-1, 5]);
});

test('readIdx: truncated files (plain, gzipped, inside the header) name the file and the sizes', async () => {
  const buf = images(10, 28, 28);
  const cut = await write('cut-idx3-ubyte', buf.subarray(0, buf.length - 100));
  await rejectsWith(readIdx(cut), 'INVALID_DATA', cut, 'truncated', '[10, 28, 28]', `${10 * 784} bytes`, `${10 * 784 - 100}`);
  // a gzip stream cut short: zlib reports it, we name the file
  const gzCut = await write('cut.gz', gzipSync(buf).subarray(0, 200));
  await rejectsWith(readIdx(gzCut), 'INVALID_DATA', gzCut, /gzip/);
  // a complete gzip stream of a truncated IDX file
  const gzShort = await write('short.gz', gzipSync(buf.subarray(0, 1000)));
  await rejectsWith(readIdx(gzShort), 'INVALID_DATA', gzShort, 'truncated');
  const header = await write('header-only', buf.subarray(0, 9));
  await rejectsWith(readIdx(header), 'INVALID_DATA', header, 'truncated', 'header');
  const empty = await write('empty', new Uint8Array(0));
  await rejectsWith(readIdx(empty), 'INVALID_DATA', empty, 'truncated');
});

test('readIdx: bad magic, unsupported type, trailing bytes, missing file', async () => {
  const png = await write('not-idx.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
  await rejectsWith(readIdx(png), 'INVALID_DATA', png, 'bad magic number 0x89504e47');
  const weird = await write('type07', idx(0x07, [2], Uint8Array.from([1, 2])));
  await rejectsWith(readIdx(weird), 'INVALID_DATA', weird, 'unsupported IDX type code 0x07');
  const longer = await write('longer', Buffer.concat([idx(0x08, [2], Uint8Array.from([1, 2])), Buffer.from([3])]));
  await rejectsWith(readIdx(longer), 'INVALID_DATA', longer, 'more data than');
  const missing = path.join(dir, 'nope-idx1-ubyte');
  await rejectsWith(readIdx(missing), 'NOT_FOUND', missing);
});

test('loadIdxDataset: finds train/t10k files (gz or plain), scales to [0,1], checks counts', async () => {
  const d = path.join(dir, 'ds');
  await write('ds/train-images-idx3-ubyte.gz', gzipSync(images(12, 4, 5)));
  await write('ds/train-labels-idx1-ubyte.gz', gzipSync(labelsFile(12, 3)));
  await write('ds/t10k-images-idx3-ubyte', images(6, 4, 5));
  await write('ds/t10k-labels-idx1-ubyte', labelsFile(6, 3));

  const train = await loadIdxDataset(d, { split: 'train' });
  assert.equal(train.name, `idx:${d}`);
  assert.deepEqual(train.inputShape, [4, 5, 1]);
  assert.equal(train.labels.length, 12);
  assert.equal(train.x.length, 12 * 20);
  assert.equal(train.numClasses, 3);
  assert.deepEqual([...train.labels.subarray(0, 4)], [0, 1, 2, 0]);
  assert.equal(train.x[20 + 2], Math.fround((7 + 2) / 255));
  assert.ok(train.x.every((v) => v >= 0 && v <= 1));
  assert.equal(train.sources?.[5], `idx:${d}:train:5`);

  const testSplit = await loadIdxDataset(d, { split: 'test' });
  assert.equal(testSplit.labels.length, 6);
  const all = await loadIdxDataset(d, { split: 'all' });
  assert.equal(all.labels.length, 18);
  assert.deepEqual(all.x.subarray(12 * 20), testSplit.x);
  assert.equal(all.sources?.[12], `idx:${d}:test:0`);
  await assert.rejects(loadIdxDataset(d, { split: 'validation' as never }), /split must be/);
});

test('loadIdxDataset: image/label count mismatch, wrong rank, missing files are named', async () => {
  const d = path.join(dir, 'bad');
  await write('bad/train-images-idx3-ubyte', images(10, 2, 2));
  await write('bad/train-labels-idx1-ubyte', labelsFile(9, 2));
  await rejectsWith(loadIdxDataset(d), 'INVALID_DATA', 'holds 10 images', '9 labels', path.join(d, 'train-labels-idx1-ubyte'));
  await write('bad/t10k-images-idx3-ubyte', idx(0x08, [4], new Uint8Array(4)));
  await write('bad/t10k-labels-idx1-ubyte', labelsFile(4, 2));
  await rejectsWith(loadIdxDataset(d, { split: 'test' }), 'INVALID_DATA', 't10k-images-idx3-ubyte', 'uint8 [4]');
  const empty = path.join(dir, 'emptyds');
  await fs.mkdir(empty);
  await rejectsWith(loadIdxDataset(empty), 'NOT_FOUND', empty, 'train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte');
  await rejectsWith(loadIdxDataset(path.join(dir, 'absent')), 'NOT_FOUND', 'not a directory');
});

test('loadFashionMnist: a missing folder names the paths looked at and the apt package', async () => {
  const nowhere = path.join(dir, 'no-fashion');
  await rejectsWith(loadFashionMnist({ dataDir: nowhere }), 'NOT_FOUND', nowhere, 'apt-get install dataset-fashion-mnist', FASHION_MNIST_DEBIAN_DIR);
});

test('loadFashionMnist: a dataDir with IDX files loads with the article names', async () => {
  const d = path.join(dir, 'fashion');
  await write('fashion/t10k-images-idx3-ubyte.gz', gzipSync(images(20, 28, 28)));
  await write('fashion/t10k-labels-idx1-ubyte.gz', gzipSync(labelsFile(20, 10)));
  const ds = await loadFashionMnist({ dataDir: d, split: 'test' });
  assert.equal(ds.name, 'fashion-mnist');
  assert.equal(ds.labels.length, 20);
  assert.equal(ds.classNames?.[9], 'Ankle boot');
  assert.equal(ds.sources?.[3], 'fashion-mnist:test:3');
});

const haveDebian = existsSync(path.join(FASHION_MNIST_DEBIAN_DIR, 't10k-images-idx3-ubyte.gz'));
test(
  'loadFashionMnist: the real Debian files (60,000 + 10,000, 10 balanced classes)',
  { skip: haveDebian ? false : `${FASHION_MNIST_DEBIAN_DIR} absent: apt-get install dataset-fashion-mnist to run this test` },
  async () => {
    for (const [split, n] of [['train', 60000], ['test', 10000]] as const) {
      const ds = await loadFashionMnist({ split });
      assert.deepEqual(ds.inputShape, [28, 28, 1]);
      assert.equal(ds.labels.length, n);
      assert.equal(ds.x.length, n * 784);
      assert.equal(ds.numClasses, 10);
      const counts = new Array(10).fill(0);
      for (const l of ds.labels) counts[l]++;
      assert.deepEqual(counts, new Array(10).fill(n / 10));
      assert.deepEqual(valueRange(ds.x), { min: 0, max: 1 });
    }
  },
);
