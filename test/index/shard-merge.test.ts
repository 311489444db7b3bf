/**
 * Sharded embedding: `index build --shard i/n` on each shard, then `index merge`,
 * gives the index one build gives; `embed --shard i/n` files concatenated give the
 * one-shot rows; merge refuses shards that do not belong together.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { mergeIndexes } from '../../packages/index/src/merge.js';
import { buildIndexFromDataset } from '../../packages/cli/src/jobs/index-build.js';
import { embedInputs } from '../../packages/cli/src/jobs/embed.js';
import { openBundle } from '../../packages/cli/src/jobs/bundle-split.js';
import { parseShard, shardRange } from '../../packages/cli/src/jobs/shard.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { assertClose } from '../support/helpers.js';
import { cli, assertOneLineError } from '../support/cli.js';

let tmp: string;
let bundle: string;
let data: string;
const N = 3 * 11;

before(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'shard-merge-'));
  data = path.join(tmp, 'gallery');
  const rng = new Rng(2);
  for (let c = 0; c < 3; c++) {
    await fs.mkdir(path.join(data, `class${c}`), { recursive: true });
    for (let i = 0; i < N / 3; i++) {
      const px = Buffer.from(Array.from({ length: 64 }, () => Math.max(0, Math.min(255, Math.round(70 * c + 30 + 30 * rng.normal())))));
      await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path.join(data, `class${c}`, `${i}.png`));
    }
  }
  bundle = path.join(tmp, 'bundle');
  await saveBundle(bundle, new SiameseNetwork(mlpEncoder({ inputShape: [8, 8, 1], hidden: [8], embeddingDim: 4, seed: 1 }), { normalize: true }));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function contents(target: string): Promise<{ ids: string[]; labels: (string | null)[]; vectors: Float32Array }> {
  const index = await EmbeddingIndex.open(target);
  try {
    const all = await index.all();
    return { ids: all.items.map((i) => i.id), labels: all.items.map((i) => i.label), vectors: all.vectors };
  } finally {
    await index.close();
  }
}

test('shards are contiguous near-equal blocks that cover every row once', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['5/5', '-1/3', '1', 'a/b', '0/0']) assert.throws(() => parseShard(bad), (e: unknown) => e instanceof ContrastiveError && /i\/n|0 <= i < n/.test(e.message), bad);
  for (const [rows, n] of [[33, 4], [5, 8], [1000, 7]]) {
    let next = 0;
    for (let i = 0; i < n; i++) {
      const { start, end } = shardRange(rows, { index: i, count: n });
      assert.equal(start, next);
      assert.ok(end - start === Math.floor(rows / n) || end - start === Math.ceil(rows / n));
      next = end;
    }
    assert.equal(next, rows);
  }
});

test('index build --shard i/n on each shard, then index merge, gives the one-shot index', async () => {
  const dataset = `folder:${data}`;
  const one = path.join(tmp, 'one.db');
  await buildIndexFromDataset({ model: bundle, dataset, split: 'all', out: one, engine: 'tfjs' });
  const shards: string[] = [];
  for (let i = 0; i < 4; i++) {
    const out = path.join(tmp, `shard-${i}.db`);
    const r = await buildIndexFromDataset({ model: bundle, dataset, split: 'all', out, engine: 'tfjs', shard: { index: i, count: 4 }, batchSize: 5 });
    assert.equal(r.items, shardRange(N, { index: i, count: 4 }).end - shardRange(N, { index: i, count: 4 }).start);
    shards.push(out);
  }
  const merged = path.join(tmp, 'merged.db');
  const r = await mergeIndexes(merged, shards);
  assert.equal(r.items, N);
  assert.deepEqual(r.inputs.map((i) => i.items), [8, 8, 8, 9]);
  const want = await contents(one);
  const got = await contents(merged);
  assert.deepEqual(got.ids, want.ids);
  assert.deepEqual(got.labels, want.labels);
  assertClose(got.vectors, want.vectors, 1e-6, 'vectors');
  // the same search answers
  const q = want.vectors.subarray(0, 4);
  const a = await EmbeddingIndex.open(one);
  const b = await EmbeddingIndex.open(merged);
  assert.deepEqual((await b.search(q, { k: 5 })).map((h) => h.id), (await a.search(q, { k: 5 })).map((h) => h.id));
  await a.close();
  await b.close();
});

test('index merge refuses shards that do not belong together, and never writes over an input or an index', async () => {
  const s0 = path.join(tmp, 'shard-0.db');
  const s1 = path.join(tmp, 'shard-1.db');
  const is = (code: string, re: RegExp) => (e: unknown) => e instanceof ContrastiveError && e.code === code && re.test(e.message);
  await assert.rejects(mergeIndexes(path.join(tmp, 'x.db'), [s0, s0]), is('INVALID_ARGUMENT', /named twice/));
  const copy = path.join(tmp, 'copy-of-0.db');
  await fs.copyFile(s0, copy);
  await assert.rejects(mergeIndexes(path.join(tmp, 'x.db'), [s0, copy]), is('STATE', /is in both .*shard-0\.db and .*copy-of-0\.db/));
  const other = path.join(tmp, 'other-model.db');
  await EmbeddingIndex.build(other, { dim: 4, model: { hash: 'another model' } }, (ix) => ix.add([{ id: 'z', vector: [1, 0, 0, 0] }]));
  await assert.rejects(mergeIndexes(path.join(tmp, 'x.db'), [s0, other]), is('STATE', /another model.*not comparable/));
  const wide = path.join(tmp, 'wide.db');
  const model = (await EmbeddingIndex.open(s0).then(async (ix) => [ix.model, await ix.close()]))[0] as { hash: string };
  await EmbeddingIndex.build(wide, { dim: 5, model }, (ix) => ix.add([{ id: 'w', vector: [1, 0, 0, 0, 0] }]));
  await assert.rejects(mergeIndexes(path.join(tmp, 'x.db'), [s0, wide]), is('STATE', /dimension 5, not 4/));
  // nothing was left at the output by the failed merges
  await assert.rejects(fs.stat(path.join(tmp, 'x.db')));
  // an input is never the output, even with force; an existing index only with force
  await assert.rejects(mergeIndexes(s1, [s0, s1], { force: true }), /is input 2/);
  const merged = path.join(tmp, 'merged.db');
  await assert.rejects(mergeIndexes(merged, [s0, s1]), is('STATE', /already holds an index of 33 items; pass \{ force: true \}/));
  const r = await mergeIndexes(merged, [s0, s1], { force: true });
  assert.equal(r.items, 16);
  // a file that is not an index is refused, naming it, and left as it was
  const notes = path.join(tmp, 'notes.txt');
  await fs.writeFile(notes, 'not an index');
  // the library words the option ({ force: true }), never the CLI's flag; the CLI prints its flag
  await assert.rejects(mergeIndexes(notes, [s0, s1]), (e: unknown) => e instanceof ContrastiveError && /the output .*notes\.txt already exists .*pass \{ force: true \} to replace it, or choose another output$/.test(e.message) && !/--/.test(e.message));
  assert.equal(await fs.readFile(notes, 'utf8'), 'not an index');
  const printed = cli('index', 'merge', notes, s0, s1);
  assertOneLineError(printed, 'notes.txt already exists', 'pass --force to replace it');
  assert.doesNotMatch(printed.stderr, /\{ force/);
});

test('embed --shard i/n: the shards\' rows, in order, are the one-shot rows', async () => {
  const open = await openBundle(bundle);
  const input = { dataset: `folder:${data}`, split: 'all' as const };
  const whole = await embedInputs(open, input);
  const parts = [];
  for (let i = 0; i < 3; i++) parts.push(await embedInputs(open, { ...input, shard: { index: i, count: 3 } }));
  assert.deepEqual(parts.flatMap((p) => p.sources), whole.sources);
  assert.deepEqual(parts.flatMap((p) => [...p.labels!]), [...whole.labels!]);
  const joined = new Float32Array(whole.embeddings.length);
  let at = 0;
  for (const p of parts) {
    joined.set(p.embeddings, at);
    at += p.embeddings.length;
  }
  assertClose(joined, whole.embeddings, 1e-6, 'embeddings');
  open.network.dispose();
});
