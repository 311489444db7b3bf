/** One undecodable image: an error naming it by default, skipped and listed with skipBadImages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { loadImageFolder } from '../../packages/node/src/data/image-folder.js';
import { loadDataset } from '../../packages/node/src/data/load.js';

async function folderWithOneBadImage(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skip-bad-'));
  for (const [cls, grey] of [['a', 40], ['b', 200]] as const) {
    await fs.mkdir(path.join(dir, cls));
    for (let i = 0; i < 3; i++) {
      await sharp(Buffer.alloc(16, grey + i), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(path.join(dir, cls, `${i}.png`));
    }
  }
  await fs.writeFile(path.join(dir, 'b', 'broken.png'), 'not a png');
  return dir;
}

test('a folder with one undecodable image fails by default, naming the file', async () => {
  const dir = await folderWithOneBadImage();
  await assert.rejects(loadImageFolder(dir, { width: 4, height: 4, channels: 1 }), (e: unknown) => e instanceof ContrastiveError && e.message.includes(path.join(dir, 'b', 'broken.png')));
});

test('skipBadImages leaves the bad image out, lists it, and keeps labels and sources aligned', async () => {
  const dir = await folderWithOneBadImage();
  const d = await loadDataset(`folder:${dir}`, { width: 4, height: 4, channels: 1, skipBadImages: true });
  assert.ok(!('a' in d), 'a labelled dataset');
  const data = d as Awaited<ReturnType<typeof loadImageFolder>>;
  assert.equal(data.labels.length, 6);
  assert.deepEqual([...data.labels], [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(data.skipped?.map((s) => s.file), [path.join(dir, 'b', 'broken.png')]);
  assert.ok(!data.sources?.some((s) => s.endsWith('broken.png')));
  // row 3 is b/0.png (grey 200): sources and pixels stay aligned after the skip
  assert.equal(data.sources?.[3], path.join(dir, 'b', '0.png'));
  assert.ok(Math.abs(data.x[3 * 16] - 200 / 255) < 1e-6);
});
