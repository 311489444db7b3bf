/** `contrastive margin`: sweeps the margin of the contrastive (or triplet) loss and recommends one. */
import { InvalidArgumentError, type Command } from 'commander';
import { marginSweep, marginSweepTable, type MarginSweepResult } from '../jobs/margin-sweep.js';
import { addTrainingOptions, runOptionsOf, type TrainCliOptions } from './train.js';
import { oneOf } from './options.js';
import { progressMode, trainProgress } from './progress.js';

interface MarginCliOptions extends Omit<TrainCliOptions, 'loss' | 'margin' | 'resume'> {
  loss: 'contrastive' | 'triplet';
  margins?: number[];
}

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

function printSweep(r: MarginSweepResult): void {
  const init = r.initialDistances;
  const lines = [
    `margin sweep: ${r.dataset}, ${r.encoder} encoder, ${r.loss} loss, ${r.normalize ? 'L2-normalised' : 'unnormalised'} embeddings, ${r.distance} distance, ${r.epochs} epoch${r.epochs === 1 ? "" : "s"}${r.pairsPerEpoch ? ` of ${r.pairsPerEpoch} pairs` : ''}, seed ${r.seed}`,
    `distances at initialisation (validation pairs): similar ${init.meanPositive.toPrecision(3)}, dissimilar ${init.meanNegative.toPrecision(3)}`,
    '',
    marginSweepTable(r).trimEnd(),
    '',
    `recommended margin: ${r.recommended} (${r.rule})`,
    `rule of thumb: ${r.ruleOfThumb}`,
    `sweep: ${r.outDir}/sweep.json`,
    ...(r.reportFile ? [`report: ${r.reportFile}`] : []),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerMarginCommand(program: Command): void {
  const cmd = program.command('margin').description('sweep the loss margin on a small budget, report AUC/EER/MAP@R per margin and recommend one');
  addTrainingOptions(cmd)
    .option('--margins <list>', 'margins to try, e.g. 0.25,0.5,1,2 (default depends on --normalize)', marginList)
    .option('--loss <name>', 'contrastive | triplet (the losses with a margin)', oneOf(['contrastive', 'triplet'] as const), 'contrastive')
    .option('--out <dir>', 'sweep directory (default runs/margin-<dataset>-<timestamp>)')
    .action(async (o: MarginCliOptions) => {
      const json = o.json ?? false;
      const mode = progressMode(json);
      let progress: ReturnType<typeof trainProgress> | undefined;
      let current: number | undefined;
      try {
        const result = await marginSweep(
          {
            // the swept loss and margin are the sweep's own options, not the job's
            ...runOptionsOf({ ...o, loss: undefined, margin: undefined }),
            margins: o.margins,
            loss: o.loss,
          },
          (margin, e) => {
            if (margin !== current) {
              progress?.stop();
              progress = trainProgress(mode, `margin ${margin}`);
              current = margin;
            }
            progress!.onEvent(e);
          },
        );
        progress?.stop();
        if (json) process.stdout.write(JSON.stringify({ type: 'done', ...result }) + '\n');
        else printSweep(result);
      } finally {
        progress?.stop();
      }
    });
}
