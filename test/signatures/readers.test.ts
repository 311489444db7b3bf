/**
 * Online-signature readers on small hand-written files of each format
 * (test/fixtures/signatures): SVC2004 (Task 1 and 2), CSV, JSON, and their bad
 * files (truncated, wrong point count, non-numeric, empty signature).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { readSignatureFile, parseSvc2004, formatSvc2004, parseTrajectoryCsv, parseTrajectoryJson, imageFormatOf } from '../../packages/signatures/src/index.js';

const DIR = fileURLToPath(new URL('../fixtures/signatures/', import.meta.url));
const at = (...p: string[]): string => path.join(DIR, ...p);

/** Rejects with an INVALID_DATA ContrastiveError whose message names the file and matches `pattern`. */
async function rejectsData(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readSignatureFile(file), (err: unknown) => {
    assert.ok(err instanceof ContrastiveError, `ContrastiveError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_DATA');
    assert.ok(err.message.includes(file), `names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('SVC2004 Task 2: every field of every point, pen-up point kept with pressure 0', async () => {
  const tr = await readSignatureFile(at('svc2004', 'U1S1.TXT'));
  assert.deepEqual(Array.from(tr.x), [2933, 2935, 2940, 2951, 2963, 2975]);
  assert.deepEqual(Array.from(tr.y), [6089, 6092, 6101, 6110, 6115, 6116]);
  assert.deepEqual(Array.from(tr.t), [2340210, 2340220, 2340230, 2340240, 2340250, 2340260]);
  assert.deepEqual(Array.from(tr.pressure), [29, 193, 350, 412, 0, 388]);
  assert.deepEqual(Array.from(tr.penDown), [1, 1, 1, 1, 0, 1]);
});

test('SVC2004 Task 1 (x y t button): pressure 1 with the pen down, 0 up', async () => {
  const tr = await readSignatureFile(at('task1.txt'));
  assert.deepEqual(Array.from(tr.pressure), [1, 0, 1]);
  assert.deepEqual(Array.from(tr.penDown), [1, 0, 1]);
});

test('SVC2004 bad files: truncated, wrong point count, non-numeric, empty signature, empty file, short line, pen never down', async () => {
  await rejectsData(at('bad', 'truncated.txt'), /truncated: the header says 5 points but the file has 3/);
  await rejectsData(at('bad', 'wrong-count.txt'), /wrong point count: the header says 2 points but the file has 3/);
  await rejectsData(at('bad', 'non-numeric.txt'), /line 3: y 'abc' is not a number/);
  await rejectsData(at('bad', 'empty-signature.txt'), /empty signature/);
  await rejectsData(at('bad', 'empty-file.txt'), /empty file/);
  await rejectsData(at('bad', 'short-line.txt'), /line 2: expected 7 fields .* got 6/);
  await rejectsData(at('bad', 'pen-never-down.txt'), /empty signature \(the pen never touches/);
});

test('SVC2004: time going back, a button other than 0/1 and a non-integer count are named', () => {
  assert.throws(() => parseSvc2004('2\n1 1 20 1\n2 2 10 1\n', 'f.txt'), /f\.txt: line 3: time 10 is earlier/);
  assert.throws(() => parseSvc2004('1\n1 1 0 2\n', 'f.txt'), /line 2: button-status must be 0 or 1, got 2/);
  assert.throws(() => parseSvc2004('2.5\n1 1 0 1\n', 'f.txt'), /line 1: expected the number of points/);
});

test('formatSvc2004 round-trips through parseSvc2004', async () => {
  const tr = await readSignatureFile(at('svc2004', 'U1S1.TXT'));
  const back = parseSvc2004(formatSvc2004(tr), 'round-trip');
  for (const key of ['x', 'y', 't', 'pressure', 'penDown'] as const) assert.deepEqual(Array.from(back[key]), Array.from(tr[key]), key);
});

test('CSV: all columns; x,y only gets 10 ms steps, pressure 1, pen down', async () => {
  const tr = await readSignatureFile(at('simple', 'good.csv'));
  assert.deepEqual(Array.from(tr.x), [10, 12, 15, 18, 20]);
  assert.deepEqual(Array.from(tr.t), [0, 10, 20, 30, 40]);
  assert.deepEqual(Array.from(tr.pressure), [0.5, 0.6, 0.7, 0, 0.4]);
  assert.deepEqual(Array.from(tr.penDown), [1, 1, 1, 0, 1]);
  const xy = await readSignatureFile(at('simple', 'xy-only.csv'));
  assert.deepEqual(Array.from(xy.t), [0, 10, 20]);
  assert.deepEqual(Array.from(xy.pressure), [1, 1, 1]);
  assert.deepEqual(Array.from(xy.penDown), [1, 1, 1]);
});

test('CSV bad files: truncated row, non-numeric, header only, no y column, unknown column', async () => {
  await rejectsData(at('bad', 'truncated.csv'), /line 4: expected 5 fields like the header, got 2/);
  await rejectsData(at('bad', 'non-numeric.csv'), /line 3: y 'twelve' is not a number/);
  await rejectsData(at('bad', 'empty-signature.csv'), /empty signature/);
  await rejectsData(at('bad', 'no-y.csv'), /needs columns x and y/);
  assert.throws(() => parseTrajectoryCsv('x,y,speed\n1,2,3\n', 'f.csv'), /f\.csv: line 1: unknown column 'speed'/);
});

test('JSON: objects and arrays give the same trajectory as the CSV', async () => {
  const csv = await readSignatureFile(at('simple', 'good.csv'));
  for (const name of ['good.json', 'arrays.json']) {
    const tr = await readSignatureFile(at('simple', name));
    for (const key of ['x', 'y', 't', 'pressure', 'penDown'] as const) assert.deepEqual(Array.from(tr[key]), Array.from(csv[key]), `${name} ${key}`);
  }
});

test('JSON bad files: truncated, non-numeric, empty signature, wrong shape', async () => {
  await rejectsData(at('bad', 'truncated.json'), /not valid JSON/);
  await rejectsData(at('bad', 'non-numeric.json'), /point 1: x 'three' is not a number/);
  await rejectsData(at('bad', 'empty-signature.json'), /empty signature/);
  assert.throws(() => parseTrajectoryJson('{"x": [1, 2]}', 'f.json'), /f\.json: expected an array of points/);
  assert.throws(() => parseTrajectoryJson('[[1]]', 'f.json'), /point 0: expected \[x, y, t\?, pressure\?, pen\?\]/);
});

test('an image given as an online signature says it is an image, whatever its extension', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'signature-image-'));
  try {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const jpeg = await sharp(png).jpeg().toBuffer();
    for (const [name, bytes, format] of [['scan.png', png, 'PNG'], ['scan.txt', png, 'PNG'], ['scan.jpg', jpeg, 'JPEG']] as const) {
      const file = path.join(dir, name);
      await fs.writeFile(file, bytes);
      await assert.rejects(readSignatureFile(file), (err: unknown) => err instanceof ContrastiveError && err.code === 'INVALID_DATA' && err.message.startsWith(`${file}: a ${format} image, not an online signature`) && !/number of points/.test(err.message));
    }
    assert.equal(imageFormatOf('3\n1 2 3 0 1 0 0\n'), null, 'a trajectory is no image');
    assert.equal(imageFormatOf('GIF89a...'), 'GIF');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a missing file is NOT_FOUND naming it', async () => {
  await assert.rejects(readSignatureFile(at('nope.txt')), (err: unknown) => err instanceof ContrastiveError && err.code === 'NOT_FOUND' && err.message.includes('nope.txt'));
});
