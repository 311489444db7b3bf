/**
 * The trainer: fits a Siamese network with the contrastive loss (default), the
 * triplet loss or the cross-entropy baseline, on the same encoder and data, so
 * the three can be compared. Validates every epoch on held-out pairs, stops
 * early on a validation metric, checkpoints each epoch and resumes exactly.
 *
 * Data order depends only on (seed, epoch), so a resumed run sees the same
 * batches as an uninterrupted one and ends with the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { isPairDataset, type LabelledDataset, type PairDataset, type IndexPairs } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import { contrastiveLoss, tripletLossFromIndices, pairLossFromIndices } from '../losses/index.js';
import { pairDistances, pairwiseDistanceMatrix, type DistanceName } from '../distances/index.js';
import { adamOptimizer } from '../engine/index.js';
import { makePairs, mPerClassSampler } from '../samplers/index.js';
import { createPairMiner, createTripletMiner } from '../miners/index.js';
import { DEFAULT_TRIPLET_MINER } from '../miners/names.js';
import { trainingRecordOf } from './training-record.js';
import { verificationMetrics } from '../eval/index.js';
import { pairDiagnostics, collapseAlarm, type PairDiagnostics } from './diagnostics.js';
import { distanceHistogram, type DistanceHistogram } from './distance-histogram.js';
import { KochHead, type KochHeadWeights } from './koch-head.js';
import { pairBatchTensor, batchTensor, gatherRows, shiftImages } from './batches.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint } from './checkpoint.js';
import { HELD_OUT_PAIRS, drawHeldOutPairs, scoreSplit } from './held-out-pairs.js';
import { LOSS_NAMES, OPTIMIZER_NAMES, LR_SCHEDULES, MONITOR_NAMES, TRAIN_DEFAULTS, type LossName, type OptimizerName, type LrSchedule, type MonitorName } from './choices.js';

export { LOSS_NAMES, OPTIMIZER_NAMES, LR_SCHEDULES, MONITOR_NAMES, type LossName, type OptimizerName, type LrSchedule, type MonitorName };

/** The learning rate of `epoch` (0-based) of `epochs`: depends on nothing else, so resuming keeps it. */
export function learningRateAt(base: number, schedule: LrSchedule, epoch: number, epochs: number): number {
  if (schedule === 'cosine') return (base * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
  return base;
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // SGD/momentum cache -lr in a tensor and expose setLearningRate; Adam and RMSProp read the field each step.
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}


/** Everything that shapes a training run. */
export interface TrainConfig {
  /** Loss to optimise. Default 'contrastive'. */
  loss: LossName;
  /** Margin m of the contrastive or triplet loss. Default 1. */
  margin: number;
  /** Distance between embeddings. Default 'euclidean'. */
  distance: DistanceName;
  /**
   * In-batch miner. For 'contrastive': a pair miner ('all' | 'hard-negative' |
   * 'semi-hard' | 'pair-margin'), or undefined for offline balanced pairs. For
   * 'triplet': a triplet miner ('all' | 'hard' | 'semi-hard'; default 'semi-hard').
   */
  miner?: string;
  /** Passes over the training data. Default 10. */
  epochs: number;
  /** Pairs per step (offline pairs); mining batches hold 2 x batchSize examples. Default 128. */
  batchSize: number;
  /** Examples per class in a mining batch (m of the m-per-class sampler). Default: batch / classes. */
  mPerClass?: number;
  /** Training pairs per epoch (offline pairs). Default: the number of training examples. */
  pairsPerEpoch?: number;
  /** Fraction of similar pairs among offline pairs. Default 0.5 (1:1). */
  positiveFraction: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Learning-rate schedule over the epochs: 'constant', or 'cosine' decay to 0 at the last epoch. Default 'constant'. */
  lrSchedule: LrSchedule;
  seed: number;
  /** Validation pairs made from the validation split (labelled data). Default 10000. */
  validationPairs: number;
  /** Metric watched for early stopping and for keeping the best weights. Default 'auc'. */
  monitor: MonitorName;
  /** Epochs without improvement before stopping; 0 never stops early. Default 5. */
  patience: number;
  /**
   * Random shift of training images by up to this many pixels (0 = none).
   * Only for image inputs [height, width, channels]. Default 0.
   */
  augmentShift: number;
  /** Directory for per-epoch checkpoints; none when undefined. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume: boolean;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = { ...TRAIN_DEFAULTS };

/** The validation figures of one epoch. */
export interface ValidationRecord {
  auc: number;
  eer: number;
  accuracy: number;
  threshold: number;
}

/** One row of the training history. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  seconds: number;
  validation?: ValidationRecord;
  diagnostics?: PairDiagnostics;
  alarm?: string | null;
  /** Validation pair distances, similar and dissimilar, as histogram counts (for the report). */
  histogram?: DistanceHistogram;
}

/** Progress events, for a progress bar or JSON lines. */
export type TrainEvent =
  | { type: 'start'; epochs: number; startEpoch: number; stepsPerEpoch: number }
  | { type: 'step'; epoch: number; step: number; steps: number; loss: number }
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'early-stop'; epoch: number; bestEpoch: number };

/** What a training run produced. The network holds the best epoch's weights. */
export interface TrainResult {
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The cross-entropy head, for loss 'cross-entropy'. */
  head?: KochHead;
  seconds: number;
}

/** The splits the trainer uses. Either both labelled, or both pairs-only. */
export interface TrainData {
  train: LabelledDataset | PairDataset;
  validation?: LabelledDataset | PairDataset;
}

interface TrainerState {
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  sinceBest: number;
  stoppedEarly: boolean;
  seconds: number;
  configKey: string;
}

function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return adamOptimizer(lr); // tf.train.adam with a one-pass update on wasm, same results
    case 'sgd':
      return tf.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    default:
      throw new ContrastiveError('INVALID_ARGUMENT', `train: unknown optimizer '${String(name)}' (expected ${OPTIMIZER_NAMES.join(', ')})`);
  }
}

/** Seed of the data order of one epoch: depends on nothing but (seed, epoch). */
function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed, 0x2545f491) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
}

function validateConfig(c: TrainConfig, data: TrainData): void {
  const fn = 'train';
  check(LOSS_NAMES.includes(c.loss), fn, `unknown loss '${c.loss}' (expected ${LOSS_NAMES.join(', ')})`);
  check(Number.isFinite(c.margin) && c.margin > 0, fn, `margin must be a positive number, got ${c.margin}`);
  check(Number.isInteger(c.epochs) && c.epochs >= 1, fn, `epochs must be a positive integer, got ${c.epochs}`);
  check(Number.isInteger(c.batchSize) && c.batchSize >= 2, fn, `batch size must be an integer >= 2, got ${c.batchSize}`);
  check(Number.isFinite(c.learningRate) && c.learningRate > 0, fn, `learning rate must be positive, got ${c.learningRate}`);
  check(LR_SCHEDULES.includes(c.lrSchedule), fn, `unknown learning-rate schedule '${c.lrSchedule}' (expected ${LR_SCHEDULES.join(', ')})`);
  check(c.positiveFraction > 0 && c.positiveFraction < 1, fn, `positive fraction must be in (0, 1), got ${c.positiveFraction}`);
  check(Number.isInteger(c.patience) && c.patience >= 0, fn, `patience must be a non-negative integer, got ${c.patience}`);
  check(Number.isInteger(c.augmentShift) && c.augmentShift >= 0, fn, `augment shift must be a non-negative integer, got ${c.augmentShift}`);
  if (c.augmentShift > 0) {
    check(data.train.inputShape.length === 3, fn, `shift augmentation needs image inputs [height, width, channels]; examples have shape ${JSON.stringify(data.train.inputShape)}`);
  }
  if (isPairDataset(data.train)) {
    check(c.loss !== 'triplet', fn, 'the triplet loss needs class labels; a pairs-only dataset has none (use contrastive or cross-entropy)');
    check(c.miner === undefined, fn, 'in-batch mining needs class labels; a pairs-only dataset has none');
  }
  if (c.resume) check(c.checkpointDir !== undefined, fn, '--resume needs a checkpoint directory');
}

/** The key of the settings a checkpoint must agree with to be resumed. */
function configKey(c: TrainConfig): string {
  const { loss, margin, distance, miner, batchSize, mPerClass, pairsPerEpoch, positiveFraction, optimizer, learningRate, lrSchedule, seed, validationPairs, augmentShift } = c;
  // epochs belongs here only for a schedule that depends on it
  const scheduleEpochs = lrSchedule === 'constant' ? undefined : c.epochs;
  return JSON.stringify({ loss, margin, distance, miner, batchSize, mPerClass, pairsPerEpoch, positiveFraction, optimizer, learningRate, lrSchedule, scheduleEpochs, seed, validationPairs, augmentShift });
}

/** The settings that differ between two configKeys, as 'name: was -> now' (for the refused-resume message). */
export function changedSettings(before: string, now: string): string {
  let a: Record<string, unknown> = {};
  let b: Record<string, unknown> = {};
  try {
    a = JSON.parse(before) as Record<string, unknown>;
    b = JSON.parse(now) as Record<string, unknown>;
  } catch {
    return 'settings unreadable';
  }
  const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => show(a[k]) !== show(b[k]));
  return keys.length === 0 ? 'settings changed' : keys.map((k) => `${k === 'scheduleEpochs' ? 'epochs' : k}: ${show(a[k])} -> ${show(b[k])}`).join(', ');
}

function monitorScore(v: ValidationRecord, monitor: MonitorName): number {
  return monitor === 'eer' ? -v.eer : monitor === 'accuracy' ? v.accuracy : v.auc;
}

/**
 * Trains `network` in place. Returns the history; the network ends with the
 * weights of the best validation epoch (or the last epoch without validation).
 */
export async function trainSiamese(
  network: SiameseNetwork,
  data: TrainData,
  options: Partial<TrainConfig> = {},
  onEvent?: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...stripUndefined(options) };
  validateConfig(config, data);
  const train = data.train;
  const pairsMode = isPairDataset(train) || (config.loss !== 'triplet' && config.miner === undefined);
  const tripletMiner = config.loss === 'triplet' ? createTripletMiner(config.miner ?? DEFAULT_TRIPLET_MINER, { margin: config.margin }) : undefined;
  const pairMiner = config.loss !== 'triplet' && config.miner !== undefined ? createPairMiner(config.miner, { margin: config.margin }) : undefined;

  const pairsPerEpoch = config.pairsPerEpoch ?? train.labels.length;
  // A mining batch holds 2 x batchSize examples: the images of batchSize pairs.
  const imageBatch = 2 * config.batchSize;
  let mPerClass = config.mPerClass;
  let samplerBatch = imageBatch;
  if (!pairsMode && !isPairDataset(train)) {
    const classes = new Set(train.labels).size;
    if (mPerClass !== undefined) {
      check(Number.isInteger(mPerClass) && mPerClass >= 1, 'train', `m per class must be a positive integer, got ${mPerClass}`);
      check(
        imageBatch >= 2 * mPerClass,
        'train',
        `batch size ${config.batchSize} pairs (${imageBatch} examples per mining batch) is smaller than 2 classes x m per class ${mPerClass}: raise --batch-size or lower --m-per-class`,
      );
    }
    mPerClass ??= Math.max(2, Math.floor(imageBatch / classes));
    samplerBatch = Math.min(classes, Math.floor(imageBatch / mPerClass)) * mPerClass;
    check(samplerBatch >= 2 * mPerClass, 'train', `mining needs at least 2 classes of ${mPerClass} examples per batch; the training split has ${classes} class(es)`);
  }
  const stepsPerEpoch = pairsMode ? Math.ceil(pairsPerEpoch / config.batchSize) : Math.max(1, Math.floor((2 * pairsPerEpoch) / samplerBatch));

  const head = config.loss === 'cross-entropy' ? new KochHead(network.embeddingDim) : undefined;
  const scorer = { distance: config.distance, head };
  const optimizer = makeOptimizer(config.optimizer, config.learningRate);
  const varList = [...network.trainableWeights, ...(head?.variables ?? [])];

  const valPairs = data.validation ? drawHeldOutPairs(data.validation, config.validationPairs, config.seed ^ HELD_OUT_PAIRS.validationSalt) : undefined;

  let state: TrainerState = {
    epochsDone: 0,
    history: [],
    bestEpoch: -1,
    bestScore: -Infinity,
    sinceBest: 0,
    stoppedEarly: false,
    seconds: 0,
    configKey: configKey(config),
  };
  let bestWeights: tf.Tensor[] | undefined;

  if (config.resume && config.checkpointDir && (await hasCheckpoint(config.checkpointDir))) {
    const ck = await loadCheckpoint<TrainerState>(config.checkpointDir);
    if (ck.state.configKey !== state.configKey) {
      for (const g of Object.values(ck.groups)) g.forEach((t) => t.tensor.dispose());
      throw new ContrastiveError(
        'STATE',
        `train: the checkpoint in ${config.checkpointDir} was made with other settings (${changedSettings(ck.state.configKey, state.configKey)}); resume with the same options or start a new --out`,
      );
    }
    state = ck.state;
    network.setWeights((ck.groups.model ?? []).map((t) => t.tensor));
    if (head && ck.groups.head) {
      head.w.assign(ck.groups.head[0].tensor as tf.Tensor1D);
      head.b.assign(ck.groups.head[1].tensor as tf.Scalar);
    }
    if (ck.groups.optimizer) await optimizer.setWeights(ck.groups.optimizer);
    restoreAdamPowers(optimizer, ck.groups.optimizerPowers);
    bestWeights = ck.groups.best?.map((t) => t.tensor);
    for (const t of ck.groups.model ?? []) t.tensor.dispose();
    for (const t of ck.groups.head ?? []) t.tensor.dispose();
  } else if (config.resume) {
    throw new ContrastiveError('NOT_FOUND', `train: --resume was given but ${config.checkpointDir} holds no checkpoint`);
  }

  onEvent?.({ type: 'start', epochs: config.epochs, startEpoch: state.epochsDone, stepsPerEpoch });
  const t0 = Date.now() - state.seconds * 1000;

  for (let epoch = state.epochsDone; epoch < config.epochs && !state.stoppedEarly; epoch++) {
    const epochStart = Date.now();
    const rng = epochRng(config.seed, epoch);
    setLearningRate(optimizer, learningRateAt(config.learningRate, config.lrSchedule, epoch, config.epochs));
    const augRng = rng.fork();
    const augment =
      config.augmentShift > 0 ? (buf: Float32Array, rows: number) => shiftImages(buf, rows, train.inputShape, config.augmentShift, augRng) : undefined;
    let lossSum = 0;
    let lossCount = 0;
    const report = (step: number, loss: number): void => {
      lossSum += loss;
      lossCount++;
      onEvent?.({ type: 'step', epoch, step, steps: stepsPerEpoch, loss });
    };

    if (pairsMode) {
      const pairs = isPairDataset(train)
        ? shuffledPairIndices(train, rng)
        : makePairs(train.labels, { count: pairsPerEpoch, positiveFraction: config.positiveFraction, seed: rng.nextUint32() });
      const a = isPairDataset(train) ? train.a : train.x;
      const b = isPairDataset(train) ? train.b : train.x;
      const n = pairs.labels.length;
      for (let s = 0, step = 0; s < n; s += config.batchSize, step++) {
        const e = Math.min(n, s + config.batchSize);
        const ia = pairs.i.subarray(s, e);
        const ib = pairs.j.subarray(s, e);
        const y = tf.tensor1d(Float32Array.from(pairs.labels.subarray(s, e)));
        const x = pairBatchTensor(a, b, train.inputShape, ia, ib, augment);
        const B = e - s;
        const cost = optimizer.minimize(
          () => {
            const emb = network.embed(x, { training: true });
            const e1 = emb.slice([0, 0], [B, -1]) as tf.Tensor2D;
            const e2 = emb.slice([B, 0], [B, -1]) as tf.Tensor2D;
            if (head) return head.loss(e1, e2, y);
            return contrastiveLoss(e1, e2, y, { margin: config.margin, distance: config.distance }) as tf.Scalar;
          },
          true,
          varList,
        );
        report(step, cost ? cost.dataSync()[0] : NaN);
        cost?.dispose();
        x.dispose();
        y.dispose();
        if (step % 8 === 7) await tf.nextFrame?.();
      }
    } else {
      const labelled = train as LabelledDataset;
      const batches = mPerClassSampler(labelled.labels, {
        m: mPerClass!,
        batchSize: samplerBatch,
        seed: rng.nextUint32(),
        lengthBeforeNewIter: stepsPerEpoch * samplerBatch,
      });
      let step = 0;
      for (const idx of batches) {
        const x = batchTensor(labelled.x, labelled.inputShape, idx, augment);
        const batchLabels = Int32Array.from(idx, (k) => labelled.labels[k]);
        const cost = optimizer.minimize(
          () => {
            const emb = network.embed(x, { training: true });
            const dm = pairwiseDistanceMatrix(emb, undefined, config.distance);
            // With nothing mined these losses are a zero that still depends on emb (zero gradients).
            if (tripletMiner) {
              return tripletLossFromIndices(emb, tripletMiner(dm, batchLabels), { margin: config.margin, distance: config.distance }) as tf.Scalar;
            }
            return pairLossFromIndices(emb, pairMiner!(dm, batchLabels), { margin: config.margin, distance: config.distance }) as tf.Scalar;
          },
          true,
          varList,
        );
        report(step, cost ? cost.dataSync()[0] : NaN);
        cost?.dispose();
        x.dispose();
        step++;
        if (step % 8 === 0) await tf.nextFrame?.();
      }
    }

    const record: EpochRecord = { epoch: epoch + 1, trainLoss: lossCount ? lossSum / lossCount : NaN, seconds: 0 };
    if (!Number.isFinite(record.trainLoss)) {
      throw new ContrastiveError('NUMERIC', `train: the loss became ${record.trainLoss} in epoch ${epoch + 1}; lower the learning rate (now ${config.learningRate})`);
    }
    if (data.validation && valPairs) {
      const d = await scoreSplit(network, data.validation, valPairs, scorer);
      const vm = verificationMetrics(d, valPairs.labels);
      record.validation = { auc: vm.auc, eer: vm.eer, accuracy: vm.bestAccuracy, threshold: vm.bestThreshold };
      if (!head) {
        record.diagnostics = pairDiagnostics(d, valPairs.labels, config.margin);
        record.alarm = collapseAlarm(record.diagnostics, config.margin);
        record.histogram = distanceHistogram(d, valPairs.labels);
      }
      const score = monitorScore(record.validation, config.monitor);
      if (score > state.bestScore) {
        state.bestScore = score;
        state.bestEpoch = epoch + 1;
        state.sinceBest = 0;
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = [...network.getWeights(), ...(head?.variables ?? [])].map((t) => t.clone());
      } else {
        state.sinceBest++;
        if (config.patience > 0 && state.sinceBest >= config.patience) state.stoppedEarly = true;
      }
    } else {
      state.bestEpoch = epoch + 1;
    }
    record.seconds = (Date.now() - epochStart) / 1000;
    state.history.push(record);
    state.epochsDone = epoch + 1;
    state.seconds = (Date.now() - t0) / 1000;
    onEvent?.({ type: 'epoch', record });
    if (state.stoppedEarly) onEvent?.({ type: 'early-stop', epoch: epoch + 1, bestEpoch: state.bestEpoch });

    if (config.checkpointDir) {
      const optWeights = await optimizer.getWeights();
      await saveCheckpoint(config.checkpointDir, state, {
        model: network.getWeights().map((tensor, k) => ({ name: `w${k}`, tensor })),
        ...(head ? { head: [{ name: 'w', tensor: head.w }, { name: 'b', tensor: head.b }] } : {}),
        optimizer: optWeights,
        ...adamPowers(optimizer),
        ...(bestWeights ? { best: bestWeights.map((tensor, k) => ({ name: `w${k}`, tensor })) } : {}),
      });
      // getWeights() makes a fresh scalar of the iteration count; the rest are the optimizer's own variables
      optWeights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
    }
  }

  if (bestWeights && state.bestEpoch !== state.epochsDone) {
    const nModel = bestWeights.length - (head ? 2 : 0);
    network.setWeights(bestWeights.slice(0, nModel));
    if (head) {
      head.w.assign(bestWeights[nModel] as tf.Tensor1D);
      head.b.assign(bestWeights[nModel + 1] as tf.Scalar);
    }
  }
  bestWeights?.forEach((t) => t.dispose());
  disposeOptimizer(optimizer);
  network.training = trainingRecordOf(train, { ...config, epochs: state.history.length, bestEpoch: state.bestEpoch });
  return { history: state.history, bestEpoch: state.bestEpoch, stoppedEarly: state.stoppedEarly, head, seconds: state.seconds };
}

/** Disposes an optimizer; TF.js's momentum optimizer forgets the -lr scalar it inherits from SGD. */
function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

/**
 * Adam keeps beta1^t and beta2^t as running products; its setWeights recomputes
 * them with pow(), which differs in the last bits. Saving the products makes a
 * resumed run bit-identical to an uninterrupted one.
 */
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

function adamPowers(optimizer: tf.Optimizer): { optimizerPowers?: Array<{ name: string; tensor: tf.Tensor }> } {
  const o = optimizer as unknown as AdamInternals;
  if (!o.accBeta1 || !o.accBeta2) return {};
  return { optimizerPowers: [{ name: 'accBeta1', tensor: o.accBeta1 }, { name: 'accBeta2', tensor: o.accBeta2 }] };
}

function restoreAdamPowers(optimizer: tf.Optimizer, saved: Array<{ name: string; tensor: tf.Tensor }> | undefined): void {
  const o = optimizer as unknown as AdamInternals;
  if (!saved || !o.accBeta1 || !o.accBeta2) return;
  for (const { name, tensor } of saved) {
    if (name === 'accBeta1') o.accBeta1.assign(tensor as tf.Scalar);
    if (name === 'accBeta2') o.accBeta2.assign(tensor as tf.Scalar);
  }
}

function shuffledPairIndices(pairs: PairDataset, rng: Rng): IndexPairs {
  const order = rng.shuffle(Int32Array.from({ length: pairs.labels.length }, (_, k) => k));
  return { i: order, j: order, labels: Uint8Array.from(order, (k) => pairs.labels[k]) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { KochHeadWeights };
