// Bounded memory: `contrastive embed` and `contrastive index build` of 60,000 images stream -
// batches through the network, JSON lines through the writer, rows into the index - so they
// finish under a 96 MB heap cap (holding the ~50 MB of JSON text at once, as the embeddings
// writer did before, aborted with an out-of-memory error).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../support/cli.js';
import { writeIdxSet } from '../support/data.js';
import { runTraining } from '../../packages/cli/src/jobs/index.js';

let root = '';
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-memory-'));
  await writeIdxSet(path.join(root, 'big'), 60_000, 9);
  await writeIdxSet(path.join(root, 'small'), 200, 9);
  const run = await runTraining({ report: false, dataset: `idx:${path.join(root, 'small')}`, hidden: [16], embeddingDim: 64, out: path.join(root, 'run'), backend: 'wasm', train: { epochs: 1, pairsPerEpoch: 200, batchSize: 40 } });
  run.network.dispose();
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('embed 60,000 images to JSON lines with the heap capped at 96 MB', async () => {
  const out = path.join(root, 'embeddings.jsonl');
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=96', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'packages/cli/src/cli/main.ts'), 'embed', '--model', path.join(root, 'run'), '--dataset', `idx:${path.join(root, 'big')}`, '--out', out],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-500)}`);
  let rows = 0;
  for await (const line of createInterface({ input: createReadStream(out) })) {
    if (rows === 0 || rows === 59_999) {
      const row = JSON.parse(line) as { index: number; embedding: number[] };
      assert.equal(row.index, rows);
      assert.equal(row.embedding.length, 64);
    }
    rows++;
  }
  assert.equal(rows, 60_000);
});

test('index build of 60,000 images with the heap capped at 96 MB', async () => {
  const out = path.join(root, 'index.sqlite');
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=96', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'packages/cli/src/cli/main.ts'), 'index', 'build', '--model', path.join(root, 'run'), '--dataset', `idx:${path.join(root, 'big')}`, '--split', 'all', '--out', out, '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-500)}`);
  const { EmbeddingIndex } = await import('../../packages/index/src/index.js');
  const index = await EmbeddingIndex.open(out);
  try {
    assert.equal((await index.stats()).items, 60_000);
  } finally {
    await index.close();
  }
});
