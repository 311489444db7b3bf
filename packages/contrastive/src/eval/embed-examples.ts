/**
 * Embedding a dataset in chunks: a split held as bytes or streamed from files is
 * never turned into one float32 array; each chunk of rows is read (streamed
 * stores read ahead), embedded and dropped.
 */
import { check } from '../errors.js';
import type { ExampleStore, LabelledDataset, PairDataset } from '../data/types.js';
import { examplesOf } from '../data/examples.js';
import type { SiameseNetwork } from '../models/index.js';
import { readBatches } from '../data/read-batches.js';

/** Rows embedded at a time by {@link embedExamples} unless told otherwise. */
export const EMBED_CHUNK = 1024;

/** Options of {@link embedExamples}. @group Training */
export interface EmbedExamplesOptions {
  /** Examples read and embedded at a time; default 1024. */
  chunk?: number;
  /** How raw rows become embeddings (a bundle adds its preprocessing here); default the network's own embedBatched. */
  embed?: (x: Float32Array) => Promise<Float32Array>;
}

/**
 * The embeddings of every example of `data` (a dataset or an example store), in
 * row order, `count * network.embeddingDim` floats; memory beyond the result is
 * a few chunks of rows, whatever the dataset's size or storage.
 * @example
 * ```ts
 * import { SiameseNetwork, mlpEncoder, uint8Examples, embedExamples } from 'contrastive';
 *
 * const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [8], embeddingDim: 2, seed: 1 }));
 * const store = uint8Examples(new Uint8Array(4 * 10).fill(128), 4); // 10 examples as bytes
 * const emb = await embedExamples(net, store, { chunk: 4 });
 * console.log(emb.length); // 20
 * ```
 * @group Training
 */
export async function embedExamples(network: SiameseNetwork, data: ExampleStore | LabelledDataset | PairDataset, options: EmbedExamplesOptions = {}): Promise<Float32Array> {
  const chunk = options.chunk ?? EMBED_CHUNK;
  check(Number.isInteger(chunk) && chunk > 0, 'embedExamples', `chunk must be a positive integer, got ${chunk}`);
  const store = 'read' in data ? data : examplesOf(data);
  const embed = options.embed ?? ((x: Float32Array) => network.embedBatched(x));
  const dim = network.embeddingDim;
  const out = new Float32Array(store.count * dim);
  const starts = Array.from({ length: Math.ceil(store.count / chunk) }, (_, k) => k * chunk);
  const rowsOf = (s: number): Int32Array => Int32Array.from({ length: Math.min(store.count, s + chunk) - s }, (_, k) => s + k);
  for await (const { item: s, rows } of readBatches(store, starts, rowsOf)) {
    out.set(await embed(rows), s * dim);
  }
  return out;
}
