// What a crash between writeDirAtomic's two renames leaves, and how readers repair it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { recoverDirAtomic } from '../../packages/contrastive/src/util/atomic.js';

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('recoverDirAtomic: the old copy moved aside by a killed writer is put back; its half-filled temporary is removed', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-recover-'));
  try {
    const pid = deadPid();
    const aside = path.join(root, `.tmp-checkpoint-${pid}-abc123-old`);
    const half = path.join(root, `.tmp-checkpoint-${pid}-abc123`);
    await fs.mkdir(aside);
    await fs.writeFile(path.join(aside, 'state.json'), '{"old":true}');
    await fs.mkdir(half);
    await fs.writeFile(path.join(half, 'state.json'), '{"ne');
    await recoverDirAtomic(path.join(root, 'checkpoint'));
    assert.equal(await fs.readFile(path.join(root, 'checkpoint', 'state.json'), 'utf8'), '{"old":true}');
    assert.deepEqual((await fs.readdir(root)).sort(), ['checkpoint']);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

test('recoverDirAtomic: leaves a complete directory, other names and live writers alone', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-recover-'));
  try {
    await fs.mkdir(path.join(root, 'model'));
    await fs.writeFile(path.join(root, 'model', 'manifest.json'), '{}');
    const live = path.join(root, `.tmp-model-${process.pid}-zz9`); // this process is writing it now
    await fs.mkdir(live);
    const other = path.join(root, `.tmp-other-${deadPid()}-q1`); // belongs to another target
    await fs.mkdir(other);
    const stale = path.join(root, `.tmp-model-${deadPid()}-q2-old`); // the target exists: only garbage
    await fs.mkdir(stale);
    await recoverDirAtomic(path.join(root, 'model'));
    const left = (await fs.readdir(root)).sort();
    assert.deepEqual(left, [path.basename(live), path.basename(other), 'model'].sort());
    assert.equal(await fs.readFile(path.join(root, 'model', 'manifest.json'), 'utf8'), '{}');
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
