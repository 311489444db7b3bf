/**
 * One test suite for every index store: run against the SQLite file store
 * (sqlite.test.ts) and against pgvector over TCP (pgvector.test.ts). Each
 * test gets a fresh target from `newTarget`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddingIndex, type IndexEntry, type SearchHit } from '../../packages/index/src/index.js';
import type { DistanceName } from '../../packages/contrastive/src/distances/names.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { rejectsWith } from '../support/helpers.js';

export const MODEL = { hash: 'a'.repeat(64), description: 'test model' };
export const DIM = 8;

/** `count` entries with seeded gaussian vectors, labels L0..L{labels-1} in turn. */
export function entries(count: number, seed: number, labels = 4, prefix = 'item'): IndexEntry[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    label: `L${i % labels}`,
    source: `data/${prefix}/${i}.png`,
    vector: Array.from({ length: DIM }, () => rng.normal()),
  }));
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>, d: DistanceName): number {
  let s = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let c = 0; c < a.length; c++) {
    const f = Math.fround(a[c]) - Math.fround(b[c]);
    s += f * f;
    dot += Math.fround(a[c]) * Math.fround(b[c]);
    na += Math.fround(a[c]) ** 2;
    nb += Math.fround(b[c]) ** 2;
  }
  return d === 'euclidean' ? Math.sqrt(s) : d === 'squaredEuclidean' ? s : 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
}

/** The k nearest by brute force (ties by position in `items`). */
export function bruteForce(items: readonly IndexEntry[], query: ArrayLike<number>, k: number, d: DistanceName = 'euclidean', label?: string): { id: string; distance: number }[] {
  return items
    .map((e, i) => ({ id: e.id, distance: distance(query, e.vector, d), i, label: e.label }))
    .filter((e) => label === undefined || e.label === label)
    .sort((a, b) => a.distance - b.distance || a.i - b.i)
    .slice(0, k)
    .map(({ id, distance: dd }) => ({ id, distance: dd }));
}

function assertSameHits(got: SearchHit[], want: { id: string; distance: number }[], tol: number, what: string): void {
  assert.deepEqual(
    got.map((h) => h.id),
    want.map((h) => h.id),
    what,
  );
  got.forEach((h, i) => assert.ok(Math.abs(h.distance - want[i].distance) <= tol * (1 + want[i].distance), `${what}: distance ${h.distance} vs ${want[i].distance}`));
}

/** Builds an index at `target` from `items`. */
export async function buildIndex(target: string, items: IndexEntry[], distance: DistanceName = 'euclidean'): Promise<void> {
  await EmbeddingIndex.build(target, { dim: DIM, distance, model: MODEL }, (index) => index.add(items));
}

/**
 * The shared behaviour. `newTarget()` returns a target nobody used yet;
 * `tol` is the distance tolerance of the in-database search (pgvector computes in float32).
 */
export function indexStoreSuite(name: string, newTarget: () => string, tol: number): void {
  const items = entries(300, 1);
  const queries = entries(20, 2, 4, 'q');

  test(`${name}: build, then exact search equals brute force (in memory and in the database)`, async () => {
    const target = newTarget();
    await buildIndex(target, items);
    const index = await EmbeddingIndex.open(target, { model: MODEL });
    try {
      for (const q of queries) {
        const want = bruteForce(items, q.vector, 10);
        assertSameHits(await index.search(q.vector, { k: 10 }), want, 1e-6, `exact ${q.id}`);
        assertSameHits(await index.search(q.vector, { k: 10, mode: 'database' }), want, tol, `database ${q.id}`);
      }
      const flat = new Float32Array(queries.flatMap((q) => Array.from(q.vector)));
      const batch = await index.searchMany(flat, queries.length, { k: 5 });
      batch.forEach((hits, i) => assertSameHits(hits, bruteForce(items, queries[i].vector, 5), 1e-6, `batch ${i}`));
      const hit = (await index.search(items[7].vector, { k: 1 }))[0];
      assert.deepEqual({ ...hit, distance: Math.round(hit.distance * 1e6) }, { id: 'item-7', label: 'L3', source: 'data/item/7.png', distance: 0 });
    } finally {
      await index.close();
    }
  });

  test(`${name}: cosine and squared euclidean indexes rank as brute force`, async () => {
    for (const d of ['cosine', 'squaredEuclidean'] as const) {
      const target = newTarget();
      await buildIndex(target, items, d);
      const index = await EmbeddingIndex.open(target);
      try {
        assert.equal(index.distance, d);
        for (const q of queries.slice(0, 5)) {
          const want = bruteForce(items, q.vector, 5, d);
          assertSameHits(await index.search(q.vector, { k: 5 }), want, 1e-5, `${d} exact`);
          assertSameHits(await index.search(q.vector, { k: 5, mode: 'database' }), want, tol, `${d} database`);
        }
      } finally {
        await index.close();
      }
    }
  });

  test(`${name}: label filter returns only that label, equal to brute force on the label`, async () => {
    const target = newTarget();
    await buildIndex(target, items);
    const index = await EmbeddingIndex.open(target);
    try {
      for (const q of queries.slice(0, 5)) {
        const want = bruteForce(items, q.vector, 7, 'euclidean', 'L2');
        for (const mode of ['exact', 'database'] as const) {
          const hits = await index.search(q.vector, { k: 7, label: 'L2', mode });
          assert.ok(hits.every((h) => h.label === 'L2'));
          assertSameHits(hits, want, mode === 'exact' ? 1e-6 : tol, `label ${mode}`);
        }
      }
      assert.deepEqual(await index.search(queries[0].vector, { label: 'no such label' }), []);
      // k above the items available: all of them
      assert.equal((await index.search(queries[0].vector, { k: 1000, label: 'L1' })).length, 75);
    } finally {
      await index.close();
    }
  });

  test(`${name}: add, remove, persistence across reopen, stats`, async () => {
    const target = newTarget();
    await buildIndex(target, items.slice(0, 200));
    let index = await EmbeddingIndex.open(target, { model: MODEL });
    const q = queries[0].vector;
    try {
      await index.search(q); // loads the in-memory copy, which add and remove must keep right
      await index.add(items.slice(200));
      assertSameHits(await index.search(q, { k: 10 }), bruteForce(items, q, 10), 1e-6, 'after add');
      const nearest = (await index.search(q, { k: 3 })).map((h) => h.id);
      await index.remove(nearest);
      const rest = items.filter((e) => !nearest.includes(e.id));
      assertSameHits(await index.search(q, { k: 10 }), bruteForce(rest, q, 10), 1e-6, 'after remove');
      assert.equal(await index.get(nearest[0]), null);
      const got = await index.get('item-250');
      assert.deepEqual(got?.item, { id: 'item-250', label: 'L2', source: 'data/item/250.png' });
      assert.deepEqual(Array.from(got!.vector), Array.from(Float32Array.from(items[250].vector)));
    } finally {
      await index.close();
    }
    index = await EmbeddingIndex.open(target, { model: MODEL.hash });
    try {
      const s = await index.stats();
      assert.equal(s.items, 297);
      assert.equal(s.dim, DIM);
      assert.equal(s.distance, 'euclidean');
      assert.equal(s.model.hash, MODEL.hash);
      assert.equal(s.labels.reduce((n, l) => n + l.count, 0), 297);
      assert.equal((await index.search(q, { k: 297 })).length, 297);
      const all = await index.all();
      assert.equal(all.items.length, 297);
      assert.equal(all.vectors.length, 297 * DIM);
    } finally {
      await index.close();
    }
  });

  test(`${name}: a failed add or remove changes nothing`, async () => {
    const target = newTarget();
    await buildIndex(target, items.slice(0, 50));
    const index = await EmbeddingIndex.open(target);
    try {
      await index.search(queries[0].vector);
      const dup = [...items.slice(50, 60), items[3]];
      await rejectsWith(index.add(dup), 'INVALID_ARGUMENT', 'already');
      await rejectsWith(index.add([items[60], items[60]]), 'INVALID_ARGUMENT', "'item-60' appears twice");
      await rejectsWith(index.remove(['item-1', 'no-such-id']), 'NOT_FOUND', "'no-such-id'", 'nothing removed');
      assert.equal((await index.stats()).items, 50);
      assert.ok(await index.get('item-1'));
      assert.equal(await index.get('item-55'), null);
      assert.equal((await index.search(queries[0].vector, { k: 100 })).length, 50);
    } finally {
      await index.close();
    }
  });

  test(`${name}: a build that fails leaves the previous index as it was`, async () => {
    const target = newTarget();
    await buildIndex(target, items.slice(0, 30));
    await assert.rejects(
      EmbeddingIndex.build(target, { dim: DIM, model: { hash: 'b'.repeat(64) } }, async (index) => {
        await index.add(items.slice(30, 60));
        throw new Error('crash mid-build');
      }),
      /crash mid-build/,
    );
    const index = await EmbeddingIndex.open(target, { model: MODEL });
    try {
      assert.equal((await index.stats()).items, 30);
    } finally {
      await index.close();
    }
    // and a successful build replaces it
    await EmbeddingIndex.build(target, { dim: DIM, model: { hash: 'b'.repeat(64) } }, (index) => index.add(items.slice(100, 110)));
    const rebuilt = await EmbeddingIndex.open(target);
    try {
      assert.equal((await rebuilt.stats()).items, 10);
      assert.equal(rebuilt.model.hash, 'b'.repeat(64));
    } finally {
      await rebuilt.close();
    }
  });

  test(`${name}: another model, wrong dimensions and bad queries are clear errors`, async () => {
    const target = newTarget();
    await buildIndex(target, items.slice(0, 20));
    await rejectsWith(EmbeddingIndex.open(target, { model: { hash: 'c'.repeat(64), description: 'other bundle' } }), 'STATE', 'another model', 'other bundle', 'test model');
    const index = await EmbeddingIndex.open(target, { model: MODEL });
    try {
      await rejectsWith(index.add([{ id: 'x', vector: [1, 2, 3] }]), 'INVALID_ARGUMENT', 'vector of 3 values', 'dim 8');
      await rejectsWith(index.add([{ id: 'x', vector: new Array(DIM).fill(Number.NaN) }]), 'NUMERIC', 'non-finite');
      await rejectsWith(index.add([{ id: '', vector: new Array(DIM).fill(0) }]), 'INVALID_ARGUMENT', 'id');
      await rejectsWith(index.search([1, 2]), 'INVALID_ARGUMENT', 'query has 2 values', 'dim 8');
      await rejectsWith(index.search(items[0].vector, { k: 0 }), 'INVALID_ARGUMENT', 'k must be');
      await rejectsWith(index.search(items[0].vector, { mode: 'fast' as never }), 'INVALID_ARGUMENT', 'mode');
      await rejectsWith(index.remove(['nope']), 'NOT_FOUND', "'nope'");
    } finally {
      await index.close();
    }
    await rejectsWith(index.search(items[0].vector), 'STATE', 'closed');
  });

  test(`${name}: SQL-significant characters in ids, labels and sources are stored and matched literally`, async () => {
    const target = newTarget();
    const odd = ["Robert'); DROP TABLE contrastive_index_items; --", 'label "quoted" \\ back', '%', '_', "it's", '; DELETE FROM x', 'naïve 名前 🙂'];
    const weird = items.slice(0, odd.length * 3).map((e, i) => ({ ...e, id: `${odd[i % odd.length]}#${i}`, label: odd[i % odd.length], source: `dir/${odd[i % odd.length]}.png` }));
    await buildIndex(target, weird);
    const index = await EmbeddingIndex.open(target);
    try {
      for (const label of odd) {
        for (const mode of ['exact', 'database'] as const) {
          const hits = await index.search(queries[0].vector, { k: 10, label, mode });
          assert.equal(hits.length, 3, `${label} ${mode}`);
          assert.ok(hits.every((h) => h.label === label && h.source === `dir/${label}.png`));
        }
      }
      await index.remove([weird[0].id]);
      assert.equal((await index.stats()).items, weird.length - 1);
      assert.equal((await index.stats()).labels.find((l) => l.label === '%')?.count, 3);
    } finally {
      await index.close();
    }
  });

  test(`${name}: two writers at once both land; a reader sees the other's writes`, async () => {
    const target = newTarget();
    await buildIndex(target, items.slice(0, 10));
    const a = await EmbeddingIndex.open(target);
    const b = await EmbeddingIndex.open(target);
    try {
      assert.equal((await a.search(queries[0].vector, { k: 100 })).length, 10);
      const batches = (prefix: string): IndexEntry[][] => Array.from({ length: 5 }, (_, j) => entries(20, 100 + j, 4, `${prefix}${j}`));
      await Promise.all([
        (async () => {
          for (const batch of batches('a')) await a.add(batch);
        })(),
        (async () => {
          for (const batch of batches('b')) await b.add(batch);
        })(),
      ]);
      assert.equal((await a.search(queries[0].vector, { k: 1000 })).length, 210);
      assert.equal((await b.stats()).items, 210);
      await b.remove(['b0-0']);
      assert.equal((await a.search(queries[0].vector, { k: 1000 })).length, 209);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${name}: an empty index answers no hits; create refuses an existing index`, async () => {
    const target = newTarget();
    const index = await EmbeddingIndex.create(target, { dim: DIM, model: MODEL });
    try {
      assert.deepEqual(await index.search(queries[0].vector), []);
      assert.deepEqual(await index.search(queries[0].vector, { mode: 'database' }), []);
      await index.add(items.slice(0, 3));
      assert.equal((await index.search(queries[0].vector)).length, 3);
    } finally {
      await index.close();
    }
    await rejectsWith(EmbeddingIndex.create(target, { dim: DIM, model: MODEL }), 'STATE', 'already exists');
  });
}
