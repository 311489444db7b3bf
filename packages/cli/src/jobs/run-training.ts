/**
 * The whole training job as one call, as `contrastive train` runs it:
 * load -> split -> build encoder -> train -> calibrate on validation ->
 * evaluate on test -> save the bundle, metrics.json and history.json.
 */
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';
import { examplesOf } from 'contrastive/internal/data/examples.js';
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { prepareOutputDir, refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';
import { initBackend, type BackendName } from '@contrastive/node/internal/engine/backend.js';
import type { LabelledDataset, PairDataset } from 'contrastive/internal/data/types.js';
import { loadDataset, requireTwoClasses, absoluteDatasetSpec } from '@contrastive/node/internal/data/index.js';
import { SiameseNetwork, createEncoder, type Encoder, type EncoderRequest, type Preprocessing } from 'contrastive/internal/models/index.js';
import { parseReadout, readoutCandidates, readoutName } from 'contrastive/internal/models/readout.js';
import { l2NormalizeRows } from 'contrastive/internal/models/l2-normalize.js';
import { checkDistanceName, type DistanceName } from 'contrastive/internal/distances/index.js';
import { verificationMetrics, retrievalMetrics, accuracyAtThreshold } from 'contrastive/internal/eval/index.js';
import { accuracyCalibration } from 'contrastive/internal/train/accuracy-calibration.js';
import { pairScores, validationPairScores, type SNormRun } from './pair-scores.js';
import { DEFAULT_COHORT_SIZE } from 'contrastive/internal/eval/score-norm-names.js';
import { isPairDataset } from 'contrastive/internal/data/types.js';
import { trainSiamese, type TrainEvent, type TrainResult } from 'contrastive/internal/train/index.js';
import { scoreSplit, scorePairs, drawHeldOutPairs, retrievalDistance } from 'contrastive/internal/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import { trainFaceModel } from './face-train.js';
import { trainOnBackbone } from './backbone-training.js';
import type { BackboneRecord } from 'contrastive/internal/models/backbone-record.js';
import type { RunBaseline, RunMetrics, RunTrainingResult } from './run-result.js';
import { isSignatureDataset, signatureTrainingSplit, signatureRunExtras, type ForgeryMetrics } from '@contrastive/signatures/internal/index.js';
import { trainingReport, writeReport } from '@contrastive/node/internal/report/index.js';

import { RUN_DEFAULTS, ENCODER_NAMES, ENCODER_INPUT_RANK, ENCODER_OPTIONS, type EncoderName } from './choices.js';
import { checkRunTrainingOptions, type RunTrainingOptions } from './job-options.js';
import { jobSeed, splitFractions, runDirectory } from './defaults.js';
import { splitDataset, splitPairs, subsetDataset, checkHeldOutParts } from 'contrastive/internal/data/index.js';
import { saveBundle } from '@contrastive/node/internal/models/bundle.js';
import { crossValidateClassFolds, type ValidationFoldsRecord } from './validation-folds.js';
import type { NetworkCalibration } from 'contrastive/internal/models/siamese-network.js';

export { RUN_DEFAULTS, ENCODER_NAMES, type EncoderName };

export { runTrainingOptionsSchema, jobTrainOptionsSchema, checkRunTrainingOptions, type RunTrainingOptions, type JobTrainConfig } from './job-options.js';

export type { RunMetrics, RunTrainingResult } from './run-result.js';

/**
 * What a training job asks {@link createEncoder} for: the encoder's options
 * from `o` (those of `ENCODER_OPTIONS[name]`), the job's embedding size and
 * widths where `o` leaves them unset (RUN_DEFAULTS), the encoder's own defaults
 * for the rest, and the dataset's example shape.
 */
export function jobEncoderRequest(name: EncoderName, inputShape: number[], o: RunTrainingOptions, seed: number): EncoderRequest {
  check(ENCODER_NAMES.includes(name), 'train', `unknown encoder '${String(name)}' (expected ${ENCODER_NAMES.join(', ')})`);
  const needs = ENCODER_INPUT_RANK[name];
  if (needs) check(inputShape.length === needs.rank, 'train', `the ${name} encoder needs ${needs.shape}; this dataset's examples have shape ${JSON.stringify(inputShape)}`);
  const jobDefaults = { hidden: [...RUN_DEFAULTS.hidden], filters: [...RUN_DEFAULTS.filters], dense: RUN_DEFAULTS.dense };
  const own = Object.fromEntries(
    ENCODER_OPTIONS[name].map((k: keyof RunTrainingOptions) => [k, o[k] ?? (jobDefaults as Partial<Record<keyof RunTrainingOptions, unknown>>)[k]]).filter(([, value]) => value !== undefined),
  );
  const shape = name === 'sequence' ? { features: inputShape[1], length: inputShape[0] } : { inputShape };
  return { kind: name, ...shape, ...own, embeddingDim: o.embeddingDim ?? RUN_DEFAULTS.embeddingDim, seed } as EncoderRequest;
}

/** The encoder a training job builds (freshly initialised from `seed`): {@link jobEncoderRequest}, built by {@link createEncoder}. */
export function buildEncoder(name: EncoderName, inputShape: number[], o: RunTrainingOptions, seed: number): Encoder {
  return createEncoder(jobEncoderRequest(name, inputShape, o, seed));
}

/**
 * How raw inputs become model inputs. Every loader scales 8-bit pixels to [0, 1],
 * so an image bundle says scale 1/255, mean 0, std 1.
 */
function preprocessingOf(inputShape: number[]): Preprocessing | undefined {
  if (inputShape.length === 3) {
    const [height, width, channels] = inputShape;
    return { kind: 'image', width, height, channels, scale: 1 / 255, mean: 0, std: 1 };
  }
  return undefined;
}

/** The examples of `classes` in `test`, and the pairs the job scores on them. */
function heldOutPart(test: LabelledDataset, classes: Set<number>, pairCount: number, seed: number): { held: LabelledDataset; pairs: ReturnType<typeof drawHeldOutPairs> } {
  const keep: number[] = [];
  for (let i = 0; i < test.labels.length; i++) if (classes.has(test.labels[i])) keep.push(i);
  const held = subsetDataset(test, keep);
  return { held, pairs: drawHeldOutPairs(held, pairCount, seed ^ HELD_OUT_PAIRS.testSalt) };
}

/** Held-out-class figures of embeddings that learned nothing from the training classes. */
type Baseline = RunBaseline;

/** MAP@R, P@1, pair AUC and best accuracy of row embeddings `emb` (Euclidean). */
function baselineOf(emb: Float32Array, dim: number, held: LabelledDataset, pairs: ReturnType<typeof drawHeldOutPairs>): Baseline {
  const rm = retrievalMetrics(emb, held.labels, { dim });
  const vm = verificationMetrics(scorePairs(emb, emb, dim, pairs.i, pairs.j, { distance: 'euclidean' }), pairs.labels);
  return { mapAtR: rm.mapAtR, precisionAt1: rm.precisionAt1, auc: vm.auc, bestAccuracy: vm.bestAccuracy };
}

/**
 * The references a zero-shot run must beat, on the held-out classes with the
 * run's pairs: the raw inputs (L2-normalised) and the same encoder untrained
 * (same seed) read where the trained one is read.
 */
async function zeroShotBaselines(
  held: LabelledDataset,
  pairs: ReturnType<typeof drawHeldOutPairs>,
  untrained: SiameseNetwork,
): Promise<NonNullable<RunMetrics['baselines']>> {
  const size = held.inputShape.reduce((a, b) => a * b, 1);
  const raw = baselineOf(l2NormalizeRows(held.x, size), size, held, pairs);
  const u = baselineOf(await untrained.embedBatched(held.x), untrained.embeddingDim, held, pairs);
  return { rawInput: raw, untrained: { ...u, readout: readoutName(untrained.readout) } };
}

/** Verification figures of `scores` at `threshold`, with the distances' own figures beside S-normalised scores. */
function verificationOf(scores: Float32Array | Float64Array, distances: Float32Array, labels: Uint8Array, threshold: number): RunMetrics['verification'] {
  const vm = verificationMetrics(scores, labels);
  const raw = scores === distances ? undefined : verificationMetrics(distances, labels);
  return {
    accuracy: accuracyAtThreshold(scores, labels, threshold),
    bestAccuracy: vm.bestAccuracy,
    auc: vm.auc,
    eer: vm.eer,
    threshold,
    tarAtFar: { ...vm.tarAtFar },
    pairs: labels.length,
    ...(raw ? { distance: { auc: raw.auc, eer: raw.eer, bestAccuracy: raw.bestAccuracy } } : {}),
  };
}

/**
 * Verification and retrieval figures on the examples of `classes` in `test`
 * only, at `threshold` (calibrated elsewhere); pairs drawn as the job draws test pairs.
 */
async function scoreHeldOutClasses(
  network: SiameseNetwork,
  test: LabelledDataset,
  classes: Set<number>,
  threshold: number,
  scorer: { distance: DistanceName; head?: TrainResult['head'] },
  pairCount: number,
  seed: number,
  norm: SNormRun | undefined,
): Promise<Pick<RunMetrics, 'verification' | 'retrieval'> & { cohort?: Float32Array }> {
  const { held, pairs } = heldOutPart(test, classes, pairCount, seed);
  const emb = await embedExamples(network, held);
  const d = await scoreSplit(network, held, pairs, scorer, undefined, emb);
  const { scores, cohort } = pairScores(emb, network.embeddingDim, pairs, d, scorer.distance, norm);
  // The cross-entropy head scores pairs; retrieval ranks by embedding distance for every loss.
  const rm = retrievalMetrics(emb, held.labels, { dim: network.embeddingDim, distance: scorer.head ? 'euclidean' : scorer.distance });
  return {
    verification: verificationOf(scores, d, pairs.labels, threshold),
    retrieval: { precisionAt1: rm.precisionAt1, mapAtR: rm.mapAtR, rPrecision: rm.rPrecision, recallAtK: { ...rm.recallAtK }, queries: rm.queries },
    ...(cohort ? { cohort } : {}),
  };
}

/**
 * The threshold and p(same) of S-normalised scores, chosen on the validation
 * pairs the trainer scored (best accuracy, as the trainer chooses a distance's).
 */
async function sNormCalibration(
  network: SiameseNetwork,
  validation: LabelledDataset,
  distance: DistanceName,
  norm: SNormRun,
): Promise<NonNullable<TrainResult['calibration']>> {
  const { scores, labels } = await validationPairScores(network, validation, HELD_OUT_PAIRS.validation, norm.seed, distance, norm);
  return accuracyCalibration(scores, labels, `${validation.origin?.dataset ?? validation.name} validation pairs (s-norm)`);
}

/** The refusals of `validationFolds`, before any work: what it cannot be combined with, and why. */
function checkFoldOptions(options: RunTrainingOptions): void {
  const t = options.train ?? {};
  check(options.validationClasses === undefined, 'train', '{ validationFolds } and { validationClasses } are two ways to choose the validation classes: pass one of them');
  check(!!options.holdoutClasses?.length, 'train', '{ validationFolds } needs { holdoutClasses }: the folds are made of the seen classes, and the test split is the held-out classes');
  check(!t.resume, 'train', "{ validationFolds } runs are not resumed: the fold runs keep each epoch's weights in memory and write no checkpoint; run it again");
  check(!options.backbone, 'train', '{ validationFolds } does not apply with { backbone }: train a head on a backbone with { validationClasses }');
  check((t.loss ?? 'contrastive') !== 'cross-entropy', 'train', "{ validationFolds } pools the folds' pair distances for the threshold; loss 'cross-entropy' scores pairs with its head");
  check(t.patience === undefined, 'train', "{ patience } does not apply to { validationFolds }: every fold trains every epoch (the mean curve needs each fold's figure at each epoch) and the folds' mean chooses the epoch count");
  check(options.readout !== 'auto', 'train', "{ validationFolds } with readout 'auto' would average curves read at different layers: choose the read-out ({ readout: 'under-head' } or another)");
}

/**
 * A class-fold run's split: every example of a seen class to train (the final
 * model sees them all; the folds' validation is out of fold), the held-out
 * classes to test, validation empty.
 */
function seenAndHeldOut(data: LabelledDataset, holdoutClasses: readonly number[], f: { seed: number; validation: number; test: number }): { train: LabelledDataset; validation: LabelledDataset; test: LabelledDataset } {
  const held = new Set(holdoutClasses);
  const seen: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < data.labels.length; i++) (held.has(data.labels[i]) ? test : seen).push(i);
  const part = (name: 'train' | 'validation' | 'test', indices: number[]): LabelledDataset => {
    const out = subsetDataset(data, indices);
    out.origin = { dataset: data.name, split: { part: name, ...f, holdoutClasses: [...held].sort((p, q) => p - q) } };
    return out;
  };
  return { train: part('train', seen), validation: part('validation', []), test: part('test', test) };
}

/** How a loss or miner given as a name or as a function is recorded in metrics.json and the manifest. */
function pieceLabel(piece: string | ((...args: never[]) => unknown) | undefined): string | undefined {
  return typeof piece === 'function' ? `custom:${piece.name || 'anonymous'}` : piece;
}

/** Runs a complete training job and writes its outputs. @group Training */
export async function runTraining(options: RunTrainingOptions, onEvent?: (e: TrainEvent) => void): Promise<RunTrainingResult> {
  checkRunTrainingOptions(options);
  const givenSpec = options.dataset ?? 'mnist';
  // faces:DIR trains a head on frozen face descriptors, split by person (jobs/face-train.ts).
  if (givenSpec.startsWith('faces:')) {
    check(!options.backbone, 'train', 'faces:DIR trains a head on the face descriptor already (its backbone); { backbone } does not apply');
    check(!options.holdoutClasses?.length, 'train', 'faces:DIR splits by person already (validation and test people are never trained on); drop { holdoutClasses }');
    check(options.validationFolds === undefined, 'train', 'faces:DIR splits by person already; { validationFolds } does not apply');
    check((options.encoder ?? 'mlp') === 'mlp', 'train', `faces:DIR trains an mlp head on 128-d face descriptors; { encoder: '${options.encoder}' } does not apply`);
    return trainFaceModel(
      {
        dir: givenSpec.slice('faces:'.length),
        out: options.out,
        force: options.force,
        report: options.report,
        backend: options.backend,
        hidden: options.hidden,
        embeddingDim: options.embeddingDim,
        train: options.train,
        skipNoFace: options.skipNoFace,
        onProgress: options.onProgress,
      },
      onEvent,
    );
  }
  const folds = options.validationFolds;
  if (folds !== undefined) checkFoldOptions(options);
  check(!options.skipNoFace, 'train', `skipNoFace applies to faces:DIR datasets; '${givenSpec}' is not one`);
  check(
    !options.backbone || (options.encoder ?? 'mlp') === 'mlp',
    'train',
    `{ backbone } replaces the encoder: the head on top of it is dense layers ({ hidden, embeddingDim }); drop { encoder: '${options.encoder}' }`,
  );
  // Recorded with an absolute path: eval and verify may run from another directory.
  const datasetSpec = absoluteDatasetSpec(givenSpec);
  const encoderName = options.encoder ?? 'mlp';
  const trainCfg = options.train ?? {};
  const seed = jobSeed(trainCfg.seed);
  const normalize = options.normalize ?? RUN_DEFAULTS.normalize;
  // The margin is relative to the distance scale: [0, 2] for normalised embeddings.
  const margin = trainCfg.margin ?? (normalize ? RUN_DEFAULTS.marginNormalized : RUN_DEFAULTS.marginUnnormalized);
  const distance = trainCfg.distance ?? 'euclidean';
  checkDistanceName(distance, 'runTraining');
  const outDir = runDirectory(options.out, givenSpec);
  // Before any work: an existing run is never overwritten by accident, and an unwritable --out fails now, not after training.
  // ... and never over the data it reads, --force or not.
  const inputs = datasetReadPaths(givenSpec, options.load?.dataDir);
  await refuseExistingOutput(outDir, options.out ?? outDir, { force: options.force, resume: trainCfg.resume, fn: 'train', inputs });
  if (typeof options.report === 'string') await refuseExistingOutput(options.report, options.report, { fn: 'train', flag: '{ report }', file: true, force: options.force, resume: trainCfg.resume, inputs });
  await prepareOutputDir(outDir, `{ out: ${options.out ?? outDir} }`);
  const backend = await initBackend(options.backend ?? 'auto');

  const data = await loadDataset(datasetSpec, options.load ?? {});
  const fractions = { seed, ...splitFractions(options) };

  let split: { train: LabelledDataset | PairDataset; validation: LabelledDataset | PairDataset; test: LabelledDataset | PairDataset };
  let validationClasses: number[] = [];
  if (isSignatureDataset(data)) {
    // Writer-independent: whole writers go to validation and test; pairs with skilled and random forgeries.
    check(!options.holdoutClasses?.length, 'train', 'signatures:DIR splits by writer already; { holdoutClasses } does not apply');
    check(options.validationClasses === undefined, 'train', 'signatures:DIR splits by writer already; { validationClasses } does not apply');
    check(folds === undefined, 'train', 'signatures:DIR splits by writer already; { validationFolds } does not apply');
    split = signatureTrainingSplit(data, { ...fractions, pairs: trainCfg.pairsPerEpoch });
  } else if (isPairDataset(data)) {
    check(!options.holdoutClasses?.length, 'train', 'holdout classes need class labels; a pairs-only dataset has none');
    check(options.validationClasses === undefined, 'train', 'validation classes need class labels; a pairs-only dataset has none');
    check(folds === undefined, 'train', 'class folds need class labels; a pairs-only dataset has none');
    split = splitPairs(data, fractions);
  } else if (folds !== undefined) {
    // Class folds: the final model trains on every seen class; the test split is the held-out classes.
    requireTwoClasses(data, 'training');
    split = seenAndHeldOut(data, options.holdoutClasses!, { seed, validation: fractions.validation ?? 0.1, test: fractions.test ?? 0.2 });
  } else {
    requireTwoClasses(data, 'training');
    const parts = splitDataset(data, { ...fractions, holdoutClasses: options.holdoutClasses, validationClasses: options.validationClasses });
    validationClasses = parts.validationClasses;
    split = parts;
    requireTwoClasses(split.train as LabelledDataset, 'the train split');
    // validation and test pairs are drawn below: a class too small to reach them is named now
    checkHeldOutParts(data, parts, 'runTraining');
  }

  const scoreNormKind = options.scoreNorm ?? 'none';
  if (scoreNormKind === 's-norm') {
    check((trainCfg.loss ?? 'contrastive') !== 'cross-entropy', 'train', "scoreNorm 's-norm' normalises distances; loss 'cross-entropy' scores pairs with its head");
    check(!isPairDataset(data) && !isSignatureDataset(data), 'train', "scoreNorm 's-norm' draws its cohorts from a labelled split's examples; this dataset has pairs only");
    check(examplesOf((folds !== undefined ? split.train : split.validation) as LabelledDataset).resident, 'train', "scoreNorm 's-norm' needs the validation images in memory (not streamed from disk)");
  } else {
    check(options.cohortSize === undefined, 'train', "cohortSize applies to scoreNorm 's-norm'");
  }
  const norm: SNormRun | undefined = scoreNormKind === 's-norm' ? { size: options.cohortSize ?? DEFAULT_COHORT_SIZE, seed } : undefined;
  const readoutChoice = options.readout ?? 'output';
  check(readoutChoice === 'output' || (trainCfg.loss ?? 'contrastive') !== 'cross-entropy', 'train', `readout '${readoutChoice}' does not apply to loss 'cross-entropy' (its head scores the encoder's output)`);
  check(readoutChoice === 'output' || !options.backbone, 'train', `readout '${readoutChoice}' does not apply with { backbone } (the backbone's layer is chosen by backbone.layer)`);
  if (readoutChoice === 'auto') check(split.validation.labels.length > 0, 'train', "readout 'auto' chooses on the validation split; this run has none");
  const config = {
    ...trainCfg,
    seed,
    margin,
    distance,
    epochs: trainCfg.epochs ?? RUN_DEFAULTS.epochs,
    patience: trainCfg.patience ?? RUN_DEFAULTS.patience,
    // A frozen backbone's features are computed once: no augmentation unless asked for (then refused, with why).
    augmentShift: trainCfg.augmentShift ?? (data.inputShape.length === 3 && !isPairDataset(data) && !(options.backbone && !options.backbone.fineTune) ? RUN_DEFAULTS.augmentShift : 0),
    checkpointDir: path.join(outDir, 'checkpoint'),
  };
  let network: SiameseNetwork;
  let result: TrainResult;
  let backbone: BackboneRecord | null = null;
  let featureSeconds = 0;
  let foldRun: { record: ValidationFoldsRecord; calibration: NetworkCalibration } | undefined;
  if (folds !== undefined) {
    const build = (): SiameseNetwork => new SiameseNetwork(buildEncoder(encoderName, data.inputShape, options, seed), { distance, normalize, readout: parseReadout(readoutChoice) });
    // Fold runs and the final run write no checkpoint: a folds run is not resumed (refused above).
    const { checkpointDir: _checkpoints, ...foldConfig } = config;
    void _checkpoints;
    foldRun = await crossValidateClassFolds({ data: data as LabelledDataset, holdoutClasses: options.holdoutClasses!, k: folds, seed, config: foldConfig, buildNetwork: build, norm, onEvent });
    network = build();
    const epochs = foldRun.record.bestEpoch;
    // The final model sees every seen class for the cross-validated epoch count (0: it keeps its initial weights, as the folds' mean chose).
    result =
      epochs > 0
        ? await trainSiamese(network, { train: split.train }, { ...foldConfig, epochs, patience: 0, validateUntrained: false }, onEvent)
        : { history: [], bestEpoch: 0, stoppedEarly: false, seconds: 0 };
    result.seconds += foldRun.record.trainSeconds;
    network.calibration = foldRun.calibration;
  } else if (options.backbone) {
    const head = { hidden: options.hidden, embeddingDim: options.embeddingDim ?? RUN_DEFAULTS.embeddingDim, distance, normalize, seed };
    ({ network, result, record: backbone, featureSeconds } = await trainOnBackbone(options.backbone, data.inputShape, split, head, config, onEvent));
  } else {
    const encoder = buildEncoder(encoderName, data.inputShape, options, seed);
    network = new SiameseNetwork(encoder, { distance, normalize, ...(readoutChoice !== 'auto' ? { readout: parseReadout(readoutChoice) } : {}) });
    const readouts = readoutChoice === 'auto' ? { readouts: readoutCandidates(network.encoder) } : {};
    result = await trainSiamese(network, { train: split.train, validation: split.validation }, { ...config, ...readouts }, onEvent);
  }
  const scorer = { distance, head: result.head };

  // Threshold and probability calibrated on validation pairs (by trainSiamese, with the final weights), applied to test pairs.
  // With S-norm the threshold applies to normalised scores: chosen again, on the same validation pairs.
  const calibration = foldRun ? foldRun.calibration : norm ? await sNormCalibration(network, split.validation as LabelledDataset, distance, norm) : result.calibration;
  if (!calibration) throw new ContrastiveError('STATE', 'train: the trainer calibrated no threshold on the validation split');
  const platt = calibration.probability;

  const testPairs = drawHeldOutPairs(split.test, options.testPairs ?? HELD_OUT_PAIRS.test, seed ^ HELD_OUT_PAIRS.testSalt);
  let retrieval: RunMetrics['retrieval'] = null;
  let testEmb: Float32Array | undefined;
  if (!isPairDataset(split.test)) {
    const emb = (testEmb = await embedExamples(network, split.test));
    const rm = retrievalMetrics(emb, split.test.labels, { dim: network.embeddingDim, distance: retrievalDistance(scorer) });
    retrieval = { precisionAt1: rm.precisionAt1, mapAtR: rm.mapAtR, rPrecision: rm.rPrecision, recallAtK: { ...rm.recallAtK }, queries: rm.queries };
  }
  const testDist = await scoreSplit(network, split.test, testPairs, scorer, undefined, testEmb);
  const testScored = norm && testEmb ? pairScores(testEmb, network.embeddingDim, testPairs, testDist, distance, norm) : { scores: testDist, cohort: undefined };

  const count = (d: LabelledDataset | PairDataset): number => d.labels.length;
  const holdout = options.holdoutClasses ?? [];
  const testIsHeldOut = !isPairDataset(split.test) && split.test.labels.every((c) => holdout.includes(c));
  const heldOutClasses =
    holdout.length > 0 && !isPairDataset(split.test) && !testIsHeldOut
      ? await scoreHeldOutClasses(network, split.test, new Set(holdout), calibration.threshold, { distance, head: result.head }, options.testPairs ?? HELD_OUT_PAIRS.test, seed, norm)
      : undefined;
  // verify and serve score against the cohort of the classes the run's figures are on: the held-out ones where there are some
  const bundleCohort = heldOutClasses?.cohort ?? testScored.cohort;
  delete heldOutClasses?.cohort;
  // Every zero-shot run says what it has to beat: raw inputs and the same encoder untrained, on the same held-out pairs.
  let baselines: RunMetrics['baselines'];
  // (Not for a backbone run, whose untrained counterpart is the backbone itself, nor for images streamed from disk.)
  if (holdout.length > 0 && !isPairDataset(split.test) && !options.backbone && examplesOf(split.test).resident) {
    const { held, pairs } = heldOutPart(split.test, new Set(holdout), options.testPairs ?? HELD_OUT_PAIRS.test, seed);
    const fresh = buildEncoder(encoderName, data.inputShape, options, seed);
    const untrained = new SiameseNetwork(fresh, { distance, normalize, readout: sameReadoutIn(network, fresh.model) });
    try {
      baselines = await zeroShotBaselines(held, pairs, untrained);
    } finally {
      untrained.dispose();
    }
  }
  const verification = verificationOf(testScored.scores, testDist, testPairs.labels, calibration.threshold);
  const metrics: RunMetrics = {
    verification,
    retrieval,
    dataset: datasetSpec,
    encoder: backbone ? 'backbone' : encoderName,
    ...(backbone ? { backbone, backboneFeatureSeconds: Math.round(featureSeconds * 10) / 10 } : {}),
    loss: pieceLabel(trainCfg.loss) ?? 'contrastive',
    miner: pieceLabel(trainCfg.miner) ?? null,
    margin,
    distance,
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    backend,
    trainSeconds: Math.round(result.seconds * 10) / 10,
    seed,
    holdoutClasses: holdout,
    validationClasses,
    ...(heldOutClasses ? { heldOutClasses } : {}),
    ...(holdout.length > 0 && testIsHeldOut ? { heldOutClasses: { verification: { ...verification }, retrieval } } : {}),
    ...(baselines ? { baselines } : {}),
    ...(result.untrained?.validation ? { untrainedValidation: result.untrained.validation } : {}),
    ...(foldRun ? { validationFolds: foldRun.record } : {}),
    ...(norm ? { scoreNorm: { kind: 's-norm' as const, cohortSize: norm.size } } : {}),
    readout: readoutName(network.readout),
    ...(network.readoutLayer !== 'output' ? { readoutLayer: network.readoutLayer, embeddingDim: network.embeddingDim } : {}),
    split: { train: count(split.train), validation: count(split.validation), test: count(split.test) },
    ...(!isPairDataset(data) && data.skipped?.length ? { skippedImages: data.skipped.map((s) => s.file) } : {}),
  };
  const signature = isSignatureDataset(data) ? signatureRunExtras(data, split.test, testDist, calibration.threshold) : undefined;
  if (signature) metrics.signature = signature.metrics;

  const bundleDir = path.join(outDir, 'model');
  await saveBundle(bundleDir, network, {
    preprocessing: signature?.preprocessing ?? preprocessingOf(data.inputShape),
    loss: { name: metrics.loss, convention: 'hadsell', margin, ...(result.head ? { head: result.head.toJSON() } : {}) },
    threshold: calibration.threshold,
    calibration: { target: 'accuracy', dataset: foldRun ? calibration.dataset : `${datasetSpec} validation pairs${norm ? ' (s-norm)' : ''}`, probability: { model: 'logistic', a: platt.a, b: platt.b } },
    ...(bundleCohort ? { cohort: { embeddings: bundleCohort, dataset: `${datasetSpec} ${heldOutClasses || testIsHeldOut ? 'held-out classes' : 'test split'}` } } : {}),
    training: {
      dataset: datasetSpec,
      epochs: metrics.epochs,
      bestEpoch: result.bestEpoch,
      seed,
      loss: metrics.loss,
      miner: metrics.miner,
      // What `contrastive eval` needs to re-split the data exactly as this run did.
      // With class folds the model trained on every seen class; eval and calibrate re-split class-disjoint with fold 1's classes
      // as validation, so their test split is exactly the held-out classes, as here.
      split: {
        validation: fractions.validation,
        test: fractions.test,
        holdoutClasses: holdout,
        ...(validationClasses.length > 0 ? { validationClasses } : {}),
        ...(foldRun ? { validationClasses: foldRun.record.folds[0].classes, validationFolds: foldRun.record.k } : {}),
      },
      // how the images were held changes no example: later commands choose their own storage
      load: Object.fromEntries(Object.entries(options.load ?? {}).filter(([k]) => k !== 'storage' && k !== 'cacheBytes')),
    },
    metrics: { verification: metrics.verification, retrieval: metrics.retrieval },
    backbone,
  });
  await writeFileAtomic(path.join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await writeFileAtomic(path.join(outDir, 'history.json'), JSON.stringify(result.history, null, 2) + '\n');
  const reportFile = options.report === false ? null : path.resolve(options.report ?? path.join(outDir, 'report.html'));
  if (reportFile) {
    const test = { distances: Float32Array.from(testScored.scores), labels: testPairs.labels, accuracy: metrics.verification.accuracy };
    const labelled = isPairDataset(split.test) ? undefined : split.test;
    await writeReport(reportFile, await runReport(metrics, result, test, labelled && testEmb ? { data: labelled, embeddings: testEmb, dim: network.embeddingDim } : undefined));
  }
  return { outDir, reportFile, bundleDir, metrics, result, network };
}

/** The training report's document: settings and results, curves, histograms, test ROC and embeddings. */
function runReport(
  m: RunMetrics,
  result: TrainResult,
  test: { distances: Float32Array; labels: Uint8Array; accuracy: number },
  emb?: { data: LabelledDataset; embeddings: Float32Array; dim: number },
): ReturnType<typeof trainingReport> {
  const f4 = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(4)));
  return trainingReport({
    subtitle: `${m.dataset}, ${m.encoder} encoder, ${m.loss} loss${m.miner ? ` (${m.miner} miner)` : ''}, ${m.distance} distance, seed ${m.seed}, ${m.backend} backend`,
    summary: [
      ['dataset', m.dataset],
      ['split (train / validation / test examples)', `${m.split.train} / ${m.split.validation} / ${m.split.test}`],
      ['held-out classes (test only)', m.holdoutClasses.length ? m.holdoutClasses.join(', ') : 'none'],
      ['loss, margin', m.loss === 'cross-entropy' ? 'cross-entropy (no margin)' : `${m.loss}, m = ${m.margin}`],
      ['epochs (best)', `${m.epochs} (${m.bestEpoch})${result.stoppedEarly ? ', stopped early' : ''}`],
      ['training time', `${m.trainSeconds} s`],
      ['test accuracy at the calibrated threshold', f4(m.verification.accuracy)],
      ['calibrated threshold (best accuracy on validation pairs)', f4(m.verification.threshold)],
      ['test AUC / EER', `${f4(m.verification.auc)} / ${f4(m.verification.eer)}`],
      ['test P@1 / MAP@R', m.retrieval ? `${f4(m.retrieval.precisionAt1)} / ${f4(m.retrieval.mapAtR)}` : '- (no class labels)'],
      ['embeddings read at', m.readout === 'output' ? 'output' : `${m.readout}${m.readoutLayer && m.readoutLayer !== m.readout ? ` (layer ${m.readoutLayer})` : ''}, ${m.embeddingDim ?? '?'}-d`],
      ...foldRows(m),
      ...baselineRows(m),
    ],
    history: result.history,
    bestEpoch: result.bestEpoch,
    untrained: result.untrained,
    margin: m.loss === 'cross-entropy' ? null : m.margin,
    threshold: m.verification.threshold,
    test,
    embeddings: emb && {
      embeddings: emb.embeddings,
      dim: emb.dim,
      labels: emb.data.labels,
      distance: retrievalDistance({ distance: m.distance, head: result.head }),
      // read through the split's store: a split streamed from disk decodes only the images the grid shows
      images: { x: examplesOf(emb.data), inputShape: emb.data.inputShape },
      classNames: emb.data.classNames,
      map: { seed: m.seed },
      grid: { seed: m.seed },
    },
  });
}

/** Report rows of a class-fold run: each fold's classes, curve and best epoch, the mean curve and the chosen epoch count. */
function foldRows(m: RunMetrics): Array<[string, string]> {
  const f = m.validationFolds;
  if (!f) return [];
  const x = (v: number): string => v.toFixed(4);
  const rows: Array<[string, string]> = f.folds.map((r) => [
    `fold ${r.fold}: validated on classes ${r.classes.join(', ')} (trained on ${r.trainClasses.join(', ')})`,
    `validation ${f.monitor} by epoch ${r.curve.map((e) => `${e.epoch}: ${x(e[f.monitor])}`).join(', ')}; best epoch ${r.bestEpoch}; own threshold ${x(r.threshold)}`,
  ]);
  rows.push([
    `${f.k} class folds: mean validation ${f.monitor} +- sd by epoch`,
    f.mean.map((p) => `${p.epoch}: ${x(p[f.monitor].mean)} +- ${x(p[f.monitor].sd)}`).join(', '),
  ]);
  rows.push(['epochs chosen by the folds (the final model trained on every seen class)', String(f.bestEpoch)]);
  rows.push([`threshold from the pooled out-of-fold pairs (${f.calibration.pairs}, ${f.calibration.scores})`, `${x(f.calibration.threshold)} (accuracy there ${x(f.calibration.accuracy)})`]);
  return rows;
}

/** Report rows comparing the held-out-class figures with the untrained and raw-input references. */
function baselineRows(m: RunMetrics): Array<[string, string]> {
  const b = m.baselines;
  const h = m.heldOutClasses;
  if (!b || !h) return [];
  const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4));
  const row = (r: { mapAtR?: number; precisionAt1?: number; auc?: number; bestAccuracy?: number }): string =>
    `${f(r.mapAtR)} / ${f(r.precisionAt1)} / ${f(r.auc)} / ${f(r.bestAccuracy)}`;
  return [
    ['held-out classes: MAP@R / P@1 / AUC / best accuracy, trained', row({ mapAtR: h.retrieval?.mapAtR, precisionAt1: h.retrieval?.precisionAt1, auc: h.verification.auc, bestAccuracy: h.verification.bestAccuracy })],
    [`... untrained (same seed, read at ${b.untrained.readout})`, row(b.untrained)],
    ['... raw inputs, L2-normalised', row(b.rawInput)],
  ];
}

/** `network`'s read-out for another build of the same encoder (layer names differ between builds; positions do not). */
function sameReadoutIn(network: SiameseNetwork, model: SiameseNetwork['encoder']): SiameseNetwork['readout'] {
  const r = network.readout;
  if (r.layer === 'output' || r.layer === 'under-head') return r;
  const at = network.encoder.layers.findIndex((l) => l.name === r.layer);
  return { ...r, layer: model.layers[at].name };
}
