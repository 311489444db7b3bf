/**
 * The jobs' named choices and defaults, apart from the jobs so that the CLI
 * can list and check them (and show them in --help) without loading TensorFlow.js.
 */

/**
 * Defaults of a training job (`contrastive train` with no options), chosen on
 * MNIST: see docs/results/mnist.md. The library's own defaults (margin 1, no
 * normalisation, no augmentation) stay those of the loss and the trainer.
 * @group Training
 */
export const RUN_DEFAULTS = {
  normalize: true,
  marginNormalized: 0.5,
  marginUnnormalized: 1,
  epochs: 40,
  /** Early stopping: epochs without a better validation AUC. */
  patience: 10,
  /** Embedding size. */
  embeddingDim: 64,
  /** Hidden widths of the default mlp encoder. */
  hidden: [512, 256],
  /** Conv widths and dense width of the cnn encoder. */
  filters: [32, 64],
  dense: 128,
  /** Random shift in pixels for labelled image datasets. */
  augmentShift: 1,
  /** The seed of the split, the initial weights and the data order. */
  seed: 42,
  /** Fractions of each seen class for validation and test. */
  validationFraction: 0.1,
  testFraction: 0.2,
} as const;

/** Encoders `contrastive train --encoder` offers. @group Training */
export type EncoderName = 'mlp' | 'cnn' | 'sequence';
/** Every {@link EncoderName}. @group Training */
export const ENCODER_NAMES: readonly EncoderName[] = ['mlp', 'cnn', 'sequence'];

/**
 * The job options that shape each encoder (the others do not apply to it),
 * and the job's defaults for them where they differ from the encoder's own
 * (`mlpEncoder` has no default width; the cnn's are the reference CNN's).
 * @group Training
 */
export const ENCODER_OPTIONS = {
  mlp: ['hidden', 'dropout'],
  cnn: ['filters', 'dense', 'batchNorm', 'init'],
  sequence: [],
} as const satisfies Record<EncoderName, readonly string[]>;

/** The rank of the examples each encoder takes ([height, width, channels] for cnn, [time, features] for sequence), where it has one. @group Training */
export const ENCODER_INPUT_RANK: Readonly<Partial<Record<EncoderName, { rank: number; shape: string }>>> = {
  cnn: { rank: 3, shape: 'images [height, width, channels]' },
  sequence: { rank: 2, shape: '[time, features] examples' },
};

/** A split of the training run's data, or 'all' of the dataset. @group Training */
export type SplitName = 'train' | 'validation' | 'test' | 'all';
/** Every {@link SplitName}. @group Training */
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test', 'all'];

/** Margins a margin sweep tries by default with unnormalised embeddings (Euclidean distance). @group Training */
export const DEFAULT_MARGINS_UNNORMALIZED: readonly number[] = [0.25, 0.5, 1, 2, 4];
/** Margins a margin sweep tries by default with L2-normalised embeddings or cosine distance (D in [0, 2]). @group Training */
export const DEFAULT_MARGINS_NORMALIZED: readonly number[] = [0.1, 0.2, 0.5, 1.0, 1.5];
/** Budget of each margin-sweep run unless `train.epochs` says otherwise. @group Training */
export const DEFAULT_SWEEP_EPOCHS = 3;
