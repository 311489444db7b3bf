/** `contrastive train`: trains a Siamese network and writes a run directory. */
import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backend.js';
import { LOSS_NAMES, OPTIMIZER_NAMES, LR_SCHEDULES, type LrSchedule, type LossName, type OptimizerName, type MonitorName } from '../train/index.js';
import { ENCODER_NAMES, runTraining, type EncoderName, type RunMetrics, type RunTrainingOptions } from '../jobs/run-training.js';
import type { DistanceName } from '../distances/index.js';
import { fraction, imageSize, intList, nonNegativeInt, oneOf, positiveInt, positiveNumber } from './options.js';
import { progressMode, trainProgress } from './progress.js';
import { ContrastiveError } from '../errors.js';
import type { LoadDatasetOptions } from '../data/index.js';

export interface TrainCliOptions {
  dataset: string;
  dataDir?: string;
  imageSize?: [number, number];
  channels?: number;
  encoder: EncoderName;
  embeddingDim?: number;
  hidden?: number[];
  dropout?: number;
  filters?: number[];
  dense?: number;
  batchNorm?: boolean;
  normalize?: boolean;
  loss: LossName;
  miner?: string;
  margin?: number;
  distance: DistanceName;
  epochs?: number;
  batchSize?: number;
  mPerClass?: number;
  pairsPerEpoch?: number;
  optimizer: OptimizerName;
  lr?: number;
  lrSchedule?: LrSchedule;
  seed: number;
  patience?: number;
  monitor?: MonitorName;
  augmentShift?: number;
  holdoutClasses?: number[];
  backend: BackendChoice;
  out?: string;
  resume?: boolean;
  json?: boolean;
}

/** Adds the options shared by train, compare and margin. */
export function addTrainingOptions(cmd: Command): Command {
  return cmd
    .option('--dataset <spec>', 'mnist | fashion-mnist | idx:DIR | folder:DIR | pairs:FILE.csv', 'mnist')
    .option('--data-dir <dir>', 'where fashion-mnist (or other files) live')
    .option('--image-size <WxH>', 'resize images of folder:/pairs: datasets to this size', imageSize)
    .option('--channels <n>', '1 (grayscale) or 3 (RGB) for folder:/pairs: datasets', positiveInt)
    .option('--encoder <name>', ENCODER_NAMES.join(' | '), oneOf(ENCODER_NAMES), 'mlp')
    .option('--embedding-dim <n>', 'embedding size (default 64)', positiveInt)
    .option('--hidden <list>', 'hidden layer widths of the mlp encoder (default 512,256)', intList)
    .option('--filters <list>', 'conv widths of the cnn encoder (default 32,64)', intList)
    .option('--dense <n>', 'dense layer width of the cnn encoder (default 128)', positiveInt)
    .option('--batch-norm', 'batch normalisation in the cnn encoder')
    .option('--dropout <rate>', 'dropout after each hidden layer of the mlp encoder (default 0)', fraction)
    .option('--no-normalize', 'do not L2-normalise embeddings (by default they are, and D lies in [0, 2])')
    .option('--distance <name>', 'euclidean | squaredEuclidean | cosine', oneOf(['euclidean', 'squaredEuclidean', 'cosine'] as const), 'euclidean')
    .option('--miner <name>', 'in-batch miner: all | hard-negative | semi-hard | pair-margin (contrastive); all | hard | semi-hard (triplet)')
    .option('--epochs <n>', 'epochs (default 40)', positiveInt)
    .option('--batch-size <n>', 'pairs per step (default 128)', positiveInt)
    .option('--m-per-class <n>', 'examples per class in a mining batch (default: batch / classes)', positiveInt)
    .option('--pairs-per-epoch <n>', 'training pairs per epoch (default: training examples)', positiveInt)
    .option('--optimizer <name>', OPTIMIZER_NAMES.join(' | '), oneOf(OPTIMIZER_NAMES), 'adam')
    .option('--lr <x>', 'learning rate (default 0.001)', positiveNumber)
    .option('--lr-schedule <name>', 'constant | cosine (decay to 0 at the last epoch; default constant)', oneOf(LR_SCHEDULES))
    .option('--seed <n>', 'random seed', nonNegativeInt, 42)
    .option('--patience <n>', 'early stopping: epochs without improvement (0 = off, default 10)', nonNegativeInt)
    .option('--monitor <metric>', 'validation metric for early stopping: auc | accuracy | eer', oneOf(['auc', 'accuracy', 'eer'] as const))
    .option('--augment-shift <px>', 'shift training images randomly by up to this many pixels (default 1 for labelled images, 0 otherwise)', nonNegativeInt)
    .option('--holdout-classes <list>', 'classes kept out of training, e.g. 5,6,7,8,9 (zero-shot test)', intList)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print machine-readable JSON lines instead of a progress bar');
}

export function loadOptionsOf(o: Pick<TrainCliOptions, 'dataDir' | 'imageSize' | 'channels'>): LoadDatasetOptions {
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--channels must be 1 or 3, got ${o.channels}`);
  }
  return { dataDir: o.dataDir, height: o.imageSize?.[0], width: o.imageSize?.[1], channels: o.channels as 1 | 3 | undefined };
}

/**
 * The training job an invocation describes: every option `addTrainingOptions`
 * adds, mapped once here so that train, margin and compare never drift apart.
 */
export function runOptionsOf(o: Partial<TrainCliOptions> & Pick<TrainCliOptions, 'dataset' | 'encoder' | 'backend'>): RunTrainingOptions {
  return {
    dataset: o.dataset,
    load: loadOptionsOf(o),
    encoder: o.encoder,
    embeddingDim: o.embeddingDim,
    hidden: o.hidden,
    dropout: o.dropout,
    filters: o.filters,
    dense: o.dense,
    batchNorm: o.batchNorm,
    normalize: o.normalize,
    holdoutClasses: o.holdoutClasses,
    backend: o.backend,
    out: o.out,
    train: {
      loss: o.loss,
      miner: o.miner,
      margin: o.margin,
      distance: o.distance,
      epochs: o.epochs,
      batchSize: o.batchSize,
      mPerClass: o.mPerClass,
      pairsPerEpoch: o.pairsPerEpoch,
      optimizer: o.optimizer,
      learningRate: o.lr,
      lrSchedule: o.lrSchedule,
      seed: o.seed,
      patience: o.patience,
      monitor: o.monitor,
      augmentShift: o.augmentShift,
      resume: o.resume ?? false,
    },
  };
}

function printSummary(outDir: string, m: RunMetrics): void {
  const v = m.verification;
  const lines = [
    `run: ${outDir}`,
    `dataset ${m.dataset}, encoder ${m.encoder}, loss ${m.loss}${m.miner ? ` (${m.miner})` : ''}, margin ${m.margin}, backend ${m.backend}`,
    `trained ${m.epochs} epochs (best ${m.bestEpoch}) in ${m.trainSeconds.toFixed(1)} s`,
    `verification on ${v.pairs} test pairs: accuracy ${v.accuracy.toFixed(4)} at threshold ${v.threshold.toFixed(4)}, AUC ${v.auc.toFixed(4)}, EER ${v.eer.toFixed(4)}`,
  ];
  if (m.retrieval) {
    lines.push(`retrieval on ${m.retrieval.queries} test queries: P@1 ${m.retrieval.precisionAt1.toFixed(4)}, MAP@R ${m.retrieval.mapAtR.toFixed(4)}`);
  }
  lines.push(`model bundle: ${outDir}/model`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerTrainCommand(program: Command): void {
  const cmd = program.command('train').description('train a Siamese network (contrastive loss by default) and save a model bundle');
  addTrainingOptions(cmd)
    .option('--loss <name>', LOSS_NAMES.join(' | '), oneOf(LOSS_NAMES), 'contrastive')
    .option('--margin <m>', 'margin of the contrastive/triplet loss (default 0.5 with normalised embeddings, 1 without)', positiveNumber)
    .option('--out <dir>', 'output directory (default runs/<dataset>-<timestamp>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .action(async (o: TrainCliOptions) => {
      if (o.resume && !o.out) throw new ContrastiveError('INVALID_ARGUMENT', '--resume needs --out DIR, the run directory to continue');
      const progress = trainProgress(progressMode(o.json));
      try {
        const { outDir, metrics } = await runTraining(runOptionsOf(o), progress.onEvent);
        progress.stop();
        if (o.json) process.stdout.write(JSON.stringify({ type: 'done', outDir, metrics }) + '\n');
        else printSummary(outDir, metrics);
      } finally {
        progress.stop();
      }
    });
}
