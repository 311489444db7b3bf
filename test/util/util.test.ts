import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { writeFileAtomic, writeDirAtomic } from '../../packages/contrastive/src/util/atomic.js';
import { VERSION } from '../../packages/contrastive/src/version.js';

test('Rng: same seed same stream, different seeds differ, state round-trips', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.nextUint32()));
  const state = a.getState();
  const resumed = Rng.fromState(state);
  assert.deepEqual(Array.from({ length: 5 }, () => resumed.next()), Array.from({ length: 5 }, () => a.next()));
});

test('Rng: uniform floats in [0,1), ints in range, shuffle is a permutation', () => {
  const r = new Rng(1);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  const arr = Array.from({ length: 50 }, (_, i) => i);
  r.shuffle(arr);
  assert.deepEqual([...arr].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(arr, Array.from({ length: 50 }, (_, i) => i));
});

test('writeFileAtomic replaces content and leaves no temporary files', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-'));
  const file = path.join(dir, 'a.json');
  await writeFileAtomic(file, 'one');
  await writeFileAtomic(file, 'two');
  assert.equal(readFileSync(file, 'utf8'), 'two');
  assert.deepEqual(await fs.readdir(dir), ['a.json']);
});

test('writeDirAtomic keeps the old directory when filling fails', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-'));
  const dir = path.join(root, 'bundle');
  await writeDirAtomic(dir, async (tmp) => fs.writeFile(path.join(tmp, 'x'), 'old'));
  await assert.rejects(
    writeDirAtomic(dir, async (tmp) => {
      await fs.writeFile(path.join(tmp, 'x'), 'half');
      throw new Error('crash');
    }),
  );
  assert.equal(readFileSync(path.join(dir, 'x'), 'utf8'), 'old');
  assert.deepEqual(await fs.readdir(root), ['bundle']);
  await writeDirAtomic(dir, async (tmp) => fs.writeFile(path.join(tmp, 'x'), 'new'));
  assert.equal(readFileSync(path.join(dir, 'x'), 'utf8'), 'new');
  assert.deepEqual(await fs.readdir(root), ['bundle']);
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});
