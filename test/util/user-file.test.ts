/**
 * Every file a user names is read through readUserFile, so that no read is without
 * bounds: regular files only, never past a size cap. A FIFO used to hang the reader
 * for good and a link to /dev/zero grew the process without limit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkUserFile, openUserFile, readUserFile, readUserText } from '../../packages/node/src/util/user-file.js';
import { rejectsWith } from '../support/helpers.js';

let dir = '';
const posix = process.platform !== 'win32';

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-user-file-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Rejects within `ms` or fails the test (a hang is the bug being tested). */
async function settlesWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still reading after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('readUserFile reads a regular file whole, also through a symbolic link, and an empty one', async () => {
  const file = path.join(dir, 'a.txt');
  const data = Buffer.alloc(5 * 1024 * 1024 + 3, 7); // more than one read chunk
  await fs.writeFile(file, data);
  assert.ok((await readUserFile(file, { maxBytes: data.length, what: 'text file' })).equals(data));
  await fs.symlink(file, path.join(dir, 'link.txt'));
  assert.equal((await readUserFile(path.join(dir, 'link.txt'), { maxBytes: data.length, what: 'text file' })).length, data.length);
  await fs.writeFile(path.join(dir, 'empty.txt'), '');
  assert.equal((await readUserFile(path.join(dir, 'empty.txt'), { maxBytes: 10, what: 'text file' })).length, 0);
  await fs.writeFile(path.join(dir, 'u.txt'), 'héllo');
  assert.equal(await readUserText(path.join(dir, 'u.txt'), { maxBytes: 10, what: 'text file' }), 'héllo');
});

test('a FIFO is refused at once instead of blocking a thread for good', { skip: !posix && 'no FIFOs' }, async () => {
  const fifo = path.join(dir, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  await settlesWithin(rejectsWith(readUserFile(fifo, { maxBytes: 1024, what: 'image', fn: 'decodeImage' }), 'INVALID_ARGUMENT', `decodeImage: ${fifo}: is a FIFO`, 'regular files only'), 5000);
  await settlesWithin(rejectsWith(checkUserFile(fifo, { maxBytes: 1024, what: 'index file' }), 'INVALID_ARGUMENT', 'FIFO'), 5000);
});

test('a link to /dev/zero or /dev/urandom is refused without reading from it', { skip: !existsSync('/dev/zero') && 'no /dev/zero' }, async () => {
  for (const dev of ['/dev/zero', '/dev/urandom']) {
    const link = path.join(dir, `${path.basename(dev)}.png`);
    await fs.symlink(dev, link);
    await settlesWithin(rejectsWith(readUserFile(link, { maxBytes: 1 << 30, what: 'image' }), 'INVALID_ARGUMENT', link, 'character device'), 5000);
  }
});

test('a folder, a missing file and a path through a file are named', async () => {
  await rejectsWith(readUserFile(dir, { maxBytes: 10, what: 'image' }), 'INVALID_ARGUMENT', dir, 'is a folder');
  await rejectsWith(readUserFile(path.join(dir, 'nope.png'), { maxBytes: 10, what: 'image' }), 'NOT_FOUND', 'nope.png', 'no such file');
  await fs.writeFile(path.join(dir, 'f'), 'x');
  await rejectsWith(readUserFile(path.join(dir, 'f', 'g.png'), { maxBytes: 10, what: 'image' }), 'NOT_FOUND', 'g.png');
});

test('a file over the cap is refused before it is read; the cap and the size are named', async () => {
  const big = path.join(dir, 'big.csv');
  await fs.writeFile(big, Buffer.alloc(3 * 1024 * 1024));
  await rejectsWith(readUserFile(big, { maxBytes: 1024 * 1024, what: 'pairs CSV', fn: 'loadPairsCsv' }), 'INVALID_DATA', `loadPairsCsv: ${big}: is 3.0 MiB, more than the 1.0 MiB a pairs CSV may have`);
  await rejectsWith(openUserFile(big, { maxBytes: 100, what: 'x' }), 'INVALID_DATA', 'more than the 100 bytes');
});

test('an aborted signal stops the read', async () => {
  const file = path.join(dir, 'abort.bin');
  await fs.writeFile(file, Buffer.alloc(1024));
  const ac = new AbortController();
  ac.abort(new Error('request timed out'));
  await assert.rejects(readUserFile(file, { maxBytes: 2048, what: 'image', signal: ac.signal }), /request timed out/);
});

test('bad options are a clear error', async () => {
  await rejectsWith(readUserFile(path.join(dir, 'x'), { maxBytes: -1, what: 'x' }), 'INVALID_ARGUMENT', 'maxBytes');
  await rejectsWith(readUserFile('', { maxBytes: 1, what: 'image' }), 'INVALID_ARGUMENT', 'expected a file path (image)');
});
