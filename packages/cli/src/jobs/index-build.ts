/**
 * `contrastive index build`: embed one split of a dataset with a bundle and
 * store it as a new index (replacing the target in one step), in batches.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadDataset, type LoadDatasetOptions } from '@contrastive/node/internal/data/index.js';
import { isPairDataset, type LabelledDataset } from 'contrastive/internal/data/types.js';
import { EmbeddingIndex, describeTarget, isPostgresTarget, type HnswOptions, type ModelIdentity } from '@contrastive/index/internal/index.js';
import { BundleEmbedder, type EmbedEngine } from '@contrastive/node/internal/embed/index.js';
import { existsSync } from 'node:fs';
import { refuseOutputOverInput } from '@contrastive/node/internal/util/output-dir.js';
import { existingIndexItems } from '@contrastive/index/internal/existing-index.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';
import { runSplitOf, SPLIT_NAMES, type OpenBundle, type SplitName } from './evaluate-bundle.js';
import { loadOptionsFor, onePassLoadOptions } from './bundle-split.js';
import { splitDataset, subsetDataset } from 'contrastive/internal/data/index.js';
import { examplesOf } from 'contrastive/internal/data/examples.js';
import { checkShard, shardRows, type Shard } from './shard.js';

/** Options of {@link buildIndexFromDataset}. @group Index */
export interface IndexBuildOptions {
  /** Bundle directory. */
  model: string;
  /** Dataset spec (see loadDataset); a labelled dataset. */
  dataset: string;
  /** Split of the bundle's training run to index (default 'test'); 'all' is the whole dataset. */
  split?: SplitName;
  /** Only these class indices. */
  classes?: readonly number[];
  /** Loader options (default: the bundle's image size and the run's own loader options, a `folder:` set streamed from disk unless bad images are skipped or `storage` says otherwise). */
  load?: LoadDatasetOptions;
  /** Index target: a file path or a postgres:// URL. */
  out: string;
  /** Replace an index already at `out` that holds items (default: refuse it). */
  force?: boolean;
  /** Build an HNSW index afterwards for approximate search: a usearch graph beside a SQLite file, pgvector HNSW in PostgreSQL. */
  ann?: boolean | HnswOptions;
  /** The same as `ann` (its earlier name). */
  hnsw?: boolean | HnswOptions;
  /** Examples embedded per batch (default 1024). */
  batchSize?: number;
  /** Only this shard of the split's rows (see {@link shardRange}); merge the shards' indexes with `mergeIndexes`. */
  shard?: Shard;
  /** Default 'auto' (ONNX where possible). */
  engine?: EmbedEngine;
  /** PostgreSQL connect timeout. */
  connectTimeoutMs?: number;
  /** Called after each batch with the examples done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link buildIndexFromDataset} returns. @group Index */
export interface IndexBuildResult {
  where: string;
  store: 'sqlite' | 'postgres';
  items: number;
  labels: number;
  dim: number;
  model: ModelIdentity;
  engine: 'onnx' | 'tfjs';
  /** Seconds spent embedding, and in all. */
  seconds: { embed: number; total: number };
}

const FN = 'index build';

/**
 * The stable name of each row of a dataset as loaded whole, in the forms
 * `contrastive verify` and `index search` read back: mnist:INDEX,
 * fashion-mnist:INDEX (train file), fashion-mnist:t10k:INDEX (test file).
 */
function rowNames(spec: string, load: LoadDatasetOptions, count: number): string[] {
  const file = load.split ?? 'train';
  const prefix = spec === 'mnist' ? 'mnist' : spec === 'fashion-mnist' ? (file === 'test' ? 'fashion-mnist:t10k' : 'fashion-mnist') : `${spec}:${file}`;
  return Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
}

/** The split of `spec` the bundle's training run made, each row named by its source. @group Index */
export async function indexRows(bundle: OpenBundle, spec: string, split: SplitName, classes: readonly number[] | undefined, load: LoadDatasetOptions = {}, fn = FN): Promise<LabelledDataset> {
  check(SPLIT_NAMES.includes(split), fn, `split must be one of ${SPLIT_NAMES.join(', ')}, got '${String(split)}'`);
  const training = bundle.manifest.training;
  const options = loadOptionsFor(bundle, spec, load);
  const data = await loadDataset(spec, options);
  if (isPairDataset(data)) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${spec}' is a pairs dataset; an index needs examples with class labels (mnist, fashion-mnist, idx:DIR, folder:DIR)`);
  const want = bundle.manifest.input.shape;
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  if (want.every((d) => d !== null) && size !== (want as number[]).reduce((a, b) => a * b, 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: dataset '${spec}' has examples of shape ${JSON.stringify(data.inputShape)} but the bundle ${bundle.dir} takes ${JSON.stringify(want)}`);
  }
  // rows of the built-in datasets are named so that search and verify read them back; files keep their paths
  if (spec === 'mnist' || spec === 'fashion-mnist' || !data.sources) data.sources = rowNames(spec, options, data.labels.length);
  let rows = data;
  if (split !== 'all') {
    const s = await runSplitOf(bundle);
    // held-out classes belong to the run's own dataset (as bundleSplit does)
    const holdoutClasses = training?.dataset === spec ? s.holdoutClasses : [];
    rows = splitDataset(data, { seed: s.seed, validation: s.validation, test: s.test, holdoutClasses })[split];
  }
  if (classes !== undefined) {
    check(Array.isArray(classes) && classes.every((c) => Number.isInteger(c) && c >= 0 && c < data.numClasses), fn, `classes must be class indices in [0, ${data.numClasses})`);
    const keep: number[] = [];
    for (let i = 0; i < rows.labels.length; i++) if (classes.includes(rows.labels[i])) keep.push(i);
    rows = subsetDataset(rows, keep);
  }
  check(rows.labels.length > 0, fn, `the ${split} split of '${spec}'${classes ? ` (classes ${classes.join(',')})` : ''} is empty`);
  return rows;
}

/**
 * Before any work, what is at the target: a file that is, or lies inside, the
 * bundle or the dataset is refused; an index holding items (added with `index
 * add`, say), or a file that is not an index and not empty, needs `force`.
 */
async function refuseExistingIndex(options: IndexBuildOptions): Promise<void> {
  const { out } = options;
  const file = !isPostgresTarget(out);
  if (file) {
    const inputs = [{ path: options.model, what: 'the bundle' }, ...datasetReadPaths(options.dataset, options.load?.dataDir)];
    await refuseOutputOverInput(out, out, inputs, { fn: FN, file: true, force: options.force ?? false });
    if (!existsSync(out)) return;
  }
  if (options.force) return;
  const items = await existingIndexItems(out, { fn: FN, connectTimeoutMs: options.connectTimeoutMs });
  if (items > 0) throw new ContrastiveError('STATE', `${FN}: { out: ${describeTarget(out)} } already holds an index of ${items} items; pass { force: true } to replace it, or choose another { out }${file ? '' : ' (or ?table=NAME)'}`);
}

/** The label text stored for class `c`. */
export function labelText(data: LabelledDataset, c: number): string {
  return data.classNames?.[c] ?? String(c);
}

/**
 * Embeds one split of a dataset with a bundle (ONNX where possible) and writes
 * a new index at `out`: id and source = the row's source (file path, or a row
 * name such as 'mnist:123' or 'fashion-mnist:42'), label = the class.
 * The target is replaced only when the whole build succeeded, and an index
 * there that holds items (added with `index add`, say) only with `force`; a
 * file target inside the bundle or the dataset never.
 *
 * @throws ContrastiveError for a bad bundle, dataset or target, or such an existing target.
 * @group Index
 */
export async function buildIndexFromDataset(options: IndexBuildOptions): Promise<IndexBuildResult> {
  const t0 = performance.now();
  const batch = options.batchSize ?? 1024;
  check(Number.isInteger(batch) && batch >= 1, FN, `batchSize must be a positive integer, got ${batch}`);
  if (options.shard) checkShard(options.shard, FN);
  await refuseExistingIndex(options);
  const embedder = await BundleEmbedder.load(options.model, { engine: options.engine });
  try {
    const bundle: OpenBundle = { dir: options.model, network: embedder.network, manifest: embedder.manifest };
    // a folder is decoded a batch at a time rather than loaded whole: an index of more images than fit in memory builds
    let rows = await indexRows(bundle, options.dataset, options.split ?? 'test', options.classes, onePassLoadOptions(bundle, options.dataset, options.load));
    if (options.shard) {
      rows = subsetDataset(rows, shardRows(rows.labels.length, options.shard));
      check(rows.labels.length > 0, FN, `shard ${options.shard.index}/${options.shard.count} of the split is empty (fewer rows than shards)`);
    }
    const examples = examplesOf(rows);
    const n = rows.labels.length;
    let embedSeconds = 0;
    const result = await EmbeddingIndex.build(
      options.out,
      { dim: embedder.dim, distance: embedder.distance, model: embedder.identity, ann: options.ann ?? options.hnsw, connectTimeoutMs: options.connectTimeoutMs },
      async (index) => {
        for (let start = 0; start < n; start += batch) {
          const count = Math.min(batch, n - start);
          const te = performance.now();
          const x = await examples.read(Int32Array.from({ length: count }, (_, j) => start + j));
          const emb = await embedder.embed(x, count);
          embedSeconds += (performance.now() - te) / 1000;
          const dim = embedder.dim;
          await index.add(
            Array.from({ length: count }, (_, j) => {
              const i = start + j;
              const source = rows.sources![i];
              return { id: source, label: labelText(rows, rows.labels[i]), source, vector: emb.subarray(j * dim, (j + 1) * dim) };
            }),
          );
          options.onProgress?.(start + count, n);
        }
        const stats = await index.stats();
        return { where: describeTarget(options.out), store: stats.store, items: stats.items, labels: stats.labels.length };
      },
    );
    return { ...result, dim: embedder.dim, model: embedder.identity, engine: embedder.engine, seconds: { embed: embedSeconds, total: (performance.now() - t0) / 1000 } };
  } finally {
    await embedder.dispose();
  }
}
