/** `contrastive margin`: sweeps the margin of the contrastive (or triplet) loss and recommends one. */
import { InvalidArgumentError, type Command } from 'commander';
import type { MarginSweepResult } from '../jobs/margin-sweep.js';
import { DEFAULT_MARGINS_NORMALIZED, DEFAULT_MARGINS_UNNORMALIZED, DEFAULT_SWEEP_EPOCHS, RUN_DEFAULTS } from '../jobs/choices.js';
import { addTrainingOptions, BACKBONE_OPTION_KEYS, checkDatasetOptions, checkEncoderOptions, checkLossOptions, runOptionsOf, trainingValues, type TrainCliOptions } from './training-options.js';
import { dflt, oneOf } from './options.js';
import { multiRunProgress, progressMode } from './progress.js';
import { plural, say, jsonText } from './output.js';

interface MarginCliOptions extends Omit<TrainCliOptions, 'loss' | 'margin' | 'resume'> {
  loss: 'contrastive' | 'triplet';
  margins?: number[];
}

const MARGIN_LOSSES = ['contrastive', 'triplet'] as const;

/** Parses '0.25,0.5,1,2': positive numbers, no repeats. */
export function marginList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  const bad = parts.findIndex((s, k) => s === '' || !Number.isFinite(out[k]) || out[k] <= 0);
  if (bad >= 0) throw new InvalidArgumentError(`expected a comma-separated list of positive numbers such as 0.25,0.5,1,2; '${parts[bad]}' in '${value}' is not one`);
  const twice = out.find((m, k) => out.indexOf(m) !== k);
  if (twice !== undefined) throw new InvalidArgumentError(`margin ${twice} is listed twice in '${value}'`);
  return out;
}

function printSweep(r: MarginSweepResult, table: (r: MarginSweepResult) => string): void {
  const init = r.initialDistances;
  const lines = [
    `margin sweep: ${r.dataset}, ${r.encoder} encoder, ${r.loss} loss, ${r.normalize ? 'L2-normalised' : 'unnormalised'} embeddings, ${r.distance} distance, ${plural(r.epochs, 'epoch')}${r.pairsPerEpoch ? ` of ${r.pairsPerEpoch} pairs` : ''}, seed ${r.seed}`,
    `distances at initialisation (validation pairs): similar ${init.meanPositive.toPrecision(3)}, dissimilar ${init.meanNegative.toPrecision(3)}`,
    '',
    table(r).trimEnd(),
    '',
    `recommended margin: ${r.recommended} (${r.rule})`,
    ...(r.budgetNote ? [`note: ${r.budgetNote}`] : []),
    `rule of thumb: ${r.ruleOfThumb}`,
    `sweep: ${r.outDir}/sweep.json`,
    ...(r.reportFile ? [`report: ${r.reportFile}`] : []),
  ];
  say(lines.join('\n') + '\n');
}

export function registerMarginCommand(program: Command): void {
  const cmd = program.command('margin').description('sweep the loss margin on a small budget, report AUC/EER/MAP@R per margin and recommend one');
  addTrainingOptions(cmd, {
    omit: ['margin', 'resume', 'skipNoFace', 'scoreNorm', 'cohortSize', ...BACKBONE_OPTION_KEYS],
    override: {
      epochs: { help: `epochs ${dflt(DEFAULT_SWEEP_EPOCHS)}` },
      loss: { help: `${MARGIN_LOSSES.join(' | ')} (the losses with a margin)`, parse: oneOf(MARGIN_LOSSES) },
      out: { help: 'sweep directory (default: runs/margin-<dataset>-<timestamp>)' },
      force: { help: 'write into an --out that already holds files' },
    },
  })
    .option(
      '--margins <list>',
      `margins to try (default: ${DEFAULT_MARGINS_NORMALIZED.join(',')} with normalised embeddings or cosine distance, ${DEFAULT_MARGINS_UNNORMALIZED.join(',')} otherwise)`,
      marginList,
    )
    .action(async (raw: Record<string, unknown>) => {
      const o = trainingValues<MarginCliOptions>(raw);
      checkDatasetOptions(o);
      checkEncoderOptions(o);
      checkLossOptions(o.loss, o);
      const { marginSweep, marginSweepTable, defaultMargins } = await import('../jobs/margin-sweep.js');
      const json = o.json ?? false;
      const runs = o.margins?.length ?? defaultMargins({ normalize: o.normalize ?? RUN_DEFAULTS.normalize, distance: o.distance }).length;
      const progress = multiRunProgress(progressMode(json), (margin: number) => `margin ${margin}`, runs);
      try {
        const result = await marginSweep(
          {
            // the swept loss and margin are the sweep's own options, not the job's
            ...runOptionsOf({ ...o, loss: undefined, margin: undefined }),
            margins: o.margins,
            loss: o.loss,
          },
          progress.onEvent,
        );
        progress.stop();
        if (json) process.stdout.write(jsonText({ type: 'done', ...result }) + '\n');
        else printSweep(result, marginSweepTable);
      } finally {
        progress.stop();
      }
    });
}
