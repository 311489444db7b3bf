/**
 * Embeddings of a dataset split or of image files with a saved bundle
 * (`contrastive embed`), the bundle's preprocessing and normalisation applied,
 * written to `.npy` or JSON lines.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import type { LoadDatasetOptions } from '@contrastive/node/internal/data/index.js';
import { isPairDataset } from 'contrastive/internal/data/types.js';
import { toModelInput } from 'contrastive/internal/models/model-input.js';
import { prepareOutputFile, refuseExistingOutput, type ReadPath } from '@contrastive/node/internal/util/output-dir.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';
import { writeEmbeddingsFile, embeddingsFormatOf, type EmbeddingSet, type EmbeddingsFormat } from '@contrastive/node/internal/export/embeddings-file.js';
import { bundleSplit, type OpenBundle, type RunSplit, type SplitName } from './evaluate-bundle.js';
import { onePassLoadOptions } from './bundle-split.js';
import { readPairInput } from './verify-pair.js';
import { checkShard, shardRange, shardRows, type Shard } from './shard.js';
import { subsetDataset } from 'contrastive/internal/data/split.js';
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';

/** What to embed: a dataset (a split of it, or all of it), or image files. @group Export */
export type EmbedInput = (
  | { dataset: string; split?: SplitName; load?: LoadDatasetOptions; runSplit?: Partial<Omit<RunSplit, 'source'>> }
  | { files: string[] }
) & {
  /** Only this shard of the rows (files or the split's rows, in order): see {@link shardRange}. */
  shard?: Shard;
};

const FN = 'embed';

/**
 * Embeds `input` with `bundle`: a dataset split as the training run split it
 * (default: all of the dataset), or image files decoded as the bundle's
 * preprocessing says. Rows follow the dataset's order, or the files' order.
 *
 * @throws ContrastiveError for a pairs-only dataset (embed its files instead), no files, or an undecodable file.
 * @group Export
 */
export async function embedInputs(bundle: OpenBundle, input: EmbedInput): Promise<EmbeddingSet & { runSplit?: RunSplit }> {
  const { network } = bundle;
  if (input.shard) checkShard(input.shard, FN);
  if ('files' in input) {
    check(input.files.length > 0, FN, 'no image files to embed');
    const { start, end } = input.shard ? shardRange(input.files.length, input.shard) : { start: 0, end: input.files.length };
    const files = input.files.slice(start, end);
    const rows = await Promise.all(files.map((path) => readPairInput(bundle, { kind: 'file', path })));
    const x = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
    rows.forEach((r, i) => x.set(r, i * r.length));
    const embeddings = await network.embedBatched(x);
    checkFinite(bundle, embeddings, network.embeddingDim, files);
    return { embeddings, dim: network.embeddingDim, sources: files };
  }
  const split = input.split ?? 'all';
  // a folder is read a chunk at a time (decoded per chunk), so a collection larger than memory embeds in bounded memory
  const loaded = await bundleSplit(bundle, input.dataset, split, onePassLoadOptions(bundle, input.dataset, input.load), FN, input.runSplit);
  const { runSplit } = loaded;
  let data = loaded.data;
  if (isPairDataset(data)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: '${input.dataset}' is a pairs-only dataset; embed its image files instead ({ files })`);
  }
  const names = data.sources ?? Array.from({ length: data.labels.length }, (_, i) => `${input.dataset}${split === 'all' ? '' : `:${split}`}:${i}`);
  let sources = names;
  if (input.shard) {
    const rows = shardRows(data.labels.length, input.shard);
    data = subsetDataset(data, rows);
    sources = Array.from(rows, (r) => names[r]);
  }
  const p = bundle.manifest.input.preprocessing;
  const embeddings = await embedExamples(network, data, { embed: (x) => network.embedBatched(toModelInput(x, p)) });
  checkFinite(bundle, embeddings, network.embeddingDim, sources);
  return { embeddings, dim: network.embeddingDim, sources, labels: data.labels, classNames: data.classNames, ...(split === 'all' ? {} : { runSplit }) };
}

/** Refuses to hand on a non-finite embedding (written out, it would poison every later search), naming the bundle and the row. */
function checkFinite(bundle: OpenBundle, embeddings: Float32Array, dim: number, sources: readonly string[]): void {
  const k = embeddings.findIndex((v) => !Number.isFinite(v));
  if (k < 0) return;
  const row = Math.floor(k / dim);
  throw new ContrastiveError('NUMERIC', `${FN}: the bundle ${bundle.dir} embeds ${sources[row] ?? `row ${row}`} to ${embeddings[k]} (value ${k % dim}): its embeddings are not finite there (a damaged or diverged model, or an input far outside what it was trained on); nothing was written`);
}

/** What {@link embedToFile} wrote. @group Export */
export interface EmbedFileResult {
  file: string;
  format: EmbeddingsFormat;
  rows: number;
  dim: number;
  runSplit?: RunSplit;
}

/** What {@link embedToFile} reads: the bundle, and the image files or the dataset. */
function embedInputPaths(bundle: OpenBundle, input: EmbedInput): ReadPath[] {
  const paths: ReadPath[] = [{ path: bundle.dir, what: 'the bundle' }];
  if ('files' in input) input.files.forEach((f, i) => paths.push({ path: f, what: `image ${i + 1}` }));
  else paths.push(...datasetReadPaths(input.dataset, input.load?.dataDir));
  return paths;
}

/**
 * Embeds `input` and writes the embeddings to `file` (`.npy`: a float32 matrix
 * [rows, dim]; `.jsonl`: one `{ index, source, label, embedding }` per line).
 * The output location is checked before any embedding is computed: a file
 * that exists and is not empty is replaced only with `force`, and one that is
 * (or lies inside) the bundle, an image or the dataset never.
 *
 * @throws ContrastiveError for such an output, an unknown format, and as {@link embedInputs}.
 * @group Export
 */
export async function embedToFile(bundle: OpenBundle, input: EmbedInput, file: string, format?: EmbeddingsFormat, options: { force?: boolean } = {}): Promise<EmbedFileResult> {
  const f = format ?? embeddingsFormatOf(file);
  if (f === null) throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: cannot tell the format of ${file} from its extension: name it .npy or .jsonl, or pass { format }`);
  await refuseExistingOutput(file, file, { fn: FN, file: true, force: options.force, inputs: embedInputPaths(bundle, input) });
  await prepareOutputFile(file);
  const set = await embedInputs(bundle, input);
  await writeEmbeddingsFile(file, set, f);
  return { file, format: f, rows: set.embeddings.length / set.dim, dim: set.dim, ...(set.runSplit ? { runSplit: set.runSplit } : {}) };
}
