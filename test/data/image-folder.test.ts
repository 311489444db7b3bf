import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { loadImageFolder, requireTwoClasses } from '../../packages/node/src/data/image-folder.js';
import { decodeImage } from '../../packages/node/src/data/image.js';
import { decodeNetpbm } from '../../packages/node/src/data/netpbm.js';
import { assertClose } from '../support/helpers.js';
import { rejectsWith } from '../support/helpers.js';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-img-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A uniform image of `grey` (0-255) or of an [r, g, b] colour, written as PNG or JPEG. */
async function solid(file: string, width: number, height: number, colour: number | [number, number, number]): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const channels = typeof colour === 'number' ? 1 : 3;
  const px = Buffer.alloc(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    if (typeof colour === 'number') px[p] = colour;
    else colour.forEach((v, c) => (px[p * 3 + c] = v));
  }
  const img = sharp(px, { raw: { width, height, channels } });
  await (file.endsWith('.jpg') ? img.jpeg({ quality: 95 }) : img.png()).toFile(file);
  return file;
}

function filled(n: number, v: number): number[] {
  return new Array(n).fill(v);
}

test('loadImageFolder: classes sorted by folder name, files sorted, grey floats, non-images ignored', async () => {
  const dir = path.join(root, 'faces');
  await solid(path.join(dir, 'zoe', '2.png'), 10, 6, 200);
  await solid(path.join(dir, 'zoe', '1.png'), 10, 6, 100);
  await solid(path.join(dir, 'adam', 'a.jpg'), 12, 12, 50);
  await solid(path.join(dir, '.cache', 'x.png'), 4, 4, 0);
  await fs.writeFile(path.join(dir, 'zoe', 'notes.txt'), 'not an image');
  await fs.writeFile(path.join(dir, 'README'), 'ignored: files directly in the root');

  const ds = await loadImageFolder(dir, { width: 4, height: 3, channels: 1 });
  assert.equal(ds.name, `folder:${dir}`);
  assert.deepEqual(ds.inputShape, [3, 4, 1]);
  assert.deepEqual(ds.classNames, ['adam', 'zoe']);
  assert.equal(ds.numClasses, 2);
  assert.deepEqual([...ds.labels], [0, 1, 1]);
  assert.deepEqual(ds.sources, [path.join(dir, 'adam', 'a.jpg'), path.join(dir, 'zoe', '1.png'), path.join(dir, 'zoe', '2.png')]);
  assert.equal(ds.x.length, 3 * 12);
  assertClose(ds.x.subarray(0, 12), filled(12, 50 / 255), 3 / 255, 'jpeg');
  assertClose(ds.x.subarray(12, 24), filled(12, 100 / 255), 1 / 255, 'zoe/1');
  assertClose(ds.x.subarray(24, 36), filled(12, 200 / 255), 1 / 255, 'zoe/2');
  requireTwoClasses(ds, 'train'); // two classes: fine
});

test('decodeImage: RGB, grey to RGB, fit cover / contain / fill on a wide image', async () => {
  const red = await solid(path.join(root, 'misc', 'red.png'), 5, 5, [255, 0, 0]);
  assertClose(await decodeImage(red, { width: 2, height: 2, channels: 3 }), [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0], 1e-6, 'red');
  const grey = await solid(path.join(root, 'misc', 'grey.png'), 5, 5, 128);
  assertClose(await decodeImage(grey, { width: 1, height: 1, channels: 3 }), filled(3, 128 / 255), 1e-6, 'grey as rgb');

  // 8x4 white: contain into 4x4 gives a 4x2 white band between black rows; cover and fill are all white
  const wide = await solid(path.join(root, 'misc', 'wide.png'), 8, 4, 255);
  const contain = await decodeImage(wide, { width: 4, height: 4, channels: 1, fit: 'contain' });
  assertClose(contain, [...filled(4, 0), ...filled(8, 1), ...filled(4, 0)], 1e-6, 'contain');
  const padWhite = await decodeImage(wide, { width: 4, height: 4, channels: 1, fit: 'contain', background: 1 });
  assertClose(padWhite, filled(16, 1), 1e-6, 'contain on white');
  assertClose(await decodeImage(wide, { width: 4, height: 4, channels: 1 }), filled(16, 1), 1e-6, 'cover');
  assertClose(await decodeImage(wide, { width: 4, height: 4, channels: 1, fit: 'fill' }), filled(16, 1), 1e-6, 'fill');

  await assert.rejects(decodeImage(wide, { width: 0, height: 4, channels: 1 }), /width must be an integer/);
  await assert.rejects(decodeImage(wide, { width: 4, height: 4, channels: 2 as never }), /channels must be 1/);
  await assert.rejects(decodeImage(wide, { width: 4, height: 4, channels: 1, fit: 'inside' as never }), /fit must be/);
});

test('PGM (AT&T/ORL faces format): sharp cannot read it, our reader does (P5 8/16-bit, P2 with comments)', async () => {
  // sharp's prebuilt libvips has no PGM loader: this documents why netpbm.ts exists
  const p5 = Buffer.concat([Buffer.from('P5\n3 2\n255\n'), Buffer.from([0, 51, 102, 153, 204, 255])]);
  await assert.rejects(sharp(p5).raw().toBuffer());

  const file = path.join(root, 'att', 's1', '1.pgm');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, p5);
  assertClose(await decodeImage(file, { width: 3, height: 2, channels: 1, fit: 'fill' }), [0, 0.2, 0.4, 0.6, 0.8, 1], 1e-6, 'P5');

  const p2 = decodeNetpbm(Buffer.from('P2\n# a comment\n2 2 # inline\n15\n0 5\n10 15\n'));
  assert.deepEqual([p2.width, p2.height, p2.channels], [2, 2, 1]);
  assert.deepEqual([...p2.data], [0, 85, 170, 255]);
  const p5wide = decodeNetpbm(Buffer.concat([Buffer.from('P5 1 2 65535\n'), Buffer.from([0xff, 0xff, 0x80, 0x00])]));
  assert.deepEqual([...p5wide.data], [255, 128]);
  const p6 = decodeNetpbm(Buffer.concat([Buffer.from('P6\n1 1\n255\n'), Buffer.from([10, 20, 30])]));
  assert.deepEqual([p6.channels, ...p6.data], [3, 10, 20, 30]);
  assert.throws(() => decodeNetpbm(Buffer.from('P5\n4 4\n255\n\x00\x01')), /truncated/);

  await solid(path.join(root, 'att', 's2', '1.png'), 3, 2, 0);
  const ds = await loadImageFolder(path.join(root, 'att'), { width: 3, height: 2, channels: 1, fit: 'fill' });
  assert.deepEqual(ds.classNames, ['s1', 's2']);
  assertClose(ds.x.subarray(0, 6), [0, 0.2, 0.4, 0.6, 0.8, 1], 1e-6, 'folder P5');
});

test('loadImageFolder: an undecodable image or a BMP is an error naming the file', async () => {
  const dir = path.join(root, 'broken');
  await solid(path.join(dir, 'a', '1.png'), 4, 4, 10);
  const bad = path.join(dir, 'b', 'bad.png');
  await fs.mkdir(path.dirname(bad), { recursive: true });
  await fs.writeFile(bad, Buffer.from('this is not a png at all'));
  await rejectsWith(loadImageFolder(dir, { width: 4, height: 4, channels: 1 }), 'INVALID_DATA', 'loadImageFolder', bad, 'cannot decode');

  // a real PNG cut in half
  const whole = await fs.readFile(await solid(path.join(root, 'tmp', 'big.png'), 64, 64, [1, 2, 3]));
  await fs.writeFile(bad, whole.subarray(0, whole.length >> 1));
  await rejectsWith(loadImageFolder(dir, { width: 4, height: 4, channels: 1 }), 'INVALID_DATA', bad);

  await fs.rm(bad);
  const bmp = path.join(dir, 'b', 'x.bmp');
  await fs.writeFile(bmp, Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]));
  await rejectsWith(loadImageFolder(dir, { width: 4, height: 4, channels: 1 }), 'UNSUPPORTED', bmp, 'BMP');
});

test('loadImageFolder: one class loads but requireTwoClasses refuses it for training', async () => {
  const dir = path.join(root, 'one');
  await solid(path.join(dir, 'only', '1.png'), 4, 4, 10);
  await solid(path.join(dir, 'only', '2.png'), 4, 4, 20);
  const ds = await loadImageFolder(dir, { width: 2, height: 2, channels: 1 });
  assert.equal(ds.numClasses, 1);
  assert.throws(
    () => requireTwoClasses(ds, 'train'),
    (err: unknown) => err instanceof ContrastiveError && /^train: dataset 'folder:.*' has only one class \('only'\); at least two classes/.test(err.message),
  );
  assert.throws(() => requireTwoClasses({ ...ds, labels: new Int32Array(0), x: new Float32Array(0) }, 'validation'), /has no examples/);
});

test('loadImageFolder: empty folder, empty class folder, missing folder, minPerClass', async () => {
  const empty = path.join(root, 'empty');
  await fs.mkdir(empty);
  await rejectsWith(loadImageFolder(empty, { width: 2, height: 2, channels: 1 }), 'INVALID_DATA', empty, 'no class sub-folders');
  await fs.mkdir(path.join(empty, 'ghost'));
  await fs.writeFile(path.join(empty, 'ghost', 'readme.txt'), '');
  await rejectsWith(loadImageFolder(empty, { width: 2, height: 2, channels: 1 }), 'INVALID_DATA', path.join(empty, 'ghost'), 'holds no image');
  await rejectsWith(loadImageFolder(path.join(root, 'absent'), { width: 2, height: 2, channels: 1 }), 'NOT_FOUND', 'absent');

  const lfw = path.join(root, 'lfw');
  await solid(path.join(lfw, 'Alice', 'Alice_0001.png'), 4, 4, 1);
  await solid(path.join(lfw, 'Alice', 'Alice_0002.png'), 4, 4, 2);
  await solid(path.join(lfw, 'Bob', 'Bob_0001.png'), 4, 4, 3);
  await solid(path.join(lfw, 'Carol', 'Carol_0001.png'), 4, 4, 4);
  await solid(path.join(lfw, 'Carol', 'Carol_0002.png'), 4, 4, 5);
  const ds = await loadImageFolder(lfw, { width: 2, height: 2, channels: 1, minPerClass: 2, concurrency: 2 });
  assert.deepEqual(ds.classNames, ['Alice', 'Carol']);
  assert.deepEqual([...ds.labels], [0, 0, 1, 1]);
  await rejectsWith(loadImageFolder(lfw, { width: 2, height: 2, channels: 1, minPerClass: 3 }), 'INVALID_DATA', 'at least 3 images');
});
