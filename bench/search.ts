/**
 * Exact top-10 search over a gallery of 100,000 x 128 float32 vectors, 1,000
 * queries, for each index store and search mode, beside faiss IndexFlatL2
 * (Debian python3-faiss, found like the PyTorch reference; "reference
 * unavailable" when absent) in the same run: queries/s one query at a time and
 * as one batch, build time, and recall@10 of the approximate mode. One query
 * at a time is also set against the read bound measured here (a query cannot
 * be faster than one read of the gallery: the fastest of several read passes,
 * see lib/read-bound.ts).
 *
 *   npm run bench:search -- [--n 100000] [--dim 128] [--queries 1000] [--pg-rows 20000] [--pg URL] [--skip-pg]
 *
 * The PostgreSQL part runs against pgvector in PGlite (wasm, one connection
 * over TCP on 127.0.0.1) unless --pg names a real server; PGlite builds HNSW
 * indexes slowly, so its gallery is the first --pg-rows vectors.
 * Ends with one JSON line { bench, project, reference, unit, ratio }: the
 * default store (SQLite file, exact in memory), batched, against faiss batched.
 *
 * `--scale` runs bench/search-scale.ts instead: approximate search of
 * 1,000,000 x 128 against faiss IndexHNSWFlat.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddingIndex, type IndexEntry } from '../packages/index/src/index.js';
import { knn } from '../packages/contrastive/src/eval/knn.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';
import { printTable } from './lib/torch-reference.js';
import { runFaissReference } from './lib/faiss-reference.js';
import { measureReadBound, type ReadPass } from './lib/read-bound.js';

if (process.argv.slice(2).includes('--scale')) {
  await import('./search-scale.js');
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '1000' },
    k: { type: 'string', default: '10' },
    'pg-rows': { type: 'string', default: '20000' },
    pg: { type: 'string' },
    'skip-pg': { type: 'boolean', default: false },
    'db-queries': { type: 'string', default: '20' },
  },
});
const n = Number(values.n);
const dim = Number(values.dim);
const nq = Number(values.queries);
const k = Number(values.k);
const threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const dbQueries = Number(values['db-queries']);

// clustered data: 1,000 centres, as embeddings of many classes look
const rng = new Rng(7);
const centres = Float32Array.from({ length: 1000 * dim }, () => rng.normal());
const sample = (count: number): Float32Array => {
  const x = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const c = rng.int(1000);
    for (let d = 0; d < dim; d++) x[i * dim + d] = centres[c * dim + d] + 0.5 * rng.normal();
  }
  return x;
};
const gallery = sample(n);
const queries = sample(nq);
const galleryBytes = n * dim * 4;
console.log(`gallery ${n} x ${dim} float32 (${(galleryBytes / 1e6).toFixed(1)} MB), ${nq} queries, top-${k}; ${os.cpus()[0]?.model ?? '?'} x ${threads} cores, load average ${os.loadavg()[0].toFixed(1)}`);

const rows: string[][] = [];
const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

// --- the read bound: one query must read the whole gallery once --------------------------------------
const bw = await measureReadBound(gallery, n, dim);
const boundQps = (bw.best.gbps * 1e9) / galleryBytes;
const passText = (p: ReadPass): string => `${p.name}${p.name.startsWith('memchr') ? ` ${p.threads} thread${p.threads > 1 ? 's' : ''}` : ''}`;
console.log(`read passes over the ${(galleryBytes / 1e6).toFixed(1)} MB gallery (best of 20, GB/s): ${bw.passes.map((p) => `${passText(p)} ${fmt(p.gbps, 1)}`).join(', ')} (onnxruntime on ${threads} threads)`);
const cacheNote = bw.cache
  ? galleryBytes <= bw.cache.bytes
    ? `the gallery fits in the ${bw.cache.text} L${bw.cache.level} cache: these are cache reads, faster than DRAM`
    : `the gallery is larger than the ${bw.cache.text} L${bw.cache.level} cache: these are DRAM reads`
  : 'cache size unknown';
console.log(`read bound ${fmt(bw.best.gbps, 1)} GB/s, set by ${passText(bw.best)}${bw.best.name.startsWith('memchr') ? '' : ` on ${bw.best.threads} threads`}: at most ${fmt(boundQps)} queries/s one at a time (${cacheNote})`);

// --- reference ---------------------------------------------------------------------------------------
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-search-'));
await fs.writeFile(path.join(tmp, 'gallery.f32'), Buffer.from(gallery.buffer));
await fs.writeFile(path.join(tmp, 'queries.f32'), Buffer.from(queries.buffer));
const faiss = runFaissReference({ gallery: path.join(tmp, 'gallery.f32'), queries: path.join(tmp, 'queries.f32'), dim, k, single: nq, threads });
console.log(`reference: ${faiss.note}`);
if (faiss.result) rows.push(['faiss IndexFlatL2', fmt(n), fmt(faiss.result.buildSeconds, 2), '-', fmt(faiss.result.singleQps), fmt(faiss.result.batchedQps), '1.000']);

// brute-force truth for recall: faiss ids when present, else the project's knn
const truth: Int32Array = faiss.result ? Int32Array.from(faiss.result.ids.flat()) : knn(queries, gallery, k, 'euclidean', { dim }).indices;

function recall(hits: { id: string }[][], truthIds: ArrayLike<number>, count: number): number {
  let found = 0;
  for (let q = 0; q < count; q++) {
    const want = new Set(Array.from({ length: k }, (_, j) => `v${truthIds[q * k + j]}`));
    found += hits[q].filter((h) => want.has(h.id)).length;
  }
  return found / (count * k);
}

async function buildStore(target: string, rowsToUse: number): Promise<number> {
  const t = performance.now();
  await EmbeddingIndex.build(target, { dim, model: { hash: 'bench', description: 'bench:search random vectors' } }, async (index) => {
    for (let s = 0; s < rowsToUse; s += 10000) {
      const batch: IndexEntry[] = [];
      for (let i = s; i < Math.min(rowsToUse, s + 10000); i++) batch.push({ id: `v${i}`, label: `c${i % 10}`, vector: gallery.subarray(i * dim, (i + 1) * dim) });
      await index.add(batch);
    }
  });
  return (performance.now() - t) / 1000;
}

interface Measured {
  loadSeconds: number;
  singleQps: number;
  batchedQps: number;
  recall: number;
}

/** Exact in-memory search: load, one at a time (all queries), one batch. */
async function measureExact(index: EmbeddingIndex, truthIds: ArrayLike<number>): Promise<Measured> {
  let t = performance.now();
  await index.search(queries.subarray(0, dim), { k });
  const loadSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  for (let q = 0; q < nq; q++) await index.search(queries.subarray(q * dim, (q + 1) * dim), { k });
  const singleQps = nq / ((performance.now() - t) / 1000);
  let best = Infinity;
  let hits: Awaited<ReturnType<EmbeddingIndex['searchMany']>> = [];
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    hits = await index.searchMany(queries, nq, { k });
    best = Math.min(best, performance.now() - t);
  }
  return { loadSeconds, singleQps, batchedQps: nq / (best / 1000), recall: recall(hits, truthIds, nq) };
}

async function measureMode(index: EmbeddingIndex, mode: 'database' | 'approximate', count: number, truthIds: ArrayLike<number>, efSearch?: number): Promise<{ qps: number; recall: number }> {
  const hits: Awaited<ReturnType<EmbeddingIndex['search']>>[] = [];
  await index.search(queries.subarray(0, dim), { k, mode, efSearch });
  const t = performance.now();
  for (let q = 0; q < count; q++) hits.push(await index.search(queries.subarray(q * dim, (q + 1) * dim), { k, mode, efSearch }));
  return { qps: count / ((performance.now() - t) / 1000), recall: recall(hits, truthIds, count) };
}

// --- SQLite file -------------------------------------------------------------------------------------
const file = path.join(tmp, 'gallery.db');
const sqliteBuild = await buildStore(file, n);
const sqlite = await EmbeddingIndex.open(file);
const sq = await measureExact(sqlite, truth);
rows.push(['sqlite, exact in memory', fmt(n), fmt(sqliteBuild, 2), fmt(sq.loadSeconds, 2), fmt(sq.singleQps), fmt(sq.batchedQps), sq.recall.toFixed(3)]);
const sqDb = await measureMode(sqlite, 'database', dbQueries, truth);
rows.push([`sqlite, sqlite-vec scan (${dbQueries} q)`, fmt(n), '-', '-', fmt(sqDb.qps, 1), '-', sqDb.recall.toFixed(3)]);
await sqlite.close();

// --- PostgreSQL + pgvector ---------------------------------------------------------------------------
if (!values['skip-pg']) {
  let stop: (() => Promise<void>) | null = null;
  let url = values.pg;
  if (!url) {
    const { startPgliteServer } = await import('../test/support/pglite-server.js');
    const server = await startPgliteServer(2);
    stop = server.stop;
    url = `${server.url}?table=bench_search`;
  }
  const pgRows = Math.min(n, Number(values['pg-rows']));
  const pgTruth = pgRows === n ? truth : knn(queries, gallery.subarray(0, pgRows * dim), k, 'euclidean', { dim }).indices;
  const label = values.pg ? 'postgres' : 'pgvector in PGlite';
  const pgBuild = await buildStore(url, pgRows);
  const pg = await EmbeddingIndex.open(url);
  const pe = await measureExact(pg, pgTruth);
  rows.push([`${label}, exact in memory`, fmt(pgRows), fmt(pgBuild, 2), fmt(pe.loadSeconds, 2), fmt(pe.singleQps), fmt(pe.batchedQps), pe.recall.toFixed(3)]);
  const pd = await measureMode(pg, 'database', dbQueries, pgTruth);
  rows.push([`${label}, seq scan (${dbQueries} q)`, fmt(pgRows), '-', '-', fmt(pd.qps, 1), '-', pd.recall.toFixed(3)]);
  let t = performance.now();
  await pg.createApproximateIndex({ m: 16, efConstruction: 64 });
  const hnswBuild = (performance.now() - t) / 1000;
  for (const ef of [40, 100]) {
    const pa = await measureMode(pg, 'approximate', Math.min(nq, 200), pgTruth, ef);
    rows.push([`${label}, HNSW ef_search ${ef} (200 q)`, fmt(pgRows), fmt(hnswBuild, 1), '-', fmt(pa.qps, 1), '-', pa.recall.toFixed(3)]);
  }
  t = performance.now();
  await pg.close();
  await stop?.();
}
await fs.rm(tmp, { recursive: true, force: true });

console.log('');
printTable(['store, mode', 'rows', 'build s', 'load s', 'q/s one at a time', 'q/s batch of ' + nq, 'recall@10'], rows);
console.log('');
const f = faiss.result;
console.log(`sqlite exact one at a time: ${fmt(sq.singleQps)} q/s = ${f ? `${(sq.singleQps / f.singleQps).toFixed(2)}x faiss (target >= 3x)` : 'reference unavailable'}, ${((sq.singleQps / boundQps) * 100).toFixed(0)} % of the read bound ${fmt(boundQps)} q/s (target >= 70 %)`);
console.log(`sqlite exact batched: ${fmt(sq.batchedQps)} q/s = ${f ? `${(sq.batchedQps / f.batchedQps).toFixed(2)}x faiss (target >= 1.0x)` : 'reference unavailable'}`);
console.log(JSON.stringify({ bench: 'search', project: Math.round(sq.batchedQps), reference: f ? Math.round(f.batchedQps) : null, unit: 'queries/s', ratio: f ? Number((sq.batchedQps / f.batchedQps).toFixed(3)) : null }));
