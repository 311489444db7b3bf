/**
 * `npm run bench:search -- --scale`: approximate search at scale. A SQLite
 * index of 1,000,000 x 128 float32 vectors with its HNSW graph (usearch,
 * `index ann`), against faiss IndexHNSWFlat (Debian python3-faiss; install it
 * with scripts/install-bench-deps.sh) built with the same M and
 * efConstruction, on the same data in the same run:
 * - recall@10 (truth: faiss IndexFlatL2) and queries/s, one query at a time
 *   and as one batch, for each efSearch of a sweep; each side is then taken at
 *   its smallest efSearch that reaches --target recall (default 0.95), and the
 *   ratio is of queries/s at that recall;
 * - build time (ours: read the vectors from SQLite, build, write the graph
 *   file; faiss: `add`) and the memory it took (growth of the resident set);
 * - the wall time of one `contrastive index search --vector ...` process
 *   (from dist/ when `npm run build` has run, else from sources; said which).
 *
 *   npm run bench:search -- --scale [--data clustered|uniform] [--rows 1000000] [--dim 128] [--queries 1000]
 *     [--m 16] [--ef-construction 64] [--ef 16,32,64,128,256] [--target 0.95] [--cache bench/out/search-scale]
 *
 * Data (seed 7), cached under --cache (gitignored) with the SQLite index and the truth:
 * - clustered: 1,000 centres drawn from N(0, I); each vector is a centre
 *   (uniformly chosen) plus 0.5 * N(0, I); queries drawn the same way;
 * - uniform: every value from U[0, 1), the worst case for a graph index
 *   (no structure to follow).
 * Ends with one JSON line { bench: 'search-scale', rows, recall, project, reference, referenceRecall,
 * unit, ratio, cliQuerySeconds, buildSeconds, referenceBuildSeconds } (one query at a time; the batched
 * figures are in the table).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EmbeddingIndex, type IndexEntry } from '../packages/index/src/index.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';
import { printTable } from './lib/torch-reference.js';
import { findFaissPython } from './lib/faiss-reference.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    scale: { type: 'boolean', default: true },
    data: { type: 'string', default: 'clustered' },
    rows: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '1000' },
    k: { type: 'string', default: '10' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '64' },
    ef: { type: 'string', default: '16,32,64,128,256' },
    target: { type: 'string', default: '0.95' },
    cache: { type: 'string', default: path.join(ROOT, 'bench', 'out', 'search-scale') },
  },
});
const data = values.data;
if (data !== 'clustered' && data !== 'uniform') throw new Error(`--data must be clustered or uniform, got ${data}`);
const rows = Number(values.rows);
const dim = Number(values.dim);
const nq = Number(values.queries);
const k = Number(values.k);
const m = Number(values.m);
const efConstruction = Number(values['ef-construction']);
const efs = values.ef.split(',').map(Number);
const target = Number(values.target);
const threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const cache = path.resolve(values.cache);
await fs.mkdir(cache, { recursive: true });
const stem = path.join(cache, `${data}-${rows}x${dim}-seed7`);
const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`search at scale: ${data} ${rows} x ${dim} float32, ${nq} queries, top-${k}, HNSW M ${m} efConstruction ${efConstruction}; ${os.cpus()[0]?.model ?? '?'} x ${threads} cores, load average ${load()}, ${new Date().toISOString()}`);

// --- data (cached) -----------------------------------------------------------------------------------
async function cachedMatrix(file: string, count: number, make: (count: number) => Float32Array): Promise<Float32Array> {
  if (existsSync(file)) {
    const b = await fs.readFile(file);
    if (b.length === count * dim * 4) return new Float32Array(b.buffer, b.byteOffset, count * dim);
  }
  const x = make(count);
  await fs.writeFile(`${file}.tmp`, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  await fs.rename(`${file}.tmp`, file);
  return x;
}
const rng = new Rng(7);
const centres = Float32Array.from({ length: 1000 * dim }, () => rng.normal());
function sample(count: number): Float32Array {
  const x = new Float32Array(count * dim);
  if (data === 'uniform') {
    for (let i = 0; i < x.length; i++) x[i] = rng.next();
    return x;
  }
  for (let i = 0; i < count; i++) {
    const c = rng.int(1000);
    for (let d = 0; d < dim; d++) x[i * dim + d] = centres[c * dim + d] + 0.5 * rng.normal();
  }
  return x;
}
let t = performance.now();
const gallery = await cachedMatrix(`${stem}.f32`, rows, sample);
const queries = await cachedMatrix(`${stem}-q${nq}.f32`, nq, sample);
console.log(`data ready in ${((performance.now() - t) / 1000).toFixed(1)} s (${stem}.f32)`);

// --- reference: faiss IndexHNSWFlat ------------------------------------------------------------------
interface Point {
  ef: number;
  recall: number;
  singleQps: number;
  batchedQps: number;
}
const truthFile = `${stem}-q${nq}-truth-k${k}.i32`;
const py = findFaissPython();
let ref: { version: string; buildSeconds: number; memoryBytes: number; sweep: Point[] } | null = null;
let refNote = 'reference unavailable (no python3 with faiss; install it with: sh scripts/install-bench-deps.sh)';
if (py) {
  t = performance.now();
  const argv = [path.join(ROOT, 'bench/lib/reference-faiss-hnsw.py'), '--gallery', `${stem}.f32`, '--queries', `${stem}-q${nq}.f32`, '--truth', truthFile, '--dim', String(dim), '--k', String(k), '--m', String(m), '--ef-construction', String(efConstruction), '--ef', efs.join(','), '--single', String(nq), '--threads', String(threads)];
  const r = spawnSync(py, argv, { encoding: 'utf8', timeout: 3_600_000, maxBuffer: 16 << 20, env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { faiss?: string; build_s: number; memory_bytes: number; sweep: { ef: number; recall: number; single_qps: number; batched_qps: number }[]; error?: string };
    if (j.error) refNote = `reference unavailable (${j.error})`;
    else {
      ref = { version: j.faiss ?? '?', buildSeconds: j.build_s, memoryBytes: j.memory_bytes, sweep: j.sweep.map((p) => ({ ef: p.ef, recall: p.recall, singleQps: p.single_qps, batchedQps: p.batched_qps })) };
      refNote = `${py}, faiss ${ref.version}, ${threads} threads (${((performance.now() - t) / 1000).toFixed(0)} s with the truth)`;
    }
  } catch {
    refNote = `reference unavailable (exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()})`;
  }
}
console.log(`reference: ${refNote}; load average ${load()}`);
if (!existsSync(truthFile)) throw new Error(`no truth file ${truthFile}: the bench needs faiss for it (sh scripts/install-bench-deps.sh)`);
const truthBytes = await fs.readFile(truthFile);
const truth = new Int32Array(truthBytes.buffer, truthBytes.byteOffset, nq * k);

// --- ours: the SQLite index (cached) and its graph (built each run) ----------------------------------
const file = `${stem}.sqlite`;
if (!existsSync(file)) {
  t = performance.now();
  await EmbeddingIndex.build(file, { dim, model: { hash: 'bench-search-scale', description: `bench:search --scale ${data}` } }, async (index) => {
    for (let s = 0; s < rows; s += 20000) {
      const batch: IndexEntry[] = [];
      for (let i = s; i < Math.min(rows, s + 20000); i++) batch.push({ id: `v${i}`, label: `c${i % 10}`, vector: gallery.subarray(i * dim, (i + 1) * dim) });
      await index.add(batch);
    }
  });
  console.log(`SQLite index written in ${((performance.now() - t) / 1000).toFixed(1)} s (${file})`);
}
let index = await EmbeddingIndex.open(file);
let peak = 0;
const rss0 = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
t = performance.now();
await index.createApproximateIndex({ m, efConstruction });
const buildSeconds = (performance.now() - t) / 1000;
clearInterval(sampler);
const buildMemory = Math.max(peak, process.memoryUsage().rss) - rss0;
await index.close();
console.log(`graph built in ${buildSeconds.toFixed(1)} s (peak resident set +${(buildMemory / 2 ** 20).toFixed(0)} MiB); load average ${load()}`);

function recallOf(hits: { id: string }[][]): number {
  let found = 0;
  for (let q = 0; q < nq; q++) {
    const want = new Set(Array.from({ length: k }, (_, j) => `v${truth[q * k + j]}`));
    found += hits[q].filter((h) => want.has(h.id)).length;
  }
  return found / (nq * k);
}

index = await EmbeddingIndex.open(file);
const ours: Point[] = [];
for (const ef of efs) {
  const opts = { k, mode: 'approximate' as const, efSearch: Math.max(ef, k) };
  await index.search(queries.subarray(0, dim), opts); // maps the graph for this ef
  const hits: Awaited<ReturnType<EmbeddingIndex['search']>>[] = [];
  t = performance.now();
  for (let q = 0; q < nq; q++) hits.push(await index.search(queries.subarray(q * dim, (q + 1) * dim), opts));
  const singleQps = nq / ((performance.now() - t) / 1000);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    await index.searchMany(queries, nq, opts);
    best = Math.min(best, performance.now() - t);
  }
  ours.push({ ef, recall: recallOf(hits), singleQps, batchedQps: nq / (best / 1000) });
}
await index.close();

// --- one CLI call ------------------------------------------------------------------------------------
const dist = path.join(ROOT, 'packages/cli/dist/cli/main.js');
const fromDist = existsSync(dist);
const cli = fromDist ? ['packages/cli/bin/contrastive.js'] : ['--conditions=contrastive-source', '--import', 'tsx', 'packages/cli/src/cli/main.ts'];
const vector = Array.from(queries.subarray(0, dim), (x) => x.toPrecision(8)).join(',');
const cliTimes: number[] = [];
let cliMode = '?';
for (let r = 0; r < 3; r++) {
  t = performance.now();
  const out = spawnSync(process.execPath, [...cli, 'index', 'search', '--index', file, `--vector=${vector}`, '-k', String(k), '--json'], { cwd: ROOT, encoding: 'utf8' });
  cliTimes.push((performance.now() - t) / 1000);
  if (out.status !== 0) throw new Error(`contrastive index search failed: ${out.stderr}`);
  cliMode = (JSON.parse(out.stdout) as { mode: string }).mode;
}
const cliQuerySeconds = [...cliTimes].sort((a, b) => a - b)[1];

// --- report ------------------------------------------------------------------------------------------
const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const table: string[][] = [];
for (const p of ours) table.push(['ours: usearch HNSW beside the SQLite index', String(p.ef), p.recall.toFixed(4), fmt(p.singleQps), fmt(p.batchedQps)]);
for (const p of ref?.sweep ?? []) table.push([`faiss IndexHNSWFlat`, String(p.ef), p.recall.toFixed(4), fmt(p.singleQps), fmt(p.batchedQps)]);
console.log('');
printTable(['search', 'efSearch', `recall@${k}`, 'q/s one at a time', `q/s batch of ${nq}`], table);
const atTarget = (sweep: Point[]): Point | null => sweep.find((p) => p.recall >= target) ?? null;
const o = atTarget(ours);
const f = ref ? atTarget(ref.sweep) : null;
console.log('');
console.log(`build: ours ${fmt(buildSeconds, 1)} s (read SQLite + build + write the graph; resident set +${fmt(buildMemory / 2 ** 20)} MiB at peak), faiss ${ref ? `${fmt(ref.buildSeconds, 1)} s (add; resident set +${fmt(ref.memoryBytes / 2 ** 20)} MiB)` : '-'}: ${ref ? `${(buildSeconds / ref.buildSeconds).toFixed(2)}x faiss's time (target <= 2x)` : 'reference unavailable'}`);
if (o && f) {
  console.log(`at recall@${k} >= ${target}: ours efSearch ${o.ef} (recall ${o.recall.toFixed(4)}), faiss efSearch ${f.ef} (recall ${f.recall.toFixed(4)})`);
  console.log(`  one at a time: ${fmt(o.singleQps)} vs ${fmt(f.singleQps)} q/s = ${(o.singleQps / f.singleQps).toFixed(2)}x faiss (target >= 1.0x)`);
  console.log(`  batched:       ${fmt(o.batchedQps)} vs ${fmt(f.batchedQps)} q/s = ${(o.batchedQps / f.batchedQps).toFixed(2)}x faiss (target >= 1.0x)`);
} else {
  console.log(`recall@${k} >= ${target} not reached by ${o ? 'faiss' : 'ours'} in the sweep ${efs.join(',')}: widen --ef`);
}
console.log(`one CLI call (${fromDist ? 'built dist' : 'from sources through tsx'}, mode ${cliMode}): ${cliTimes.map((x) => x.toFixed(2)).join(', ')} s, median ${cliQuerySeconds.toFixed(2)} s (target <= 2 s); load average ${load()}`);
console.log(
  JSON.stringify({
    bench: 'search-scale',
    data,
    rows,
    recall: o ? Number(o.recall.toFixed(4)) : null,
    project: o ? Math.round(o.singleQps) : null,
    reference: f ? Math.round(f.singleQps) : null,
    referenceRecall: f ? Number(f.recall.toFixed(4)) : null,
    unit: 'queries/s',
    ratio: o && f ? Number((o.singleQps / f.singleQps).toFixed(3)) : null,
    batchedRatio: o && f ? Number((o.batchedQps / f.batchedQps).toFixed(3)) : null,
    cliQuerySeconds: Number(cliQuerySeconds.toFixed(3)),
    buildSeconds: Number(buildSeconds.toFixed(1)),
    referenceBuildSeconds: ref ? Number(ref.buildSeconds.toFixed(1)) : null,
  }),
);
