/** `contrastive compare`: trains several losses on the same budget and prints one Markdown table. */
import { InvalidArgumentError, type Command } from 'commander';
import { compareLosses, compareMarkdown } from '../jobs/compare-losses.js';
import { LOSS_NAMES, type LossName } from '../train/index.js';
import { addTrainingOptions, runOptionsOf, type TrainCliOptions } from './train.js';
import { oneOf, positiveNumber } from './options.js';
import { progressMode, trainProgress } from './progress.js';

interface CompareCliOptions extends Omit<TrainCliOptions, 'loss' | 'resume'> {
  losses: LossName[];
  tripletMargin?: number;
  tripletMiner?: string;
}

/** Parses 'contrastive,triplet,cross-entropy': known loss names, no repeats. */
export function lossList(value: string): LossName[] {
  const parts = value.split(',').map((s) => s.trim());
  const bad = parts.find((s) => !(LOSS_NAMES as readonly string[]).includes(s));
  if (bad !== undefined) throw new InvalidArgumentError(`'${bad}' in '${value}' is not a loss (expected a comma-separated list of ${LOSS_NAMES.join(', ')})`);
  const twice = parts.find((s, k) => parts.indexOf(s) !== k);
  if (twice !== undefined) throw new InvalidArgumentError(`loss '${twice}' is listed twice in '${value}'`);
  return parts as LossName[];
}

export function registerCompareCommand(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train contrastive, triplet and cross-entropy on the same encoder, data, budget and seed; print one Markdown table');
  addTrainingOptions(cmd)
    .option('--losses <list>', `losses to compare (default ${LOSS_NAMES.join(',')})`, lossList)
    .option('--margin <m>', 'margin of the contrastive loss (default 0.5 with normalised embeddings, 1 without)', positiveNumber)
    .option('--triplet-margin <m>', 'margin of the triplet loss (default: --margin)', positiveNumber)
    .option('--triplet-miner <name>', 'triplet miner: all | hard | semi-hard (default semi-hard)', oneOf(['all', 'hard', 'semi-hard'] as const))
    .option('--out <dir>', 'comparison directory (default runs/compare-<dataset>-<timestamp>)')
    .addHelpText('after', '\n--miner applies to the contrastive loss only (default: offline balanced pairs); cross-entropy always trains on offline pairs.')
    .action(async (o: CompareCliOptions) => {
      const json = o.json ?? false;
      const mode = progressMode(json);
      let progress: ReturnType<typeof trainProgress> | undefined;
      let current: LossName | undefined;
      try {
        const result = await compareLosses(
          {
            ...runOptionsOf(o),
            losses: o.losses,
            tripletMargin: o.tripletMargin,
            pairMiner: o.miner,
            tripletMiner: o.tripletMiner,
          },
          (loss, e) => {
            if (loss !== current) {
              progress?.stop();
              progress = trainProgress(mode, loss);
              current = loss;
            }
            progress!.onEvent(e);
          },
        );
        progress?.stop();
        if (json) process.stdout.write(JSON.stringify({ type: 'done', ...result }) + '\n');
        else process.stdout.write(compareMarkdown(result) + `\nwritten: ${result.outDir}/compare.md, ${result.outDir}/compare.json\n`);
      } finally {
        progress?.stop();
      }
    });
}
