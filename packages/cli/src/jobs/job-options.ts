/**
 * The training job's options, stated once: the job's own options (dataset,
 * encoder, split, outputs) and the trainer's, taken from the core's schema
 * (`trainOptionsSchema`) without its defaults (the job has its own, in
 * RUN_DEFAULTS). From these schemas come the types (checked equal to the
 * documented interfaces at compile time), the unknown-key check, the
 * validation and, through the CLI's table (cli/training-options.ts), the
 * flags. Free of TensorFlow.js: the CLI reads it for --help.
 *
 * Adding a job option: one entry in {@link runTrainingOptionsSchema}, its
 * documented field in {@link RunTrainingOptions}, and one row of the CLI's
 * table (a flag, or `null` with the reason it has none).
 */
import * as v from 'valibot';
import { DISTANCE_NAMES, type DistanceName } from 'contrastive/internal/distances/names.js';
import { SCORE_NORMS, type ScoreNormName } from 'contrastive/internal/eval/score-norm-names.js';
import {
  trainOptionsSchema,
  parseOptions,
  numberRule,
  positiveInt,
  nonNegativeInt,
  isFunction,
  isObject,
  oneOf,
  optionValue,
  type TrainConfig,
  type SameType,
  type AssertTrue,
} from 'contrastive/internal/train/options.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import type { LoadDatasetOptions } from '@contrastive/node/internal/data/load.js';
import type { ProgressListener } from 'contrastive/internal/util/progress.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { ENCODER_NAMES, ENCODER_OPTIONS, type EncoderName } from './choices.js';
import { BACKBONE_POOLINGS, type BackbonePixels, type BackbonePooling } from 'contrastive/internal/models/backbone-record.js';

type Entries = typeof trainOptionsSchema.entries;
/** The trainer's option schemas without their defaults: a job leaves unset what the caller left unset. */
type WithoutDefaults = { [K in keyof Entries]: v.OptionalSchema<Entries[K]['wrapped'], undefined> };

function withoutDefaults(entries: Entries): WithoutDefaults {
  return Object.fromEntries(Object.entries(entries).map(([k, s]) => [k, v.optional(s.wrapped)])) as WithoutDefaults;
}

/** Trainer options the job sets itself: its checkpoints live in its run directory. */
const JOB_OWNED = ['checkpointDir', 'checkpointStore'] as const;

const { checkpointDir: _dir, checkpointStore: _store, ...sharedTrainEntries } = withoutDefaults(trainOptionsSchema.entries);
void _dir;
void _store;

/**
 * Schema of a job's trainer options ({@link JobTrainConfig}): the trainer's,
 * except that the distance is a built-in name (the bundle's manifest records
 * it) and the checkpoint location is the job's.
 * @group Training
 */
export const jobTrainOptionsSchema = v.strictObject({
  ...sharedTrainEntries,
  distance: v.optional(oneOf(DISTANCE_NAMES)),
});

/**
 * Trainer settings of a job. A job saves a bundle, whose manifest names its distance,
 * so the distance is one of the built-in names here (a distance object goes to `trainSiamese`);
 * its checkpoints go to `<out>/checkpoint`.
 * @group Training
 */
export type JobTrainConfig = Partial<Omit<TrainConfig, 'distance' | (typeof JOB_OWNED)[number]>> & { distance?: DistanceName };
export type JobTrainConfigMatchesSchema = AssertTrue<SameType<Required<JobTrainConfig>, Required<v.InferOutput<typeof jobTrainOptionsSchema>>>>;

const fractionOpen = numberRule('must be in (0, 1)', (n) => n > 0 && n < 1);
const classList = v.array(nonNegativeInt('must be a list of class numbers (non-negative integers)'), 'must be a list of class numbers (non-negative integers)');

/** Schema of {@link RunTrainingOptions}. @group Training */
export const runTrainingOptionsSchema = v.strictObject({
  dataset: v.optional(v.string('must be a dataset spec')),
  load: v.optional(isObject<LoadDatasetOptions>('must be an object of loader options')),
  encoder: v.optional(oneOf(ENCODER_NAMES)),
  embeddingDim: v.optional(positiveInt()),
  hidden: v.optional(v.array(positiveInt('must be a list of positive integers'), 'must be a list of positive integers')),
  dropout: v.optional(numberRule('must be in [0, 1)', (n) => n >= 0 && n < 1)),
  filters: v.optional(v.pipe(v.array(positiveInt('must be a list of positive integers'), 'must be a list of positive integers'), v.minLength(1, 'must list at least one width'))),
  dense: v.optional(nonNegativeInt()),
  batchNorm: v.optional(v.boolean('must be true or false')),
  init: v.optional(oneOf(['he', 'fan-in-uniform'] as const)),
  readout: v.optional(v.string('must be a read-out: output, under-head, auto, a layer name or NAME:avg / NAME:max')),
  normalize: v.optional(v.boolean('must be true or false')),
  scoreNorm: v.optional(oneOf(SCORE_NORMS)),
  cohortSize: v.optional(numberRule('must be an integer >= 2', (n) => Number.isInteger(n) && n >= 2)),
  holdoutClasses: v.optional(classList),
  validationClasses: v.optional(v.union([classList, fractionOpen], 'must be a list of class numbers or a fraction in (0, 1)')),
  validationFolds: v.optional(numberRule('must be an integer >= 2', (n) => Number.isInteger(n) && n >= 2)),
  validationFraction: v.optional(fractionOpen),
  testFraction: v.optional(fractionOpen),
  testPairs: v.optional(numberRule('must be an integer >= 2', (n) => Number.isInteger(n) && n >= 2)),
  backend: v.optional(oneOf(BACKEND_CHOICES)),
  out: v.optional(v.string('must be a directory path')),
  force: v.optional(v.boolean('must be true or false')),
  train: v.optional(jobTrainOptionsSchema),
  report: v.optional(v.union([v.string(), v.literal(false)], 'must be a file path, or false for none')),
  skipNoFace: v.optional(v.boolean('must be true or false')),
  backbone: v.optional(
    v.strictObject(
      {
        source: v.string('must be a path'),
        layer: v.optional(v.string('must be a layer name')),
        pooling: v.optional(oneOf(BACKBONE_POOLINGS)),
        fineTune: v.optional(nonNegativeInt()),
        pixels: v.optional(isObject<Partial<BackbonePixels>>('must be an object { scale, mean, std }')),
      },
      'must be an object { source, layer, pooling, fineTune, pixels }',
    ),
  ),
  onProgress: v.optional(isFunction<ProgressListener>()),
});

/** The backbone of a training job. @group Training */
export interface JobBackbone {
  /** A bundle directory, a folder holding a TF.js layers model.json, or that model.json. */
  source: string;
  /** The layer whose output are the features (default: the backbone's output). */
  layer?: string;
  /** How feature maps become a vector (default 'flatten'). */
  pooling?: BackbonePooling;
  /** The backbone's last weighted layers that train with the head (default 0: frozen, the fast path). */
  fineTune?: number;
  /** The pixels the backbone was trained on (default what the loaders give: pixel / 255). */
  pixels?: Partial<BackbonePixels>;
}

/** Options of `runTraining`. @group Training */
export interface RunTrainingOptions {
  /** Dataset spec: 'mnist' (default), 'fashion-mnist', 'idx:DIR', 'folder:DIR', 'pairs:FILE.csv', 'faces:DIR' (face training, jobs/face-train.ts). */
  dataset?: string;
  /** Loader options (data directory, image size, ...). */
  load?: LoadDatasetOptions;
  /** Ready encoder to build. Default 'mlp'. */
  encoder?: EncoderName;
  /** Embedding size. Default 64. */
  embeddingDim?: number;
  /** Hidden layer widths of the mlp encoder. Default [512, 256]. */
  hidden?: number[];
  /** Dropout rate after each hidden layer of the mlp encoder. Default 0. */
  dropout?: number;
  /** Conv widths of the cnn encoder. Default [32, 64]. */
  filters?: number[];
  /** Width of the cnn encoder's dense layer. Default 128. */
  dense?: number;
  /** Batch normalisation in the cnn encoder's conv blocks. Default false. */
  batchNorm?: boolean;
  /** Weight initialisation of the cnn encoder: 'he' (default) or 'fan-in-uniform' (PyTorch's default). */
  init?: 'he' | 'fan-in-uniform';
  /**
   * Where embeddings are read (evaluation, the bundle and everything that loads it):
   * 'output' (default), 'under-head', a layer name, 'NAME:avg' / 'NAME:max' (pooled),
   * or 'auto': compare the encoder's candidates (`readoutCandidates`) on validation
   * every epoch and keep the best.
   */
  readout?: string;
  /** L2-normalise embeddings (D then lies in [0, 2]). Default true. */
  normalize?: boolean;
  /**
   * How a pair's distance becomes the score the threshold applies to: 'none'
   * (default: the distance) or 's-norm' (cohort S-norm, `sNormScores`: each pair
   * against a cohort of unlabelled examples of its own domain, so that a threshold
   * calibrated on the validation classes holds on classes whose distances sit on
   * another scale). The bundle keeps the cohort its test figures used, for verify and serve.
   */
  scoreNorm?: ScoreNormName;
  /** Examples in each S-norm cohort (drawn with the run's seed). Default 1000. */
  cohortSize?: number;
  /** Classes kept out of training and validation (they appear only in test). */
  holdoutClasses?: number[];
  /**
   * Class-disjoint validation (needs `holdoutClasses`): classes, or a fraction of
   * the classes not held out, used whole for early stopping and threshold
   * calibration and neither trained on nor tested. See `splitDataset`.
   */
  validationClasses?: number[] | number;
  /**
   * Class-fold cross-validation (needs `holdoutClasses`; instead of
   * `validationClasses`): the seen classes are dealt by the seed into K disjoint
   * folds (`classFolds`); fold k's model trains on the other seen classes and
   * validates on fold k's, every epoch. The epoch count whose validation figure,
   * averaged over the K folds, is best (on `train.monitor`) is chosen; the final
   * model trains on every seen class for that many epochs, and its threshold is
   * chosen on the out-of-fold validation pairs of all folds pooled. K + 1
   * trainings; metrics.json `validationFolds` records each fold. K is at most
   * half the seen classes (a fold's validation needs two classes).
   */
  validationFolds?: number;
  /** Fraction of each seen class for validation. Default 0.1. */
  validationFraction?: number;
  /** Fraction of each seen class for test. Default 0.2. */
  testFraction?: number;
  /** Pairs drawn from the test split for verification metrics. Default 10000. */
  testPairs?: number;
  /** Backend to run on. Default 'auto'. */
  backend?: BackendChoice;
  /** Output directory. Default `runs/<dataset>-<timestamp>`. */
  out?: string;
  /**
   * Write into an `out` that already holds files without resuming (they are
   * replaced as the run writes its own). Default false: such an `out` is refused
   * unless `train.resume` continues the run in it.
   */
  force?: boolean;
  /** Trainer settings (loss, margin, epochs, ...); the distance by name, as the bundle records it. */
  train?: JobTrainConfig;
  /** The HTML report: a file path, default `<out>/report.html`; false writes none. */
  report?: string | false;
  /** faces:DIR only: leave out photos without a face the detector finds (listed in metrics.json) instead of failing. */
  skipNoFace?: boolean;
  /**
   * A pretrained backbone under a trained head (a bundle or a TF.js layers model):
   * replaces `encoder`; `hidden` are the head's hidden widths (default none).
   */
  backbone?: JobBackbone;
  /** Told how long work before training goes (faces:DIR: describing every photo, about a second each the first time). */
  onProgress?: ProgressListener;
}
// `train` is checked above (JobTrainConfigMatchesSchema); valibot writes its optional keys `?: T | undefined`.
export type RunTrainingOptionsMatchSchema = AssertTrue<SameType<Required<Omit<RunTrainingOptions, 'train'>>, Required<Omit<v.InferOutput<typeof runTrainingOptionsSchema>, 'train'>>>>;

/**
 * Checks a job's options before any work: unknown keys (the job's and its
 * `train`'s), each option's rule, and encoder options the chosen encoder would
 * ignore. Throws one ContrastiveError naming the options as a caller writes them.
 * @group Training
 */
export function checkRunTrainingOptions(options: RunTrainingOptions, fn = 'runTraining'): void {
  parseOptions(runTrainingOptionsSchema, options, fn);
  const problem = encoderOptionProblem(options);
  if (problem !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${problem}`);
}

/** An encoder option given for another encoder than the one trained (it would be ignored), or undefined. @group Training */
export function encoderOptionProblem(o: Pick<RunTrainingOptions, 'encoder' | (typeof ENCODER_OPTIONS)[EncoderName][number]>): string | undefined {
  const encoder = o.encoder ?? 'mlp';
  for (const [other, keys] of Object.entries(ENCODER_OPTIONS) as [EncoderName, readonly (keyof typeof o)[]][]) {
    const given = keys.find((k) => o[k] !== undefined && !(ENCODER_OPTIONS[encoder] as readonly string[]).includes(k));
    if (given !== undefined) return `{ ${given} } applies to ${optionValue('encoder', other)}; this run uses ${optionValue('encoder', encoder)}`;
  }
  return undefined;
}
