/**
 * indexRetrievalMetrics (`contrastive index eval`): P@1, R-precision, MAP@R and
 * Recall@K from the index's own answers equal retrievalMetrics on the stored
 * embeddings, and P@1 equals a brute-force count done here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddingIndex, type IndexEntry } from '../../packages/index/src/index.js';
import { indexRetrievalMetrics } from '../../packages/cli/src/jobs/index-retrieval.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

let tmp = '';
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'index-retrieval-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const dim = 8;
const model = { hash: 'index-retrieval-test' };

/** Overlapping gaussian classes (so the metrics are neither 0 nor 1), one unlabelled item and one singleton label. */
function entries(): IndexEntry[] {
  const rng = new Rng(3);
  const centres = Array.from({ length: 4 }, () => Array.from({ length: dim }, () => rng.normal()));
  const out: IndexEntry[] = [];
  for (let i = 0; i < 240; i++) {
    const c = i % 4;
    out.push({ id: `item ${i}`, label: `class '${c}'`, vector: centres[c].map((x) => x + 0.9 * rng.normal()) });
  }
  out.push({ id: 'unlabelled', label: null, vector: centres[0] });
  out.push({ id: 'alone', label: 'singleton', vector: centres[1] });
  return out;
}

test('index eval: the index answers give retrievalMetrics figures, and P@1 as brute force counts it', async () => {
  const file = path.join(tmp, 'gallery.db');
  const items = entries();
  await EmbeddingIndex.build(file, { dim, model }, (ix) => ix.add(items));
  const r = await indexRetrievalMetrics(file, { blockQueries: 50 });
  assert.equal(r.items, 242);
  assert.equal(r.fromIndex.queries, 240, 'the unlabelled item and the singleton query nothing');
  for (const key of ['precisionAt1', 'rPrecision', 'mapAtR'] as const) assert.ok(Math.abs(r.fromIndex[key] - r.reference[key]) < 1e-9, `${key}: ${r.fromIndex[key]} vs ${r.reference[key]}`);
  for (const k of [1, 5, 10] as const) assert.ok(Math.abs(r.fromIndex.recallAtK[k] - r.reference.recallAtK[k]) < 1e-9, `Recall@${k}`);
  assert.ok(r.fromIndex.precisionAt1 > 0.3 && r.fromIndex.precisionAt1 < 1, `P@1 ${r.fromIndex.precisionAt1}`);

  // brute force: the nearest other item (labelled or not) of each labelled query
  let hits = 0;
  const queries = items.filter((e) => e.label?.startsWith('class'));
  for (const q of queries) {
    let best = Infinity;
    let label: string | null | undefined = null;
    for (const o of items) {
      if (o === q) continue;
      let d = 0;
      for (let c = 0; c < dim; c++) d += (Number(q.vector[c]) - Number(o.vector[c])) ** 2;
      if (d < best) [best, label] = [d, o.label];
    }
    if (label === q.label) hits++;
  }
  assert.equal(r.fromIndex.precisionAt1, hits / queries.length);
});

test('index eval: an index where no label has two items is a clear error', async () => {
  const file = path.join(tmp, 'lonely.db');
  await EmbeddingIndex.build(file, { dim: 2, model }, (ix) => ix.add([{ id: 'a', label: 'x', vector: [0, 1] }, { id: 'b', label: 'y', vector: [1, 0] }, { id: 'c', vector: [1, 1] }]));
  await assert.rejects(indexRetrievalMetrics(file), /no label of .*lonely\.db has two or more items/);
});

test('index eval reports its progress: the index searched, then the reference metrics ranked, each up to its total', async () => {
  const file = path.join(tmp, 'progress.db');
  await EmbeddingIndex.build(file, { dim, model }, (ix) => ix.add(entries()));
  const seen: { task: string; done: number; total: number }[] = [];
  await indexRetrievalMetrics(file, { blockQueries: 50, onProgress: (p) => seen.push(p) });
  const search = seen.filter((p) => p.task === 'searching the index');
  assert.deepEqual(search.map((p) => p.done), [50, 100, 150, 200, 240], 'one report per block of queries');
  assert.ok(search.every((p) => p.total === 240));
  const ranked = seen.filter((p) => p.task === 'retrieval metrics');
  assert.ok(ranked.length >= 2, `${ranked.length} reports`);
  assert.deepEqual(ranked.at(-1), { task: 'retrieval metrics', done: 242, total: 242 });
  for (let k = 1; k < ranked.length; k++) assert.ok(ranked[k].done > ranked[k - 1].done, 'done grows');
  assert.ok(seen.indexOf(search.at(-1)!) < seen.indexOf(ranked[0]), 'search first, then the reference');
});
