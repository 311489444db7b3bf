/**
 * `contrastive index build|add|search|ann|stats|remove|eval`: an embedding index
 * in a SQLite file (the default) or PostgreSQL + pgvector (a postgres:// URL).
 * Parsing and printing only; the work is in src/jobs/index-*.ts and
 * src/index/, imported when a command runs (so `--help` loads no TensorFlow.js).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { SEARCH_MODES, type SearchHit, type SearchMode } from '@contrastive/index/internal/store.js';
import { SPLIT_NAMES, type SplitName } from '../jobs/choices.js';
import { intList, oneOf, positiveInt, shardOption } from './options.js';
import type { Shard } from '../jobs/shard.js';
import { parsePairInput, ROW_FORMS } from './inputs.js';
import { cacheOption, resolveModelDir, storageOption } from './bundle-options.js';
import { checkDatasetOptions, loadOptionsOf } from './training-options.js';
import type { ExampleStorage } from 'contrastive/internal/data/types.js';
import { progressMode, taskProgress, type TaskProgress } from './progress.js';
import { say, jsonText } from './output.js';

async function initBackend(choice: BackendChoice): Promise<void> {
  const { initBackend: init } = await import('@contrastive/node/internal/engine/backend.js');
  await init(choice);
}

async function openIndex(target: string, connectTimeoutMs: number | undefined): Promise<import('@contrastive/index/internal/embedding-index.js').EmbeddingIndex> {
  const { EmbeddingIndex } = await import('@contrastive/index/internal/embedding-index.js');
  return EmbeddingIndex.open(target, { connectTimeoutMs });
}

const TARGET = 'index file (SQLite) or postgres://USER@HOST/DB[?table=NAME] (pgvector)';

/** What a query vector must be, for help texts. */
const VECTOR_SPACE = "dim numbers in the index's embedding space, as the bundle that built the index embeds (L2-normalised when it normalises; `contrastive embed` writes them); searched as given";

/** --vector: comma-separated finite numbers, collected over repeats. */
function vectorList(value: string, previous: number[][] | undefined): number[][] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map((s) => (s === '' ? NaN : Number(s)));
  const bad = out.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InvalidArgumentError(`expected comma-separated finite numbers, value ${bad + 1} of ${parts.length} is '${parts[bad].slice(0, 20)}'`);
  return [...(previous ?? []), out];
}

/**
 * Progress of a long index command: a bar on a terminal, JSON lines on stderr
 * with --json (stdout stays the one result object), nothing otherwise.
 */
function progressOf(json: boolean | undefined): TaskProgress & { counted: (task: string) => (done: number, total: number) => void } {
  const p = taskProgress(progressMode(json), { json: process.stderr });
  return { ...p, counted: (task) => (done, total) => p.onProgress({ task, done, total }) };
}

function hitLine(h: SearchHit, rank: number): string {
  return `${String(rank + 1).padStart(3)}  ${h.distance.toPrecision(6).padStart(12)}  ${String(h.label ?? '-').padEnd(10)}  ${h.id}${h.source && h.source !== h.id ? `  (${h.source})` : ''}`;
}

interface CommonOptions {
  backend: BackendChoice;
  connectTimeout?: number;
  json?: boolean;
}

export function registerIndexCommand(program: Command): void {
  const index = program.command('index').description('embedding index for image retrieval: build, add, search, ann, stats, remove, eval');
  const common = (c: Command): Command =>
    c.option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto').option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt);

  common(
    index
      .command('build')
      .description('embed a dataset split with a bundle and write a new index (an index already at --out is replaced only with --force)')
      .requiredOption('--model <dir>', 'model bundle directory, or a run directory (its model/ bundle is used)')
      .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:DIR | folder:DIR')
      .requiredOption('--out <target>', TARGET)
      .option('--split <name>', `${SPLIT_NAMES.join(' | ')}: a split as the training run made it, or the whole dataset`, oneOf(SPLIT_NAMES), 'test')
      .option('--classes <list>', 'only these class indices, e.g. 5,6,7,8,9', intList)
      .option('--data-dir <dir>', 'where fashion-mnist lives')
      .addOption(storageOption())
      .addOption(cacheOption())
      .option('--ann', 'also build an HNSW index for approximate search: a graph beside a SQLite file (needs the package usearch), pgvector HNSW in PostgreSQL')
      .option('--hnsw', 'the same as --ann')
      .option('--m <n>', 'with --ann: HNSW neighbours per node (default 16)', positiveInt)
      .option('--ef-construction <n>', 'with --ann: HNSW candidate list size while building (default 64)', positiveInt)
      .option('--batch-size <n>', 'examples embedded per batch', positiveInt, 1024)
      .option('--shard <i/n>', 'index only shard i of n (counted from 0) of the split\'s rows in order; combine the shards with index merge', shardOption)
      .option('--force', 'replace an index already at --out (its items, those added with index add included, are lost)')
      .option('--json', 'print one JSON object (progress as JSON lines on stderr)'),
  ).action(async (o: CommonOptions & { model: string; dataset: string; out: string; split: SplitName; classes?: number[]; dataDir?: string; ann?: boolean; hnsw?: boolean; m?: number; efConstruction?: number; batchSize: number; shard?: Shard; force?: boolean; storage?: ExampleStorage; cacheMb?: number }) => {
    const ann = o.ann || o.hnsw;
    checkDatasetOptions(o, 'stream');
    if (!ann && (o.m !== undefined || o.efConstruction !== undefined)) throw new ContrastiveError('INVALID_ARGUMENT', 'index build: --m and --ef-construction shape the HNSW index of --ann; add --ann');
    await initBackend(o.backend);
    const bar = progressOf(o.json);
    let r: Awaited<ReturnType<typeof import('../jobs/index-build.js').buildIndexFromDataset>>;
    try {
      const { buildIndexFromDataset } = await import('../jobs/index-build.js');
      r = await buildIndexFromDataset({
        model: resolveModelDir(o.model),
        dataset: o.dataset,
        split: o.split,
        classes: o.classes,
        load: loadOptionsOf(o),
        out: o.out,
        force: o.force,
        ann: ann ? { m: o.m, efConstruction: o.efConstruction } : undefined,
        batchSize: o.batchSize,
        shard: o.shard,
        connectTimeoutMs: o.connectTimeout,
        onProgress: bar.counted('embedding'),
      });
    } finally {
      bar.stop();
    }
    if (o.json) process.stdout.write(jsonText(r) + '\n');
    else say(`indexed ${r.items} items (${r.labels} labels, dim ${r.dim}) into ${r.where}${ann ? ' with an HNSW index' : ''} in ${r.seconds.total.toFixed(1)} s (embedding ${r.seconds.embed.toFixed(1)} s on ${r.engine})\n`);
  });

  index
    .command('merge')
    .description('merge index shards (index build --shard i/n on many machines) into one new index: same model, size and distance, no id twice; written beside OUT and put in place when complete')
    .argument('<out>', TARGET)
    .argument('<inputs...>', 'the shard indexes (files or postgres:// URLs), merged in the order given')
    .option('--hnsw', 'also build a pgvector HNSW index on the merged table (PostgreSQL)')
    .option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt)
    .option('--force', 'replace an index already at OUT (never one of the inputs)')
    .option('--json', 'print one JSON object (progress as JSON lines on stderr)')
    .action(async (out: string, inputs: string[], o: { hnsw?: boolean; connectTimeout?: number; force?: boolean; json?: boolean }) => {
      const bar = progressOf(o.json);
      let r: Awaited<ReturnType<typeof import('@contrastive/index/internal/merge.js').mergeIndexes>>;
      try {
        const { mergeIndexes } = await import('@contrastive/index/internal/merge.js');
        r = await mergeIndexes(out, inputs, { force: o.force, hnsw: o.hnsw, connectTimeoutMs: o.connectTimeout, onProgress: bar.counted('merging') });
      } finally {
        bar.stop();
      }
      if (o.json) process.stdout.write(jsonText(r) + '\n');
      else say(`merged ${r.inputs.length} indexes (${r.inputs.map((i) => i.items).join(' + ')} items) into ${r.where}: ${r.items} items, dim ${r.dim}\n`);
    });

  common(
    index
      .command('add')
      .description('embed image files and add them (all or nothing); id and source are the absolute paths')
      .argument('<files...>', 'image files')
      .requiredOption('--index <target>', TARGET)
      .requiredOption('--model <dir>', 'the model bundle (or run directory) that built the index')
      .option('--label <label>', 'label of every file added')
      .option('--json', 'print one JSON object (progress as JSON lines on stderr)'),
  ).action(async (files: string[], o: CommonOptions & { index: string; model: string; label?: string }) => {
    await initBackend(o.backend);
    const bar = progressOf(o.json);
    let r: Awaited<ReturnType<typeof import('../jobs/index-add.js').addFilesToIndex>>;
    try {
      const { addFilesToIndex } = await import('../jobs/index-add.js');
      r = await addFilesToIndex({ index: o.index, model: resolveModelDir(o.model), files, label: o.label, connectTimeoutMs: o.connectTimeout, onProgress: bar.counted('embedding') });
    } finally {
      bar.stop();
    }
    if (o.json) process.stdout.write(jsonText(r) + '\n');
    else say(`added ${r.added} items; the index holds ${r.items}\n`);
  });

  common(
    index
      .command('search')
      .description(`the nearest items of each query: an image file, a dataset row (${ROW_FORMS}), or an embedding given as numbers (--vector, --vector-file)`)
      .argument('[queries...]', 'image files or dataset rows (embedded with --model)')
      .requiredOption('--index <target>', TARGET)
      .option('--model <dir>', 'the model bundle (or run directory) that built the index: required for image and row queries; with --vector / --vector-file it is only checked against the index')
      .option('--vector <numbers>', `a query embedding as comma-separated numbers (repeatable), e.g. --vector=0.12,-0.3,...: ${VECTOR_SPACE}`, vectorList)
      .option('--vector-file <file>', `query embeddings, one per row: .npy ([rows, dim] or [dim], float32 or float64) or .jsonl (per line an array of numbers or { "embedding": [...] }, as \`contrastive embed\` writes), in the same space as --vector`)
      .option('-k, --k <n>', 'neighbours per query', positiveInt, 10)
      .option('--label <label>', 'only items with this label (exactly as stored; an unknown label lists the labels)')
      .option('--mode <mode>', `${SEARCH_MODES.join(' | ')}: auto = approximate from 100,000 items when the index has an HNSW index (index build --ann, index ann), else exact in memory; database = a scan inside the database; approximate = HNSW`, oneOf(SEARCH_MODES), 'auto')
      .option('--ef-search <n>', 'HNSW candidate list size of an approximate search (default 64 for a SQLite file): larger, better recall and slower', positiveInt)
      .option('--data-dir <dir>', 'folder of the Fashion-MNIST files for fashion-mnist rows')
      .option('--json', 'print { "mode", "efSearch", "results": [ { id, label, source, distance } ] } (one query), or one { query, mode, efSearch, results } per line'),
  ).action(async (queries: string[], o: CommonOptions & { index: string; model?: string; vector?: number[][]; vectorFile?: string; k: number; label?: string; mode: SearchMode; efSearch?: number; dataDir?: string }) => {
    const given = o.vector ?? [];
    const byVector = given.length > 0 || o.vectorFile !== undefined;
    if (byVector && queries.length > 0) throw new ContrastiveError('INVALID_ARGUMENT', 'index search: give image files / dataset rows or --vector / --vector-file, not both');
    if (!byVector && queries.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', 'index search: give a query: image files, dataset rows, --vector or --vector-file');
    if (byVector && o.dataDir !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', 'index search: --data-dir is for fashion-mnist row queries; --vector / --vector-file queries read no dataset');
    if (!byVector && o.model === undefined) throw new ContrastiveError('INVALID_ARGUMENT', "index search: --model is required to embed image and dataset-row queries (the bundle that built the index)");
    const search = { index: o.index, k: o.k, label: o.label, mode: o.mode, efSearch: o.efSearch, connectTimeoutMs: o.connectTimeout };
    let answers: import('../jobs/index-search.js').IndexSearchAnswer[];
    if (byVector) {
      const vectors: { name: string; values: ArrayLike<number> }[] = given.map((values, i) => ({ name: given.length > 1 ? `--vector ${i + 1}` : '--vector', values }));
      if (o.vectorFile !== undefined) {
        const { readEmbeddingsFile } = await import('@contrastive/node/internal/export/embeddings-file.js');
        const f = await readEmbeddingsFile(o.vectorFile);
        for (let r = 0; r < f.rows; r++) vectors.push({ name: `${o.vectorFile}:${r}`, values: f.embeddings.subarray(r * f.dim, (r + 1) * f.dim) });
      }
      const { searchIndexByVectors } = await import('../jobs/index-search.js');
      // only the exact search computes with tensors: an approximate one starts no backend
      const beforeSearch = async (mode: string): Promise<void> => (mode === 'exact' ? initBackend(o.backend) : undefined);
      answers = await searchIndexByVectors({ ...search, vectors, model: o.model === undefined ? undefined : resolveModelDir(o.model), beforeSearch });
    } else {
      const inputs = queries.map((q, i) => parsePairInput(q, `query ${i + 1}`));
      await initBackend(o.backend);
      const { searchIndexWith } = await import('../jobs/index-search.js');
      answers = await searchIndexWith({ ...search, model: resolveModelDir(o.model!), queries: inputs, dataDir: o.dataDir });
    }
    if (!o.json && answers.length > 0) say(`search ${answers[0].reason}\n`);
    for (const a of answers) {
      if (o.json) {
        const results = a.results.map(({ id, label, source, distance }) => ({ id, label, source, distance }));
        const how = { mode: a.mode, efSearch: a.efSearch };
        process.stdout.write(jsonText(answers.length === 1 ? { ...how, results } : { query: a.query, ...how, results }) + '\n');
      } else {
        say(`${a.query}:\n${a.results.map(hitLine).join('\n') || '  (no items)'}\n`);
      }
    }
  });

  index
    .command('ann')
    .description('build the HNSW index of a SQLite index file for approximate search (from its stored vectors; nothing is embedded again), or rebuild a stale one; index add and remove keep it current')
    .requiredOption('--index <file>', 'index file (SQLite)')
    .option('--m <n>', 'HNSW neighbours per node (default 16): more, better recall, a larger graph built more slowly', positiveInt)
    .option('--ef-construction <n>', 'HNSW candidate list size while building (default 64)', positiveInt)
    .option('--threads <n>', 'threads that build (default: all cores)', positiveInt)
    .option('--force', 'rebuild a graph that is current')
    .option('--drop', 'remove the graph (searches are exact again)')
    .option('--json', 'print one JSON object')
    .action(async (o: { index: string; m?: number; efConstruction?: number; threads?: number; force?: boolean; drop?: boolean; json?: boolean }) => {
      const { isPostgresTarget } = await import('@contrastive/index/internal/targets.js');
      if (isPostgresTarget(o.index)) throw new ContrastiveError('INVALID_ARGUMENT', 'index ann: builds the graph of a SQLite index file; in PostgreSQL build pgvector HNSW with index build --ann');
      const ix = await openIndex(o.index, undefined);
      try {
        if (o.drop) {
          const had = await ix.dropApproximateIndex();
          if (o.json) process.stdout.write(jsonText({ dropped: had }) + '\n');
          else say(had ? `removed the HNSW graph of ${ix.where}; searches are exact\n` : `${ix.where} has no HNSW graph\n`);
          return;
        }
        const before = (await ix.stats()).ann;
        if (before?.current && !o.force) throw new ContrastiveError('STATE', `index ann: ${ix.where} already has a current HNSW graph of ${before.items} items (m ${before.m}, efConstruction ${before.efConstruction}); pass --force to rebuild it`);
        const t = performance.now();
        await ix.createApproximateIndex({ m: o.m, efConstruction: o.efConstruction, threads: o.threads });
        const seconds = (performance.now() - t) / 1000;
        const after = (await ix.stats()).ann!;
        if (o.json) process.stdout.write(jsonText({ ...after, seconds }) + '\n');
        else say(`built the HNSW graph of ${ix.where}: ${after.items} items, m ${after.m}, efConstruction ${after.efConstruction}, in ${seconds.toFixed(1)} s (${after.file})\n`);
      } finally {
        await ix.close();
      }
    });

  index
    .command('stats')
    .description('what an index holds: store, model, dim, distance, items per label')
    .requiredOption('--index <target>', TARGET)
    .option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (o: { index: string; connectTimeout?: number; json?: boolean }) => {
      const ix = await openIndex(o.index, o.connectTimeout);
      try {
        const s = await ix.stats();
        if (o.json) {
          process.stdout.write(jsonText(s) + '\n');
          return;
        }
        const labels = s.labels.slice(0, 20).map((l) => `${l.label ?? '(none)'}: ${l.count}`).join(', ');
        say(
          [
            `${s.where} (${s.store}${s.approximateIndex && s.store === 'postgres' ? ', HNSW index' : ''})`,
            `items ${s.items}, dim ${s.dim}, distance ${s.distance}`,
            `model ${s.model.hash.slice(0, 16)}${s.model.description ? ` (${s.model.description})` : ''}, created ${s.createdAt}`,
            `labels (${s.labels.length}): ${labels}${s.labels.length > 20 ? ', ...' : ''}`,
            ...(s.ann
              ? [`HNSW graph: ${s.ann.items} items, m ${s.ann.m}, efConstruction ${s.ann.efConstruction}, ${s.ann.current ? 'current' : `STALE (built at revision ${s.ann.revision}; rebuild: contrastive index ann --index ${s.where} --force)`}`]
              : []),
          ].join('\n') + '\n',
        );
      } finally {
        await ix.close();
      }
    });

  index
    .command('remove')
    .description('remove items by id (all or nothing: an unknown id removes none)')
    .argument('<ids...>', 'item ids')
    .requiredOption('--index <target>', TARGET)
    .option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt)
    .action(async (ids: string[], o: { index: string; connectTimeout?: number }) => {
      const ix = await openIndex(o.index, o.connectTimeout);
      try {
        await ix.remove(ids);
        say(`removed ${ids.length} items; the index holds ${(await ix.stats()).items}\n`);
      } finally {
        await ix.close();
      }
    });

  index
    .command('eval')
    .description("retrieval quality from the index's own answers: every labelled item queries the others (P@1, R-precision, MAP@R, Recall@K)")
    .requiredOption('--index <target>', TARGET)
    .option('--mode <mode>', SEARCH_MODES.filter((m) => m !== 'auto').join(' | '), oneOf(SEARCH_MODES.filter((m) => m !== 'auto')), 'exact')
    .option('--ef-search <n>', 'HNSW candidate list size for --mode approximate', positiveInt)
    .option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt)
    .option('--json', 'print one JSON object (progress as JSON lines on stderr)')
    .action(async (o: { index: string; mode: SearchMode; efSearch?: number; connectTimeout?: number; json?: boolean }) => {
      const { indexRetrievalMetrics } = await import('../jobs/index-retrieval.js');
      const progress = progressOf(o.json);
      let r: Awaited<ReturnType<typeof indexRetrievalMetrics>>;
      try {
        r = await indexRetrievalMetrics(o.index, { mode: o.mode, efSearch: o.efSearch, connectTimeoutMs: o.connectTimeout, onProgress: progress.onProgress });
      } finally {
        progress.stop();
      }
      if (o.json) {
        process.stdout.write(jsonText(r) + '\n');
        return;
      }
      const f = (x: number): string => x.toFixed(4);
      const line = (name: string, m: typeof r.fromIndex): string =>
        `${name.padEnd(20)} P@1 ${f(m.precisionAt1)}  R-precision ${f(m.rPrecision)}  MAP@R ${f(m.mapAtR)}  Recall@1/5/10 ${f(m.recallAtK[1])}/${f(m.recallAtK[5])}/${f(m.recallAtK[10])}`;
      say(`${r.fromIndex.queries} queries over ${r.items} items (${r.seconds.toFixed(1)} s)\n${line('index answers', r.fromIndex)}\n${line('retrievalMetrics', r.reference)}\n`);
    });
}
