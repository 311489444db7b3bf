/**
 * The bundle manifest: everything needed to use a saved model besides its
 * weights (input and preprocessing, embedding, distance, loss, threshold,
 * calibration, training summary). Validated with zod on every read.
 */
import { z } from 'zod';
import { encoderSpecSchema } from './encoder-spec.js';
import { DISTANCE_NAMES } from '../distances/index.js';

/** The `format` field every bundle manifest carries. @group Bundles */
export const BUNDLE_FORMAT = 'contrastive-bundle';
/** The manifest format this library writes, and the newest it reads. Bump on incompatible changes. @group Bundles */
export const BUNDLE_FORMAT_VERSION = 1;

const finite = z.number().finite();
const perChannel = z.union([finite, z.array(finite).min(1)]);

/** Schema of {@link Preprocessing}. @group Bundles */
export const preprocessingSchema = z.discriminatedUnion('kind', [
  z.object({
    /** An image: resize to width x height, `channels` channels, then (pixel * scale - mean) / std. */
    kind: z.literal('image'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    channels: z.number().int().positive(),
    /** Factor applied to raw 0..255 pixels first (1/255 maps them to [0, 1]). */
    scale: finite,
    /** Subtracted after scaling: one value or one per channel. */
    mean: perChannel,
    /** Divided by after subtracting the mean: one value or one per channel. */
    std: perChannel,
  }),
  /** A flat feature vector used as is. */
  z.object({ kind: z.literal('vector') }),
  z.object({
    /** A sequence of points [time, features] of any length. */
    kind: z.literal('sequence'),
    features: z.number().int().positive(),
    /** Per-sequence normalisation applied before encoding: none, z-score per feature, or min-max per feature. */
    normalize: z.enum(['none', 'zscore', 'minmax']),
    /**
     * How raw recordings become these sequences, when that takes more than the
     * normalisation: `kind` names the module that reads the other settings
     * (e.g. 'online-signature': resampling, size and position, velocity and
     * pressure features; see src/signatures).
     */
    rawInput: z.object({ kind: z.string() }).catchall(z.unknown()).optional(),
  }),
]);

/** Schema of {@link BundleManifest}. @group Bundles */
export const bundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int().positive(),
  /** Version of the library that wrote the bundle. */
  libraryVersion: z.string(),
  /** ISO 8601 time of writing. */
  createdAt: z.string(),
  /** The TF.js layers model files inside the bundle directory. */
  files: z.object({ model: z.string(), weights: z.string() }),
  input: z.object({
    /** Shape of one example (no batch axis); null marks a free axis (sequence length). */
    shape: z.array(z.number().int().positive().nullable()).min(1),
    preprocessing: preprocessingSchema,
  }),
  embedding: z.object({
    dim: z.number().int().positive(),
    /** Whether embeddings are L2-normalised after the encoder (not part of model.json). */
    normalize: z.boolean(),
    distance: z.enum(DISTANCE_NAMES),
  }),
  /** The ready encoder the model was built from, or null for a custom model. */
  encoder: encoderSpecSchema.nullable(),
  /** The training loss, or null when unknown. */
  loss: z
    .object({
      /** e.g. 'contrastive' or 'triplet'. */
      name: z.string(),
      /** Label convention, e.g. 'hadsell' (0 = similar, 1 = dissimilar). */
      convention: z.string(),
      margin: finite.nullable(),
    })
    .catchall(z.unknown()) // extra loss parameters (e.g. a learned head) are kept, never dropped
    .nullable(),
  /** Distance below which a pair is declared the same; null until calibrated. */
  threshold: finite.nullable(),
  /** How the threshold was chosen, and the probability model p(same | d), or null. */
  calibration: z
    .object({
      /** What the threshold targets, e.g. 'eer', 'far=0.001', 'max-accuracy'. */
      target: z.string(),
      /** Data the calibration ran on, e.g. 'mnist:test pairs'. */
      dataset: z.string().optional(),
      /** Logistic model p(same) = 1 / (1 + exp(a * d + b)), or null. */
      probability: z.object({ model: z.literal('logistic'), a: finite, b: finite }).nullable(),
    })
    .catchall(z.unknown())
    .nullable(),
  /** What the model was trained on, or null. */
  training: z
    .object({
      dataset: z.string(),
      epochs: z.number().int().nonnegative(),
      seed: z.number().int(),
    })
    .catchall(z.unknown())
    .nullable(),
  /** Free-form evaluation figures, e.g. { auc: 0.99, eer: 0.03 }. */
  metrics: z.record(z.string(), z.unknown()),
})
  // Fields added by a later writer of the same formatVersion survive a read-modify-write.
  .catchall(z.unknown());

/** How a raw input becomes the model's input. @group Bundles */
export type Preprocessing = z.infer<typeof preprocessingSchema>;
/** The content of a bundle's manifest.json. @group Bundles */
export type BundleManifest = z.infer<typeof bundleManifestSchema>;
