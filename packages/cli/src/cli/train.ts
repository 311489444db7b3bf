/** `contrastive train`: trains a Siamese network and writes a run directory. */
import type { Command } from 'commander';
import type { FaceRunMetrics } from '../jobs/face-train.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { LossName } from 'contrastive/internal/train/choices.js';
import type { RunMetrics } from '../jobs/run-training.js';
import { choices, oneOf } from './options.js';
import { PRESETS, PRESET_NAMES, withPreset, type PresetName } from '../jobs/presets.js';
import { addTrainingOptions, checkDatasetOptions, checkEncoderOptions, checkLossOptions, runOptionsOf, trainingValues, type TrainCliOptions } from './training-options.js';
import { progressMode, taskProgress, trainProgress } from './progress.js';
import { datasetKind } from '@contrastive/node/internal/data/specs.js';
import { plural, say, warn, jsonText } from './output.js';

function printSummary(outDir: string, m: RunMetrics, reportFile: string | null): void {
  const v = m.verification;
  const lines = [
    `run: ${outDir}`,
    `dataset ${m.dataset}, ${m.backbone ? `backbone ${m.backbone.source} at '${m.backbone.layer}' (${m.backbone.fineTune ? `last ${m.backbone.fineTune} weighted layers fine-tuned` : 'frozen'}) + head` : `encoder ${m.encoder}`}, loss ${m.loss}${m.miner ? ` (${m.miner})` : ''}${m.loss === 'cross-entropy' ? '' : `, margin ${m.margin}`}, backend ${m.backend}`,
    `trained ${plural(m.epochs, 'epoch')} (best ${m.bestEpoch}) in ${m.trainSeconds.toFixed(1)} s`,
    `verification on ${v.pairs} test pairs: accuracy ${v.accuracy.toFixed(4)} at threshold ${v.threshold.toFixed(4)}, AUC ${v.auc.toFixed(4)}, EER ${v.eer.toFixed(4)}`,
  ];
  if (m.retrieval) {
    lines.push(`retrieval on ${m.retrieval.queries} test queries: P@1 ${m.retrieval.precisionAt1.toFixed(4)}, MAP@R ${m.retrieval.mapAtR.toFixed(4)}`);
  }
  const faces = (m as Partial<FaceRunMetrics>).faces;
  if (faces) {
    // faces:DIR: the head beside the raw pretrained descriptor, on the same pairs of people never trained on.
    const d = faces.descriptor;
    lines.push(`raw face descriptor on the same pairs: accuracy ${d.accuracy.toFixed(4)} at threshold ${d.threshold.toFixed(4)}, AUC ${d.auc.toFixed(4)}, EER ${d.eer.toFixed(4)}, P@1 ${d.precisionAt1.toFixed(4)} (people: ${faces.people.train} train, ${faces.people.validation} validation, ${faces.people.test} test; ${faces.skipped.length} of ${faces.images + faces.skipped.length} images without a usable face)`);
    // every face figure above depends on the detector that found the faces
    lines.push(`face figures above: ${faces.detector}`);
  }
  lines.push(`model bundle: ${outDir}/model`);
  if (reportFile) lines.push(`report: ${reportFile}`);
  say(lines.join('\n') + '\n');
}

/** Every check of a train invocation, before any work. */
export function checkTrainOptions(o: TrainCliOptions & { loss: LossName }): void {
  if (o.resume && !o.out) throw new ContrastiveError('INVALID_ARGUMENT', '--resume needs --out DIR, the run directory to continue');
  if (o.resume && o.validationFolds !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', '--resume does not apply to --validation-folds: a fold run keeps every epoch\'s weights in memory and writes no checkpoint; run it again');
  if (o.resume && o.force) throw new ContrastiveError('INVALID_ARGUMENT', '--resume continues the run in --out and --force writes over it: pass one of them');
  checkDatasetOptions(o);
  checkEncoderOptions(o);
  checkLossOptions(o.loss, o);
  if (o.skipNoFace && datasetKind(o.dataset) !== 'faces') throw new ContrastiveError('INVALID_ARGUMENT', `--skip-no-face applies to --dataset faces:DIR; --dataset ${o.dataset} is not one`);
}

export function registerTrainCommand(program: Command): void {
  const cmd = program.command('train').description('train a Siamese network (contrastive loss by default) and save a model bundle');
  addTrainingOptions(cmd)
    .option('--preset <name>', `a measured configuration: ${choices(PRESET_NAMES)} (options given explicitly win; see the README)`, oneOf(PRESET_NAMES))
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const o = trainingValues<TrainCliOptions & { loss: LossName; preset?: PresetName }>(raw);
      // The preset's encoder, miner and validation classes count as given for the checks.
      if (o.preset) {
        const p = PRESETS[o.preset];
        if (command.getOptionValueSource('encoder') === 'default' && p.encoder) o.encoder = p.encoder;
        if (typeof p.train?.miner === 'string') o.miner ??= p.train.miner;
        if (o.holdoutClasses?.length && o.validationFolds === undefined) o.validationClasses ??= p.validationClasses;
      }
      checkTrainOptions(o);
      const { runTraining } = await import('../jobs/run-training.js');
      const mode = progressMode(o.json);
      const progress = trainProgress(mode);
      // work before the first epoch (faces:DIR describes every photo): a bar on a terminal, progress lines in the --json stream
      const before = taskProgress(mode);
      try {
        const job = o.preset ? withPreset(o.preset, runOptionsOf(trainingValues(raw, command))) : runOptionsOf(o);
        const { outDir, metrics, reportFile } = await runTraining({ ...job, onProgress: before.onProgress }, (e) => {
          before.stop();
          progress.onEvent(e);
        });
        progress.stop();
        const faces = (metrics as Partial<FaceRunMetrics>).faces;
        if (faces?.skipped.length) {
          process.stderr.write(`skipped ${plural(faces.skipped.length, 'photo')} without a usable face: ${faces.skipped.slice(0, 5).map((s) => s.file).join(', ')}${faces.skipped.length > 5 ? ', ...' : ''} (all in ${outDir}/metrics.json)\n`);
        }
        for (const w of faces?.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
        if (metrics.skippedImages?.length) {
          warn(`skipped ${plural(metrics.skippedImages.length, 'image')} that could not be decoded: ${metrics.skippedImages.slice(0, 5).join(', ')}${metrics.skippedImages.length > 5 ? ', ...' : ''} (all in ${outDir}/metrics.json)\n`);
        }
        if (o.json) process.stdout.write(jsonText({ type: 'done', outDir, metrics, reportFile }) + '\n');
        else printSummary(outDir, metrics, reportFile);
      } finally {
        before.stop();
        progress.stop();
      }
    });
}

// Moved to training-options.ts; re-exported for command files written against the old place.
export { addTrainingOptions, runOptionsOf, loadOptionsOf, type TrainCliOptions } from './training-options.js';
