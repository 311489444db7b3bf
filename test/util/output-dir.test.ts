/** Output locations are checked before any work (issue 8 items 4 and 5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { prepareOutputDir, prepareOutputFile, refuseExistingOutput } from '../../packages/node/src/util/output-dir.js';

const fails = (...needles: string[]) => (e: unknown): boolean => {
  assert.ok(e instanceof ContrastiveError, String(e));
  for (const n of needles) assert.ok(e.message.includes(n), `'${e.message}' names '${n}'`);
  return true;
};

test('prepareOutputDir checks missing levels without creating them, and refuses a path under a regular file', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  const deep = path.join(tmp, 'a', 'b', 'run');
  assert.equal(await prepareOutputDir(deep), deep);
  assert.deepEqual(await fs.readdir(tmp), [], 'nothing created, no probe left behind (a failing command leaves no empty folder)');
  await fs.mkdir(path.join(tmp, 'a'));
  await fs.writeFile(path.join(tmp, 'notes.txt'), 'x');
  await assert.rejects(prepareOutputDir(path.join(tmp, 'notes.txt', 'run'), '--out notes.txt/run'), fails('--out notes.txt/run', 'notes.txt is a file'));
  await assert.rejects(prepareOutputDir(path.join(tmp, 'notes.txt')), fails('is a file'));
  await assert.rejects(prepareOutputFile(path.join(tmp, 'a')), fails('is a folder'));
});

test('prepareOutputDir fails at once where nothing can be created (/proc), instead of spinning in mkdir', { skip: !existsSync('/proc/self') && 'no /proc' }, async () => {
  await assert.rejects(prepareOutputDir('/proc/nope/run'), fails('cannot create files in /proc'));
});

test('refuseExistingOutput: an out that holds files needs --resume or --force', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  await refuseExistingOutput(path.join(tmp, 'missing'), 'missing', { fn: 'train' });
  await refuseExistingOutput(tmp, 'empty', { fn: 'train' });
  await fs.writeFile(path.join(tmp, 'metrics.json'), '{}');
  await assert.rejects(refuseExistingOutput(tmp, 'runs/x', { fn: 'train' }), fails('--out runs/x already holds files (metrics.json)', '--resume', '--force'));
  await refuseExistingOutput(tmp, 'runs/x', { fn: 'train', resume: true });
  await refuseExistingOutput(tmp, 'runs/x', { fn: 'train', force: true });
});
