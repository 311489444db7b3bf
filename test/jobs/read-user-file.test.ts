// readUserFile, the bounded reader the server uses for indexed pictures and bundle files:
// regular files only (a FIFO does not block, /dev/zero does not grow the process), a size cap,
// and each refusal names the file and what it is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readUserFile } from '../../packages/cli/src/jobs/read-user-file.js';
import { ContrastiveError } from '../../packages/contrastive/src/errors.js';

let dir = '';

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'read-user-file-'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const refused = (code: string, pattern: RegExp) => (err: unknown) => err instanceof ContrastiveError && err.code === code && pattern.test(err.message);

test('a regular file is read whole, up to and including the cap', async () => {
  const file = path.join(dir, 'a.bin');
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  await fs.writeFile(file, bytes);
  assert.deepEqual(await readUserFile(file, { maxBytes: 1000 }), bytes);
  await fs.symlink(file, path.join(dir, 'link.bin'));
  assert.deepEqual(await readUserFile(path.join(dir, 'link.bin'), { maxBytes: 5000 }), bytes, 'a symlink to a regular file is fine');
  await fs.writeFile(path.join(dir, 'empty.bin'), '');
  assert.equal((await readUserFile(path.join(dir, 'empty.bin'), { maxBytes: 10 })).length, 0);
});

test('over the cap, a FIFO, a device, a folder or a missing file are refused at once, naming the file', async () => {
  const big = path.join(dir, 'big.bin');
  await fs.writeFile(big, Buffer.alloc(1001));
  await assert.rejects(readUserFile(big, { maxBytes: 1000, what: 'picture' }), refused('INVALID_DATA', /^picture .*big\.bin is 1001 bytes, over the 1000-byte limit$/));
  const fifo = path.join(dir, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const t0 = performance.now();
  await assert.rejects(readUserFile(fifo, { maxBytes: 1000 }), refused('INVALID_DATA', /pipe is a FIFO \(named pipe\); only regular files are read/));
  await fs.symlink('/dev/zero', path.join(dir, 'zero.png'));
  await assert.rejects(readUserFile(path.join(dir, 'zero.png'), { maxBytes: 1 << 30 }), refused('INVALID_DATA', /zero\.png is a character device/));
  await assert.rejects(readUserFile(dir, { maxBytes: 1000 }), refused('INVALID_DATA', /is a directory/));
  assert.ok(performance.now() - t0 < 2000, 'nothing waited for a writer or read a device');
  await assert.rejects(readUserFile(path.join(dir, 'nope.png'), { maxBytes: 1000 }), refused('NOT_FOUND', /nope\.png does not exist/));
});
