/**
 * The trainer: fits a Siamese network with the contrastive loss (default), the
 * triplet loss, the cross-entropy baseline or a loss of your own. Validates
 * every epoch on held-out pairs, stops early on a validation metric (or when a
 * callback says 'stop'), checkpoints each epoch and resumes exactly.
 *
 * One loop minimises whatever batches a {@link BatchStrategy} draws: offline
 * pairs (pair-batches.ts) or mined class batches (class-batches.ts). Data order
 * depends only on (seed, epoch), so a resumed run sees the same batches as an
 * uninterrupted one and ends with the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';
import { Rng } from '../util/rng.js';
import { isPairDataset, type IndexPairs, type LabelledDataset } from '../data/types.js';
import type { SiameseNetwork } from '../models/index.js';
import type { PairMiner, TripletMiner } from '../miners/index.js';
import type { BatchStrategy } from './batch-strategy.js';
import { imageAugmenter } from './augment.js';
import { CrossBatchMemory } from './cross-batch-memory.js';
import { callbackList, eventCallbacks, type TrainCallbacks, type TrainEvent } from './callbacks.js';
import { classBatchShape, classBatches } from './class-batches.js';
import { configKey, resolveTrainConfig, validateTrainConfig, type TrainConfig, type TrainData } from './config.js';
import { monitorScore, validateEpoch, validateReadouts } from './epoch-validation.js';
import { parseReadout } from '../models/readout.js';
import { drawHeldOutPairs } from '../eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from './choices.js';
import type { EpochRecord, TrainResult } from './history.js';
import { KochHead } from './koch-head.js';
import { minedContrastiveLoss, minedTripletLoss } from './mined-loss.js';
import { disposeOptimizer, learningRateAt, makeOptimizer, setLearningRate } from './optimizer.js';
import { trainingRecordOf } from './training-record.js';
import { DEFAULT_TRIPLET_MINER } from '../miners/index.js';
import { offlinePairBatches } from './pair-batches.js';
import { freshState, restoreCheckpoint, writeCheckpoint, type TrainerState } from './resume.js';
import type { NetworkCalibration } from '../models/siamese-network.js';
import { accuracyCalibration } from './accuracy-calibration.js';
import { scoreSplit } from '../eval/held-out-pairs.js';

/** Seed of the data order of one epoch: depends on nothing but (seed, epoch). */
function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed, 0x2545f491) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
}

/** The batches a config trains on. */
function batchStrategy(network: SiameseNetwork, data: TrainData, c: TrainConfig, head: KochHead | undefined): BatchStrategy {
  if (isPairDataset(data.train) || (c.loss !== 'triplet' && typeof c.loss !== 'function' && c.miner === undefined)) {
    return offlinePairBatches(network, data.train, c, head);
  }
  const train = data.train as LabelledDataset;
  const shape = classBatchShape(train, c);
  const lossOptions = { margin: c.margin, distance: c.distance };
  if (typeof c.loss === 'function') return classBatches(network, train, shape, c.loss);
  if (c.loss === 'triplet') return classBatches(network, train, shape, minedTripletLoss((c.miner ?? DEFAULT_TRIPLET_MINER) as string | TripletMiner, lossOptions));
  const memory = c.memorySize ? new CrossBatchMemory(c.memorySize, network.outputDim) : undefined;
  const strategy = classBatches(network, train, shape, minedContrastiveLoss(c.miner as string | PairMiner, { ...lossOptions, posMargin: c.posMargin ?? 0 }, memory));
  // The memory starts empty each epoch, so a resumed run sees what an uninterrupted one saw.
  return memory ? { stepsPerEpoch: strategy.stepsPerEpoch, epoch: (rng, augment) => (memory.clear(), strategy.epoch(rng, augment)) } : strategy;
}

/** How a loss or miner given as a function is named in the network's training record. */
function pieceLabel(piece: string | ((...args: never[]) => unknown)): string {
  return typeof piece === 'function' ? `custom:${piece.name || 'anonymous'}` : piece;
}

const CALLBACK_KEYS = ['onTrainBegin', 'onBatchEnd', 'onEpochEnd'];

function checkCallbacks(list: TrainCallbacks[]): void {
  for (const cb of list) {
    check(cb !== null && typeof cb === 'object', 'train', 'callbacks must be an object { onTrainBegin?, onBatchEnd?, onEpochEnd? } or a list of them');
    for (const [key, value] of Object.entries(cb)) {
      check(CALLBACK_KEYS.includes(key), 'train', `unknown callback '${key}' (expected ${CALLBACK_KEYS.join(', ')})`);
      check(value === undefined || typeof value === 'function', 'train', `callback '${key}' must be a function`);
    }
  }
}

/**
 * Trains `network` in place. Returns the history; the network ends with the
 * weights of the best validation epoch (or the last epoch without validation).
 *
 * @param options - see {@link TrainConfig}; an unknown key, a value out of range
 *   or a combination that cannot work (e.g. a miner with 'cross-entropy') is an
 *   error naming the option, thrown before any work.
 * @param onEvent - progress events (the same as callbacks, as one stream).
 * @example
 * ```ts
 * import { Rng, SiameseNetwork, mlpEncoder, splitDataset, trainSiamese, type LabelledDataset } from 'contrastive';
 *
 * // Two classes of 4-d points around different centres.
 * const rng = new Rng(1);
 * const labels = Int32Array.from({ length: 400 }, (_, i) => i % 2);
 * const x = Float32Array.from({ length: 1600 }, (_, k) => (labels[k >> 2] === 1 ? 2 : 0) + rng.normal());
 * const { train, validation } = splitDataset({ name: 'blobs', inputShape: [4], x, labels, numClasses: 2 }, { seed: 1 });
 * const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [16], embeddingDim: 2, seed: 1 }), { normalize: true });
 * const run = await trainSiamese(net, { train, validation }, { margin: 0.5, epochs: 2, pairsPerEpoch: 256, validationPairs: 200, seed: 1 });
 * console.log(run.bestEpoch, run.history.map((r) => r.validation!.auc));
 * ```
 * @group Training
 */
export async function trainSiamese(
  network: SiameseNetwork,
  data: TrainData,
  options: Partial<TrainConfig> = {},
  onEvent?: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const config = resolveTrainConfig(options);
  validateTrainConfig(config, data);
  const callbacks = callbackList(config.callbacks);
  checkCallbacks(callbacks);
  if (onEvent) callbacks.unshift(eventCallbacks(onEvent));
  const train = data.train;

  check(!(config.loss === 'cross-entropy' && network.readout.layer !== 'output'), 'train', `the cross-entropy head scores the encoder's output; this network reads at '${network.readoutLayer}': use readout 'output'`);
  const head = config.loss === 'cross-entropy' ? new KochHead(network.outputDim) : undefined;
  const strategy = batchStrategy(network, data, config, head);
  const scorer = { distance: config.distance, head };
  const optimizer = makeOptimizer(config.optimizer, config.learningRate);
  const varList = [...network.trainableWeights, ...(head?.variables ?? [])];
  const parts = { network, head, optimizer };

  const valPairs = data.validation ? drawHeldOutPairs(data.validation, config.validationPairs, config.seed ^ HELD_OUT_PAIRS.validationSalt) : undefined;

  let state: TrainerState = freshState(configKey(config));
  let bestWeights: tf.Tensor[] | undefined;
  const checkpoint = config.checkpointStore ?? config.checkpointDir;
  try {
    if (config.resume) ({ state, bestWeights } = await restoreCheckpoint(checkpoint!, state.configKey, parts));

    const validate = async (record: EpochRecord) => {
      const e = { network, validation: data.validation!, pairs: valPairs!, scorer, loss: { margin: config.margin, posMargin: config.posMargin }, record };
      return config.readouts ? validateReadouts(e, config.readouts, config.monitor) : validateEpoch(e);
    };
    if (config.validateUntrained && data.validation && valPairs && state.epochsDone === 0 && !state.untrained) {
      // Epoch 0: a trained epoch is kept only if it beats the network it started from.
      const record: EpochRecord = { epoch: 0, trainLoss: NaN, seconds: 0 };
      const v = await validate(record);
      state.untrained = record;
      state.bestScore = monitorScore(v, config.monitor);
      state.bestEpoch = 0;
      bestWeights = [...network.getWeights(), ...(head?.variables ?? [])].map((t) => t.clone());
    }
    const stepsPerEpoch = strategy.stepsPerEpoch;
    for (const cb of callbacks) await cb.onTrainBegin?.({ epochs: config.epochs, startEpoch: state.epochsDone, stepsPerEpoch });
    const t0 = Date.now() - state.seconds * 1000;

    for (let epoch = state.epochsDone; epoch < config.epochs && !state.stoppedEarly; epoch++) {
      const epochStart = Date.now();
      const rng = epochRng(config.seed, epoch);
      setLearningRate(optimizer, learningRateAt(config.learningRate, config.lrSchedule, epoch, config.epochs));
      const augRng = rng.fork();
      const augment = imageAugmenter({ shift: config.augmentShift, flip: config.augmentFlip ?? false, erase: config.augmentErase ?? 0, ...(config.augmentAffine ? { affine: config.augmentAffine } : {}) }, train.inputShape, augRng);

      let lossSum = 0;
      let step = 0;
      for await (const batch of strategy.epoch(rng, augment)) {
        let cost: tf.Scalar | null;
        try {
          cost = optimizer.minimize(() => batch.loss(), true, varList);
        } finally {
          batch.dispose();
        }
        const loss = cost ? cost.dataSync()[0] : NaN;
        cost?.dispose();
        lossSum += loss;
        for (const cb of callbacks) await cb.onBatchEnd?.({ epoch: epoch + 1, step, steps: stepsPerEpoch, loss });
        step++;
        if (step % 8 === 0) await tf.nextFrame?.();
      }

      const record: EpochRecord = { epoch: epoch + 1, trainLoss: step ? lossSum / step : NaN, seconds: 0 };
      if (!Number.isFinite(record.trainLoss)) {
        throw new ContrastiveError('NUMERIC', `train: the loss became ${record.trainLoss} in epoch ${epoch + 1}; lower the learning rate (now ${config.learningRate})`);
      }
      if (data.validation && valPairs) {
        const v = await validate(record);
        const score = monitorScore(v, config.monitor);
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
      for (const cb of callbacks) {
        if ((await cb.onEpochEnd?.(record)) === 'stop') state.stoppedEarly = true;
      }
      if (state.stoppedEarly && epoch + 1 < config.epochs) onEvent?.({ type: 'early-stop', epoch: epoch + 1, bestEpoch: state.bestEpoch });

      if (checkpoint !== undefined) await writeCheckpoint(checkpoint, state, parts, bestWeights);
    }
  } catch (err) {
    // A run that ends in an error (a bad checkpoint, a callback that aborts it) leaves no
    // tensors behind: in a page the next run shares the same memory.
    bestWeights?.forEach((t) => t.dispose());
    disposeOptimizer(optimizer);
    head?.dispose();
    throw err;
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
  // Read where the kept epoch read best.
  const kept = state.bestEpoch === 0 ? state.untrained : state.history[state.bestEpoch - 1];
  if (config.readouts && kept?.readout) network.setReadout(parseReadout(kept.readout));
  // The threshold a bundle saved now needs to verify: chosen on the validation pairs, with the final weights.
  const calibration = data.validation && valPairs ? await calibrateOnValidation(network, data.validation, valPairs, scorer) : undefined;
  network.calibration = calibration ?? null;
  network.training = trainingRecordOf(train, {
    ...config,
    loss: pieceLabel(config.loss),
    miner: config.miner === undefined ? undefined : pieceLabel(config.miner),
    epochs: state.history.length,
    bestEpoch: state.bestEpoch,
  });
  return { history: state.history, bestEpoch: state.bestEpoch, stoppedEarly: state.stoppedEarly, head, ...(state.untrained ? { untrained: state.untrained } : {}), ...(calibration ? { calibration } : {}), seconds: state.seconds };
}

/**
 * The threshold of best accuracy on the validation pairs and the Platt fit of
 * p(same | d) on them: what `contrastive train` records, so the library way gives
 * a bundle that verifies as well.
 */
async function calibrateOnValidation(
  network: SiameseNetwork,
  validation: NonNullable<TrainData['validation']>,
  pairs: IndexPairs,
  scorer: { distance: TrainConfig['distance']; head?: KochHead },
): Promise<NetworkCalibration> {
  const d = await scoreSplit(network, validation, pairs, scorer);
  return {
    ...accuracyCalibration(d, pairs.labels, `${validation.origin?.dataset ?? validation.name} validation pairs`),
    ...(scorer.head ? { head: scorer.head.toJSON() } : {}),
  };
}

// What trainer.ts exported before the split, still importable from here (the code now lives in
// config.ts, choices.ts, optimizer.ts, callbacks.ts and history.ts; the train barrel exports it all).
export { DEFAULT_TRAIN_CONFIG } from './config.js';
export type { TrainConfig, TrainData } from './config.js';
export { LOSS_NAMES, OPTIMIZER_NAMES, LR_SCHEDULES, MONITOR_NAMES } from './choices.js';
export type { LossName, OptimizerName, LrSchedule, MonitorName } from './choices.js';
export { learningRateAt } from './optimizer.js';
export type { TrainEvent } from './callbacks.js';
export type { EpochRecord, ValidationRecord, TrainResult } from './history.js';
