/** `contrastive compare`: trains several losses on the same budget and prints one Markdown table. */
import { InvalidArgumentError, type Command } from 'commander';
import { LOSS_NAMES, type LossName } from 'contrastive/internal/train/choices.js';
import { TRIPLET_MINER_NAMES, DEFAULT_TRIPLET_MINER, PAIR_MINER_NAMES, type TripletMinerName } from 'contrastive/internal/miners/names.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { addTrainingOptions, BACKBONE_OPTION_KEYS, checkDatasetOptions, checkEncoderOptions, checkLossOptions, runOptionsOf, trainingValues, MARGIN_HELP, type TrainCliOptions } from './training-options.js';
import { choices, dflt, oneOf, positiveNumber } from './options.js';
import { multiRunProgress, progressMode } from './progress.js';
import { say, jsonText } from './output.js';

interface CompareCliOptions extends Omit<TrainCliOptions, 'loss' | 'resume'> {
  losses?: LossName[];
  tripletMargin?: number;
  tripletMiner?: TripletMinerName;
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

/** Checks a compare invocation: --miner is the contrastive loss's, --triplet-* need the triplet loss. */
function checkCompareOptions(o: CompareCliOptions, losses: readonly LossName[]): void {
  checkDatasetOptions(o);
  checkEncoderOptions(o);
  if (o.miner !== undefined && !losses.includes('contrastive')) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--miner is the contrastive loss's pair miner, and --losses ${losses.join(',')} does not train it`);
  }
  if (o.miner !== undefined) checkLossOptions('contrastive', { miner: o.miner });
  for (const [flag, value] of [['--triplet-margin', o.tripletMargin], ['--triplet-miner', o.tripletMiner]] as const) {
    if (value !== undefined && !losses.includes('triplet')) throw new ContrastiveError('INVALID_ARGUMENT', `${flag} applies to the triplet loss, and --losses ${losses.join(',')} does not train it`);
  }
  if (o.margin !== undefined && !losses.includes('contrastive') && !losses.includes('triplet')) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--margin applies to the contrastive and triplet losses, and --losses ${losses.join(',')} trains neither`);
  }
  if (o.mPerClass !== undefined && !losses.includes('triplet') && o.miner === undefined) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--m-per-class sizes mining batches; with --losses ${losses.join(',')} and no --miner every loss trains on offline pairs`);
  }
}

export function registerCompareCommand(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train contrastive, triplet and cross-entropy on the same encoder, data, budget and seed; print one Markdown table');
  addTrainingOptions(cmd, {
    omit: ['loss', 'resume', 'skipNoFace', 'scoreNorm', 'cohortSize', ...BACKBONE_OPTION_KEYS],
    override: {
      margin: { help: `margin of the contrastive loss ${MARGIN_HELP}` },
      out: { help: 'comparison directory (default: runs/compare-<dataset>-<timestamp>)' },
      force: { help: 'write into an --out that already holds files' },
    },
  })
    .option('--losses <list>', `losses to compare ${dflt(LOSS_NAMES)}`, lossList)
    .option('--triplet-margin <m>', 'margin of the triplet loss (default: --margin)', positiveNumber)
    .option('--triplet-miner <name>', `triplet miner: ${choices(TRIPLET_MINER_NAMES)} ${dflt(DEFAULT_TRIPLET_MINER)}`, oneOf(TRIPLET_MINER_NAMES))
    .addHelpText(
      'after',
      `\n--miner here is the contrastive loss's pair miner (${choices(PAIR_MINER_NAMES)}; default: offline balanced pairs); cross-entropy always trains on offline pairs.`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const o = trainingValues<CompareCliOptions>(raw);
      const losses = o.losses ?? [...LOSS_NAMES];
      checkCompareOptions(o, losses);
      const { compareLosses, compareMarkdown } = await import('../jobs/compare-losses.js');
      const json = o.json ?? false;
      const progress = multiRunProgress(progressMode(json), (loss: LossName) => loss, losses.length);
      try {
        const result = await compareLosses(
          {
            ...runOptionsOf({ ...o, miner: undefined }),
            losses,
            tripletMargin: o.tripletMargin,
            pairMiner: o.miner,
            tripletMiner: o.tripletMiner,
          },
          progress.onEvent,
        );
        progress.stop();
        if (json) process.stdout.write(jsonText({ type: 'done', ...result }) + '\n');
        else say(compareMarkdown(result) + `\nwritten: ${result.outDir}/compare.md, ${result.outDir}/compare.json${result.reportFile ? `, ${result.reportFile}` : ''}\n`);
      } finally {
        progress.stop();
      }
    });
}
