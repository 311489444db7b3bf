/**
 * Face training (`contrastive train --dataset faces:DIR`): describe every
 * image once with the frozen pretrained pipeline (cached), split the people
 * into train / validation / test identities (no person in two splits), train
 * a contrastive projection head on the 128-d descriptors, calibrate its
 * threshold and Platt fit on the validation people, and measure it on the
 * test people beside the raw descriptor calibrated on the same validation
 * people, so the head is compared honestly.
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { refuseExistingOutput, prepareOutputDir } from '@contrastive/node/internal/util/output-dir.js';
import { initBackend, type BackendChoice } from '@contrastive/node/internal/engine/backend.js';

import type { IndexPairs, LabelledDataset } from 'contrastive/internal/data/types.js';
import { SiameseNetwork, mlpEncoder } from 'contrastive/internal/models/index.js';
import { verificationMetrics, retrievalMetrics, calibrateThreshold, fitPlatt, accuracyAtThreshold } from 'contrastive/internal/eval/index.js';
import { trainSiamese, type TrainConfig, type TrainEvent, type TrainResult } from 'contrastive/internal/train/trainer.js';
import { scorePairs, scoreSplit, drawHeldOutPairs } from 'contrastive/internal/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import { loadFaceDataset, loadFaceEngine, faceCalibrationWarnings, faceDetectorLabel, FaceCache, PRETRAINED_FACE_CALIBRATION, type FaceDataset, type FaceEngineSettings } from '@contrastive/faces/internal/index.js';
import type { ProgressListener } from 'contrastive/internal/util/progress.js';
import { trainingReport, writeReport } from '@contrastive/node/internal/report/index.js';
import type { RunMetrics, RunTrainingResult } from './run-result.js';
import { subsetDataset } from 'contrastive/internal/data/index.js';
import { saveBundle } from '@contrastive/node/internal/models/bundle.js';

/** Defaults of face training. @group Faces */
export const FACE_TRAIN_DEFAULTS = {
  /** Fractions of the people kept for validation and for test (at least 2 people each). */
  validationFraction: 0.2,
  testFraction: 0.2,
  hidden: [256],
  embeddingDim: 64,
  margin: 0.5,
  epochs: 40,
  patience: 10,
} as const;

/** Options of {@link trainFaceModel}. @group Faces */
export interface FaceTrainingOptions {
  /** The folder: one sub-folder per person. */
  dir: string;
  /** Settings of the face pipeline (detector, ...); default the SSD detector. */
  engine?: Partial<FaceEngineSettings>;
  /** Longest side photos are reduced to; default 1920. */
  maxSide?: number;
  /** Descriptor cache folder; default ~/.cache/contrastive/faces ($CONTRASTIVE_CACHE_DIR/faces). */
  cacheDir?: string;
  /** Images with several faces: use the largest (default) or skip them. */
  multipleFaces?: 'largest' | 'skip';
  /** Leave out photos without a face the detector finds (listed in metrics.json) instead of failing; default false. */
  skipNoFace?: boolean;
  /** Fractions of the people for validation and test; defaults 0.2 and 0.2. */
  validationFraction?: number;
  testFraction?: number;
  /** Hidden widths of the head; default [256]. */
  hidden?: number[];
  /** Embedding size of the head; default 64. */
  embeddingDim?: number;
  backend?: BackendChoice;
  /** Output directory; default runs/faces-<timestamp>. An existing non-empty one is refused unless `force` (or `train.resume`). */
  out?: string;
  force?: boolean;
  /** HTML report file; default out/report.html; false for none. */
  report?: string | false;
  /** Trainer settings (margin, epochs, ...). */
  train?: Partial<TrainConfig>;
  /** Called after each image is described. */
  onImage?: (done: number, total: number, cached: boolean) => void;
  /** Told how many photos are described (task 'describing photos'; the first run costs about a second a photo). */
  onProgress?: ProgressListener;
}

/** Verification and retrieval figures of one scorer on the test people. @group Faces */
export interface FaceScores {
  accuracy: number;
  threshold: number;
  auc: number;
  eer: number;
  tarAtFar: Record<string, number>;
  precisionAt1: number;
  mapAtR: number;
  rPrecision: number;
}

/** metrics.json of a face run: the head's figures (RunMetrics) and the raw descriptor's beside them. @group Faces */
export interface FaceRunMetrics extends RunMetrics {
  faces: {
    people: { train: number; validation: number; test: number };
    images: number;
    skipped: { file: string; reason: string }[];
    pipeline: string;
    /** The detector in words (every figure here depends on it). */
    detector: string;
    /** Why the head's threshold may not hold for other people (few validation people or pairs); empty when none. */
    warnings: string[];
    /** The trained head on the test people, threshold from the validation people. */
    head: FaceScores;
    /** The raw 128-d descriptor on the same test pairs, threshold calibrated on the same validation pairs. */
    descriptor: FaceScores;
    /** The raw descriptor at the library's default threshold (calibrated on the sample faces). */
    descriptorAtDefault: { threshold: number; accuracy: number };
  };
}

/**
 * Refuses a faces:DIR spec in a job that splits its dataset by example (eval,
 * calibrate, embed, margin, compare): face figures count only on people never
 * trained on, and only the face jobs split by person.
 * @group Faces
 */
export function refuseFaceDataset(spec: string, fn: string): void {
  if (!spec.startsWith('faces:')) return;
  throw new ContrastiveError(
    'UNSUPPORTED',
    `${fn}: '${spec}' is a face dataset: it splits by person, which 'contrastive train --dataset faces:DIR' (trainFaceModel) and 'contrastive face calibrate' do; this command would split it by photo and score people it trained on`,
  );
}

/** Splits the people of a face dataset into disjoint train / validation / test sets, seeded. @group Faces */
export function splitIdentities(data: LabelledDataset, options: { seed: number; validationFraction: number; testFraction: number }): { train: LabelledDataset; validation: LabelledDataset; test: LabelledDataset } {
  const fn = 'splitIdentities';
  const c = data.numClasses;
  const nVal = Math.max(2, Math.round(options.validationFraction * c));
  const nTest = Math.max(2, Math.round(options.testFraction * c));
  if (c - nVal - nTest < 2) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${data.name} has ${c} people with a usable face; face training needs at least ${nVal + nTest + 2} (2 to train on, ${nVal} for validation, ${nTest} for test, no person in two splits)`);
  }
  const order = new Rng(options.seed).shuffle(Int32Array.from({ length: c }, (_, k) => k));
  const part = new Int8Array(c); // 0 train, 1 validation, 2 test
  for (let k = 0; k < c; k++) part[order[k]] = k < nTest ? 2 : k < nTest + nVal ? 1 : 0;
  const rows = (p: number): number[] => Array.from(data.labels.keys()).filter((i) => part[data.labels[i]] === p);
  return { train: subsetDataset(data, rows(0)), validation: subsetDataset(data, rows(1)), test: subsetDataset(data, rows(2)) };
}

function scoresOf(dist: Float32Array, pairs: IndexPairs, threshold: number, emb: Float32Array, labels: Int32Array, dim: number): FaceScores {
  const vm = verificationMetrics(dist, pairs.labels);
  const rm = retrievalMetrics(emb, labels, { dim });
  return {
    accuracy: accuracyAtThreshold(dist, pairs.labels, threshold),
    threshold,
    auc: vm.auc,
    eer: vm.eer,
    tarAtFar: { ...vm.tarAtFar },
    precisionAt1: rm.precisionAt1,
    mapAtR: rm.mapAtR,
    rPrecision: rm.rPrecision,
  };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d\dZ$/, 'Z');
}

/**
 * Runs face training and writes `out/model` (a face bundle), metrics.json and history.json.
 *
 * @throws ContrastiveError when the folder is missing or holds too few people
 *   with a usable face, and every error of training.
 * @group Faces
 */
export async function trainFaceModel(options: FaceTrainingOptions, onEvent?: (e: TrainEvent) => void): Promise<RunTrainingResult & { metrics: FaceRunMetrics; data: FaceDataset }> {
  const fn = 'trainFaceModel';
  check(typeof options.dir === 'string' && options.dir.length > 0, fn, "dir must be a folder (faces:DIR)");
  const cfg = options.train ?? {};
  const seed = cfg.seed ?? 42;
  const margin = cfg.margin ?? FACE_TRAIN_DEFAULTS.margin;
  // Checked before the (slow) description of every image.
  check(cfg.loss === undefined || cfg.loss === 'contrastive', fn, `face training trains a contrastive head; { loss: '${cfg.loss}' } is not offered for faces:DIR`);
  check(cfg.distance === undefined || cfg.distance === 'euclidean', fn, `face training ranks by Euclidean distance on L2-normalised embeddings; { distance: '${cfg.distance}' } is not offered for faces:DIR`);
  const outDir = path.resolve(options.out ?? path.join('runs', `faces-${timestamp()}`));
  const inputs = [{ path: options.dir, what: 'the dataset' }];
  await refuseExistingOutput(outDir, options.out ?? outDir, { force: options.force, resume: cfg.resume, fn: 'train', inputs });
  if (typeof options.report === 'string') await refuseExistingOutput(options.report, options.report, { fn: 'train', flag: '{ report }', file: true, force: options.force, resume: cfg.resume, inputs });
  await prepareOutputDir(outDir, `{ out: ${options.out ?? outDir} }`);
  const backend = await initBackend(options.backend ?? 'auto');
  const engine = await loadFaceEngine(options.engine ?? {});
  const data = await loadFaceDataset(options.dir, {
    engine,
    maxSide: options.maxSide,
    cache: new FaceCache(options.cacheDir),
    multipleFaces: options.multipleFaces,
    skipNoFace: options.skipNoFace,
    onImage: (done, total, cached) => {
      options.onImage?.(done, total, cached);
      options.onProgress?.({ task: 'describing photos', done, total });
    },
  });
  const fractions = { seed, validationFraction: options.validationFraction ?? FACE_TRAIN_DEFAULTS.validationFraction, testFraction: options.testFraction ?? FACE_TRAIN_DEFAULTS.testFraction };
  const split = splitIdentities(data, fractions);
  // Recorded with an absolute path: the bundle may be used from another directory.
  const spec = `faces:${path.resolve(options.dir)}`;

  const encoder = mlpEncoder({ inputShape: [128], hidden: options.hidden ?? [...FACE_TRAIN_DEFAULTS.hidden], embeddingDim: options.embeddingDim ?? FACE_TRAIN_DEFAULTS.embeddingDim, seed });
  const network = new SiameseNetwork(encoder, { distance: 'euclidean', normalize: true });
  const result: TrainResult = await trainSiamese(
    network,
    { train: split.train, validation: split.validation },
    {
      ...cfg,
      seed,
      margin,
      distance: 'euclidean',
      epochs: cfg.epochs ?? FACE_TRAIN_DEFAULTS.epochs,
      patience: cfg.patience ?? FACE_TRAIN_DEFAULTS.patience,
      augmentShift: 0,
      checkpointDir: path.join(outDir, 'checkpoint'),
    },
    onEvent,
  );

  // Threshold, Platt fit: validation people. Figures: test people. Same pairs for head and descriptor.
  const valPairs = drawHeldOutPairs(split.validation, cfg.validationPairs ?? HELD_OUT_PAIRS.validation, seed ^ HELD_OUT_PAIRS.validationSalt);
  const testPairs = drawHeldOutPairs(split.test, HELD_OUT_PAIRS.test, seed ^ HELD_OUT_PAIRS.testSalt);
  const scorer = { distance: 'euclidean' as const };
  const valHead = await scoreSplit(network, split.validation, valPairs, scorer);
  const headCal = calibrateThreshold(valHead, valPairs.labels, { kind: 'accuracy' });
  // p(same) = 0.5 at the threshold: the verdict and the probability of a face bundle never disagree
  const platt = fitPlatt(valHead, valPairs.labels, { threshold: headCal.threshold });
  const valPairCounts = { similar: valPairs.labels.filter((v) => v === 0).length, dissimilar: valPairs.labels.filter((v) => v === 1).length };
  const valPeople = new Set(split.validation.labels).size;
  const testEmb = await network.embedBatched(split.test.x);
  const testHead = scorePairs(testEmb, testEmb, network.embeddingDim, testPairs.i, testPairs.j, scorer);
  const valRaw = scorePairs(split.validation.x, split.validation.x, 128, valPairs.i, valPairs.j, scorer);
  const rawCal = calibrateThreshold(valRaw, valPairs.labels, { kind: 'accuracy' });
  const testRaw = scorePairs(split.test.x, split.test.x, 128, testPairs.i, testPairs.j, scorer);
  const head = scoresOf(testHead, testPairs, headCal.threshold, testEmb, split.test.labels, network.embeddingDim);
  const descriptor = scoresOf(testRaw, testPairs, rawCal.threshold, split.test.x, split.test.labels, 128);
  const descriptorAtDefault = { threshold: PRETRAINED_FACE_CALIBRATION.threshold, accuracy: accuracyAtThreshold(testRaw, testPairs.labels, PRETRAINED_FACE_CALIBRATION.threshold) };

  const metrics: FaceRunMetrics = {
    verification: { accuracy: head.accuracy, auc: head.auc, eer: head.eer, threshold: head.threshold, tarAtFar: head.tarAtFar, pairs: testPairs.labels.length },
    retrieval: { precisionAt1: head.precisionAt1, mapAtR: head.mapAtR, rPrecision: head.rPrecision, recallAtK: {}, queries: split.test.labels.length },
    dataset: spec,
    encoder: 'mlp',
    loss: 'contrastive',
    miner: typeof cfg.miner === 'function' ? `custom:${cfg.miner.name || 'anonymous'}` : (cfg.miner ?? null),
    margin,
    distance: 'euclidean',
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    backend,
    trainSeconds: Math.round(result.seconds * 10) / 10,
    seed,
    holdoutClasses: [],
    split: { train: split.train.labels.length, validation: split.validation.labels.length, test: split.test.labels.length },
    faces: {
      people: { train: new Set(split.train.labels).size, validation: new Set(split.validation.labels).size, test: new Set(split.test.labels).size },
      images: data.labels.length,
      skipped: data.skipped,
      pipeline: data.pipelineId,
      detector: faceDetectorLabel(data.pipeline),
      warnings: faceCalibrationWarnings("the head's threshold", valPeople, valPairCounts),
      head,
      descriptor,
      descriptorAtDefault,
    },
  };

  const bundleDir = path.join(outDir, 'model');
  await saveBundle(bundleDir, network, {
    preprocessing: { kind: 'vector' },
    loss: { name: 'contrastive', convention: 'hadsell', margin },
    threshold: headCal.threshold,
    calibration: {
      target: 'accuracy',
      dataset: `${spec} validation people (${metrics.faces.people.validation})`,
      probability: { model: 'logistic', a: platt.a, b: platt.b },
      // what the threshold rests on: a bundle calibrated on few people warns wherever it decides
      identities: valPeople,
      pairs: valPairCounts,
    },
    training: {
      dataset: spec,
      epochs: metrics.epochs,
      bestEpoch: result.bestEpoch,
      seed,
      loss: 'contrastive',
      // The whole pipeline: inputs are the 128-d descriptors of this face-api pipeline, aligned by its 68 landmarks.
      facePipeline: data.pipeline,
      facePipelineId: data.pipelineId,
      split: { by: 'identity', validation: fractions.validationFraction, test: fractions.testFraction },
    },
    metrics: { verification: metrics.verification, faces: { head, descriptor, descriptorAtDefault, people: metrics.faces.people } },
  });
  await writeFileAtomic(path.join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await writeFileAtomic(path.join(outDir, 'history.json'), JSON.stringify(result.history, null, 2) + '\n');
  const reportFile = options.report === false ? null : path.resolve(options.report ?? path.join(outDir, 'report.html'));
  if (reportFile) {
    const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '-');
    const p = metrics.faces.people;
    const doc = await trainingReport({
      subtitle: `${spec}: contrastive head on ${data.pipelineId} descriptors, seed ${seed}, ${backend} backend`,
      summary: [
        ['people (train / validation / test, disjoint)', `${p.train} / ${p.validation} / ${p.test}`],
        ['images (used / without a usable face)', `${data.labels.length} / ${data.skipped.length}`],
        ['loss, margin', `contrastive, m = ${margin}`],
        ['epochs (best)', `${metrics.epochs} (${result.bestEpoch})${result.stoppedEarly ? ', stopped early' : ''}`],
        ['head: test accuracy at its threshold / AUC / EER / P@1', `${f4(head.accuracy)} at ${f4(head.threshold)} / ${f4(head.auc)} / ${f4(head.eer)} / ${f4(head.precisionAt1)}`],
        ['raw descriptor, same pairs: accuracy / AUC / EER / P@1', `${f4(descriptor.accuracy)} at ${f4(descriptor.threshold)} / ${f4(descriptor.auc)} / ${f4(descriptor.eer)} / ${f4(descriptor.precisionAt1)}`],
        ['raw descriptor at the default threshold (calibrated on augmented crops of six photos, far easier than real photos)', `${f4(descriptorAtDefault.accuracy)} at ${descriptorAtDefault.threshold}`],
        ['detector', faceDetectorLabel(data.pipeline)],
        ...metrics.faces.warnings.map((w): [string, string] => ['warning', w]),
      ],
      history: result.history,
      bestEpoch: result.bestEpoch,
      margin,
      threshold: head.threshold,
      test: { distances: testHead, labels: testPairs.labels, accuracy: head.accuracy },
      embeddings: { embeddings: testEmb, dim: network.embeddingDim, labels: split.test.labels, distance: 'euclidean', classNames: split.test.classNames, map: { seed }, grid: { seed } },
    });
    await writeReport(reportFile, doc);
  }
  return { outDir, reportFile, bundleDir, metrics, result, network, data };
}
