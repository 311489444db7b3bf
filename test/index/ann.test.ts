/** The HNSW graph beside a SQLite index: built, searched, kept current by add/remove, stale when it is not. */
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EmbeddingIndex, type IndexEntry } from '../../packages/index/src/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { rejectsWith } from '../support/helpers.js';
import type { DistanceName } from '../../packages/contrastive/src/distances/names.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-ann-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (): string => path.join(dir, `index-${n++}.db`);
const MODEL = { hash: 'b'.repeat(64), description: 'ann test model' };
const DIM = 16;

/** `count` vectors around 20 centres (as embeddings of classes lie), labelled by centre. */
function clustered(count: number, seed: number, prefix = 'v'): IndexEntry[] {
  const rng = new Rng(seed);
  const centres = Array.from({ length: 20 }, () => Array.from({ length: DIM }, () => rng.normal()));
  return Array.from({ length: count }, (_, i) => {
    const c = rng.int(20);
    return { id: `${prefix}${i}`, label: `c${c}`, vector: centres[c].map((x) => x + 0.4 * rng.normal()) };
  });
}

async function build(file: string, items: IndexEntry[], distance: DistanceName = 'euclidean', ann = true): Promise<void> {
  await EmbeddingIndex.build(file, { dim: DIM, distance, model: MODEL, ann }, (ix) => ix.add(items));
}

const queriesOf = (items: IndexEntry[], count: number): Float32Array => {
  const rng = new Rng(99);
  const q = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) for (let d = 0; d < DIM; d++) q[i * DIM + d] = Number(items[i * 7].vector[d]) + 0.2 * rng.normal();
  return q;
};

for (const distance of ['euclidean', 'cosine'] as const) {
  test(`ann (${distance}): the graph answers as the exact search does (recall@10 >= 0.95, same distances); auto stays exact below the threshold`, async () => {
    const file = newFile();
    const items = clustered(2000, 1);
    await build(file, items, distance);
    assert.ok(existsSync(`${file}.ann`), 'the manifest is written beside the index');
    const index = await EmbeddingIndex.open(file, { model: MODEL });
    try {
      const nq = 50;
      const q = queriesOf(items, nq);
      const exact = await index.searchDetailed(q, nq, { k: 10, mode: 'exact' });
      const auto = await index.searchDetailed(q, nq, { k: 10 });
      assert.equal(auto.mode, 'exact');
      assert.match(auto.reason, /fewer than 100000 items/);
      const approx = await index.searchDetailed(q, nq, { k: 10, exactBelow: 1000 });
      assert.equal(approx.mode, 'approximate');
      assert.equal(approx.efSearch, 64);
      assert.match(approx.reason, /HNSW graph/);
      let found = 0;
      for (let i = 0; i < nq; i++) {
        const want = new Map(exact.hits[i].map((h) => [h.id, h.distance]));
        assert.equal(approx.hits[i].length, 10);
        for (const h of approx.hits[i]) {
          const d = want.get(h.id);
          if (d === undefined) continue;
          found++;
          assert.ok(Math.abs(d - h.distance) < 1e-4 * Math.max(1, d), `${h.id}: approximate distance ${h.distance}, exact ${d}`);
        }
        assert.deepEqual(Object.keys(approx.hits[i][0]).sort(), ['distance', 'id', 'label', 'source']);
      }
      assert.ok(found / (nq * 10) >= 0.95, `recall@10 ${found / (nq * 10)}`);
      const stats = await index.stats();
      assert.equal(stats.approximateIndex, true);
      assert.equal(stats.ann?.items, 2000);
      assert.equal(stats.ann?.current, true);
    } finally {
      await index.close();
    }
  });
}

test('ann: add and remove keep the graph current; a write that bypassed it makes it stale, named, and refused until rebuilt', async () => {
  const file = newFile();
  const items = clustered(2000, 2);
  await build(file, items);
  const index = await EmbeddingIndex.open(file);
  try {
    const extra = clustered(5, 3, 'new');
    await index.add(extra);
    const s1 = await index.stats();
    assert.equal(s1.ann?.items, 2005);
    assert.equal(s1.ann?.current, true);
    const hit = await index.search(extra[2].vector, { k: 1, mode: 'approximate' });
    assert.equal(hit[0].id, 'new2');
    assert.ok(hit[0].distance < 1e-6);
    await index.remove(['new2', 'v10']);
    assert.equal((await index.stats()).ann?.items, 2003);
    const after = await index.search(extra[2].vector, { k: 5, mode: 'approximate' });
    assert.ok(!after.some((h) => h.id === 'new2'));
    const near10 = await index.search(items[10].vector, { k: 3, mode: 'approximate' });
    assert.ok(!near10.some((h) => h.id === 'v10'));
    // only the current graph file stays beside the index
    const graphs = (await fs.readdir(dir)).filter((f) => f.startsWith(`${path.basename(file)}.ann-`));
    assert.equal(graphs.length, 1, graphs.join(', '));

    // a writer that did not update the graph (an older version, or one killed between the two writes)
    const manifest = await fs.readFile(`${file}.ann`);
    await index.dropApproximateIndex();
    await index.add(clustered(1, 4, 'bypass'));
    await fs.writeFile(`${file}.ann`, manifest);
    await rejectsWith(index.search(items[0].vector, { mode: 'approximate' }), 'STATE', 'stale', 'revision', `contrastive index ann --index ${file} --force`);
    await rejectsWith(index.search(items[0].vector, { exactBelow: 0 }), 'STATE', 'stale');
    assert.equal((await index.stats()).ann?.current, false);
    assert.equal((await index.stats()).approximateIndex, false);
    // exact still answers, and writes leave a stale graph stale
    assert.equal((await index.search(items[0].vector, { mode: 'exact', k: 1 }))[0].id, 'v0');
    await index.createApproximateIndex({ m: 8, efConstruction: 32 });
    const rebuilt = await index.stats();
    assert.deepEqual([rebuilt.ann?.current, rebuilt.ann?.items, rebuilt.ann?.m, rebuilt.ann?.efConstruction], [true, 2004, 8, 32]);
    assert.equal((await index.search(items[0].vector, { mode: 'approximate', k: 1 }))[0].id, 'v0');
  } finally {
    await index.close();
  }
});

test('ann: rebuilding the index drops the old graph; approximate without a graph, or with a label, is a clear error', async () => {
  const file = newFile();
  const items = clustered(300, 5);
  await build(file, items);
  assert.ok(existsSync(`${file}.ann`));
  await EmbeddingIndex.build(file, { dim: DIM, model: MODEL }, (ix) => ix.add(items.slice(0, 100)));
  assert.ok(!existsSync(`${file}.ann`), 'a graph of the replaced index is removed');
  assert.deepEqual((await fs.readdir(dir)).filter((f) => f.startsWith(`${path.basename(file)}.ann`)), []);
  const index = await EmbeddingIndex.open(file);
  try {
    await rejectsWith(index.search(items[0].vector, { mode: 'approximate' }), 'UNSUPPORTED', 'contrastive index ann');
    const auto = await index.searchDetailed(Float32Array.from(items[0].vector), 1, { k: 1 });
    assert.deepEqual([auto.mode, auto.reason], ['exact', 'exact: in memory (auto: no HNSW graph)']);
    await index.createApproximateIndex();
    await rejectsWith(index.search(items[0].vector, { mode: 'approximate', label: 'c1' }), 'UNSUPPORTED', 'label');
    const labelled = await index.searchDetailed(Float32Array.from(items[0].vector), 1, { k: 3, label: 'c1', exactBelow: 0 });
    assert.equal(labelled.mode, 'exact');
    assert.ok(labelled.hits[0].every((h) => h.label === 'c1'));
    await rejectsWith(index.createApproximateIndex({ m: 1 }), 'INVALID_ARGUMENT', 'm must be');
    // a damaged manifest is named
    await fs.writeFile(`${file}.ann`, '{ not json');
    await rejectsWith(index.search(items[0].vector, { mode: 'approximate' }), 'INVALID_DATA', `${file}.ann`, 'damaged');
  } finally {
    await index.close();
  }
});
