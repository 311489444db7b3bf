import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadPairsCsv } from '../../packages/node/src/data/pairs-csv.js';
import type { PairDataset } from '../../packages/contrastive/src/data/types.js';
import { assertClose } from '../support/helpers.js';
import { rejectsWith } from '../support/helpers.js';

let root: string;
const opts = { width: 2, height: 2, channels: 1 as const };

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-pairs-'));
  await fs.mkdir(path.join(root, 'img'));
  for (const [name, grey] of [['a', 0], ['b', 51], ['c', 255]] as const) {
    await sharp(Buffer.alloc(9, grey), { raw: { width: 3, height: 3, channels: 1 } }).png().toFile(path.join(root, 'img', `${name}.png`));
  }
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** The pixels of each pair's first (or second) image, one row per pair. */
function pixelsOf(ds: PairDataset, rows: Int32Array): Float32Array {
  const size = ds.inputShape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, k) => out.set(ds.x.subarray(r * size, (r + 1) * size), k * size));
  return out;
}

async function csv(name: string, text: string): Promise<string> {
  const file = path.join(root, name);
  await fs.writeFile(file, text);
  return file;
}

test('loadPairsCsv: header, relative and absolute paths, labels 0/1, sources file:line', async () => {
  const abs = path.join(root, 'img', 'c.png');
  const file = await csv('good.csv', `path_a,path_b,label\nimg/a.png,img/b.png,1\n\n img/b.png , img/b.png ,0\nimg/a.png,${abs},1\n`);
  const ds = await loadPairsCsv(file, opts);
  assert.equal(ds.name, `pairs:${file}`);
  assert.deepEqual(ds.inputShape, [2, 2, 1]);
  assert.deepEqual([...ds.labels], [1, 0, 1]);
  assert.deepEqual(ds.sources, [`${file}:2`, `${file}:4`, `${file}:5`]);
  assertClose(pixelsOf(ds, ds.a), [...new Array(4).fill(0), ...new Array(4).fill(0.2), ...new Array(4).fill(0)], 1e-6, 'a');
  assertClose(pixelsOf(ds, ds.b), [...new Array(4).fill(0.2), ...new Array(4).fill(0.2), ...new Array(4).fill(1)], 1e-6, 'b');
  assert.equal(ds.x.length, 3 * 4, 'three distinct images (a, b, c), each held once');
});

test('loadPairsCsv: 100,000 rows over two images hold two images, not 200,000', async () => {
  const rows = Array.from({ length: 100_000 }, (_, k) => (k % 2 === 0 ? 'img/a.png,img/b.png,1' : 'img/b.png,./img/b.png,0'));
  const file = await csv('many.csv', rows.join('\n') + '\n');
  const before = process.memoryUsage().arrayBuffers;
  const ds = await loadPairsCsv(file, { width: 64, height: 64, channels: 1 });
  assert.equal(ds.labels.length, 100_000);
  assert.equal(ds.x.length, 2 * 64 * 64, 'img/b.png and ./img/b.png are one image');
  assert.deepEqual([ds.a[0], ds.b[0], ds.a[1], ds.b[1], ds.a[99_999], ds.b[99_999]], [0, 1, 1, 1, 1, 1]);
  // pixels per row would be 2 x 100,000 x 4096 floats = 3.3 GB
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, `${process.memoryUsage().arrayBuffers - before} bytes of buffers held`);
});

test('loadPairsCsv: no header row is fine', async () => {
  const ds = await loadPairsCsv(await csv('nohead.csv', 'img/a.png,img/c.png,0\r\nimg/c.png,img/a.png,1\r\n'), opts);
  assert.deepEqual([...ds.labels], [0, 1]);
});

test('loadPairsCsv: a label other than 0/1 names the file and line', async () => {
  const file = await csv('label2.csv', 'a,b,label\nimg/a.png,img/b.png,0\nimg/a.png,img/c.png,1\nimg/b.png,img/c.png,2\n');
  await rejectsWith(loadPairsCsv(file, opts), 'INVALID_DATA', `${file} line 4`, "got '2'", '0 (similar) or 1 (dissimilar)');
  const text = await csv('labeltext.csv', 'img/a.png,img/b.png,yes\n'); // first row: a header, then no pairs
  await rejectsWith(loadPairsCsv(text, opts), 'INVALID_DATA', 'no pairs');
  const text2 = await csv('labeltext2.csv', 'img/a.png,img/b.png,0\nimg/a.png,img/b.png,similar\n');
  await rejectsWith(loadPairsCsv(text2, opts), 'INVALID_DATA', `${text2} line 2`, "got 'similar'");
});

test('loadPairsCsv: a wrong column count names the file and line', async () => {
  const file = await csv('cols.csv', 'img/a.png,img/b.png,0\nimg/a.png,img/b.png\n');
  await rejectsWith(loadPairsCsv(file, opts), 'INVALID_DATA', `${file} line 2`, 'expected 3 columns', 'found 2');
  const four = await csv('cols4.csv', 'img/a.png,img/b.png,0,extra\n');
  await rejectsWith(loadPairsCsv(four, opts), 'INVALID_DATA', `${four} line 1`, 'found 4');
});

test('loadPairsCsv: a missing or undecodable image names the CSV line and the image', async () => {
  const file = await csv('missing.csv', 'img/a.png,img/b.png,0\nimg/a.png,img/nope.png,1\n');
  await rejectsWith(loadPairsCsv(file, opts), 'NOT_FOUND', `${file} line 2`, path.join(root, 'img', 'nope.png'), 'no such file');
  await fs.writeFile(path.join(root, 'img', 'junk.png'), 'garbage');
  const junk = await csv('junk.csv', 'img/a.png,img/b.png,0\nimg/a.png,img/b.png,0\nimg/junk.png,img/b.png,1\n');
  await rejectsWith(loadPairsCsv(junk, opts), 'INVALID_DATA', `${junk} line 3`, 'junk.png', 'cannot decode');
});

test('loadPairsCsv: a missing CSV, an empty CSV, bad options', async () => {
  const nope = path.join(root, 'nope.csv');
  await rejectsWith(loadPairsCsv(nope, opts), 'NOT_FOUND', nope);
  await rejectsWith(loadPairsCsv(await csv('empty.csv', ''), opts), 'INVALID_DATA', 'no pairs');
  await rejectsWith(loadPairsCsv(nope, { ...opts, channels: 4 as never }), 'INVALID_ARGUMENT', 'channels');
});
