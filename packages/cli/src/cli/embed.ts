/** `contrastive embed`: embeddings of a dataset split or of image files, to .npy or JSON lines. */
import type { Command } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { EMBEDDINGS_FORMATS, embeddingsFormatOf, type EmbeddingsFormat } from '@contrastive/node/internal/export/embeddings-file.js';
import { addBundleDataOptions, openForData, openModel, splitWarning, type BundleDataCliOptions } from './bundle-options.js';
import { checkDatasetOptions } from './training-options.js';
import { choices, oneOf, shardOption } from './options.js';
import type { Shard } from '../jobs/shard.js';
import { toJson, say, warn } from './output.js';

interface EmbedCliOptions extends BundleDataCliOptions {
  out: string;
  shard?: Shard;
  format?: EmbeddingsFormat;
  force?: boolean;
}

export function registerEmbedCommand(program: Command): void {
  const cmd = program
    .command('embed')
    .description('write the embeddings of a dataset (or a split of it) or of image files to a .npy matrix or JSON lines')
    .argument('[files...]', 'image files to embed (instead of --dataset)');
  addBundleDataOptions(cmd, 'all', false)
    .requiredOption('--out <file>', 'output file: .npy (float32 [rows, dim], rows in data order) or .jsonl (one { index, source, label, embedding } per line)')
    .option('--format <name>', `${choices(EMBEDDINGS_FORMATS)} (default: from the --out extension)`, oneOf(EMBEDDINGS_FORMATS))
    .option('--force', 'replace an --out file that already exists (never the bundle, an image or the dataset read)')
    .option('--shard <i/n>', 'embed only shard i of n (counted from 0): the i-th of n contiguous blocks of the rows (or files) in order; the shards\' files in order 0..n-1 hold the rows of one whole run', shardOption)
    .action(async (files: string[], o: EmbedCliOptions) => {
      const format = o.format ?? embeddingsFormatOf(o.out);
      if (format === null) throw new ContrastiveError('INVALID_ARGUMENT', `--out ${o.out}: cannot tell the format from the extension; name it .npy or .jsonl, or pass --format`);
      if (files.length > 0 && o.dataset !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', 'give image files or --dataset, not both');
      const splitOptions = ['seed', 'validationFraction', 'testFraction', 'holdoutClasses', 'dataDir', 'imageSize', 'channels', 'skipBadImages', 'storage', 'cacheMb'] as const;
      const given = splitOptions.filter((k) => o[k] !== undefined);
      if (files.length > 0 && (given.length > 0 || o.split !== 'all')) {
        throw new ContrastiveError('INVALID_ARGUMENT', `--split and the dataset options apply to --dataset; image files are embedded as they are (files are resized to the bundle's input size)`);
      }
      if (o.dataset !== undefined) checkDatasetOptions({ ...o, dataset: o.dataset }, 'stream');
      const { embedToFile } = await import('../jobs/embed.js');
      const { bundle, dataset, data } = files.length > 0 ? { bundle: await openModel(o, 'embed'), dataset: undefined, data: undefined } : await openForData(o, 'embed');
      try {
        const r = await embedToFile(bundle, files.length > 0 ? { files, shard: o.shard } : { dataset: dataset!, split: data!.split, load: data!.load, runSplit: data!.runSplit, shard: o.shard }, o.out, format, { force: o.force });
        const warning = r.runSplit ? splitWarning(o.split, r.runSplit) : null;
        if (o.json) process.stdout.write(toJson({ model: bundle.dir, ...r, warnings: warning ? [warning] : [] }) + '\n');
        else {
          say(`wrote ${r.file}: ${r.rows} embeddings of dimension ${r.dim} (${r.format})\n`);
          if (warning) warn(`contrastive: ${warning}\n`);
        }
      } finally {
        bundle.network.dispose();
      }
    });
}
