/**
 * The bundle manifest: everything needed to use a saved model besides its
 * weights (input and preprocessing, embedding, distance, loss, threshold,
 * calibration, training summary). Validated (valibot) on every read.
 */
import * as v from 'valibot';
import { encoderSpecSchema } from './encoder-spec.js';
import { backboneRecordSchema } from './backbone-record.js';
import { DISTANCE_NAMES } from '../distances/index.js';

/** The `format` field every bundle manifest carries. @group Bundles */
export const BUNDLE_FORMAT = 'contrastive-bundle';
/** The manifest format this library writes, and the newest it reads. Bump on incompatible changes. @group Bundles */
export const BUNDLE_FORMAT_VERSION = 1;

const finite = v.pipe(v.number(), v.finite());
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const perChannel = v.union([finite, v.pipe(v.array(finite), v.minLength(1))]);

/** Schema of {@link Preprocessing}. @group Bundles */
export const preprocessingSchema = v.variant('kind', [
  v.object({
    // An image: resize to width x height, `channels` channels, then (pixel * scale - mean) / std.
    kind: v.literal('image'),
    width: positiveInt,
    height: positiveInt,
    channels: positiveInt,
    // Factor applied to raw 0..255 pixels first (1/255 maps them to [0, 1]).
    scale: finite,
    // Subtracted after scaling: one value or one per channel.
    mean: perChannel,
    // Divided by after subtracting the mean: one value or one per channel.
    std: perChannel,
  }),
  // A flat feature vector used as is.
  v.object({ kind: v.literal('vector') }),
  v.object({
    // A sequence of points [time, features] of any length.
    kind: v.literal('sequence'),
    features: positiveInt,
    // Per-sequence normalisation applied before encoding: none, z-score per feature, or min-max per feature.
    normalize: v.picklist(['none', 'zscore', 'minmax']),
    // How raw recordings become these sequences, when that takes more than the
    // normalisation: `kind` names the module that reads the other settings
    // (e.g. 'online-signature': resampling, size and position, velocity and
    // pressure features; see src/signatures).
    rawInput: v.optional(v.looseObject({ kind: v.string() })),
  }),
]);

/** Schema of {@link BundleManifest}. @group Bundles */
export const bundleManifestSchema = v.looseObject({
  format: v.literal(BUNDLE_FORMAT),
  formatVersion: positiveInt,
  // Version of the library that wrote the bundle.
  libraryVersion: v.string(),
  // ISO 8601 time of writing.
  createdAt: v.string(),
  // The TF.js layers model files inside the bundle directory.
  files: v.object({ model: v.string(), weights: v.string() }),
  input: v.object({
    // Shape of one example (no batch axis); null marks a free axis (sequence length).
    shape: v.pipe(v.array(v.nullable(positiveInt)), v.minLength(1)),
    preprocessing: preprocessingSchema,
  }),
  embedding: v.object({
    dim: positiveInt,
    // Whether embeddings are L2-normalised after the encoder (not part of model.json).
    normalize: v.boolean(),
    distance: v.picklist(DISTANCE_NAMES),
  }),
  // Where embeddings are read when not at the model's output (absent: the output):
  // the layer's name as model.json has it ('output' for the output itself), the
  // pooling of a feature map, and the model's output size (checked on load).
  // embedding.dim is the read-out's size.
  readout: v.optional(
    v.object({
      layer: v.pipe(v.string(), v.minLength(1)),
      // READOUT_POOLS of readout.ts (spelt out: this schema loads without TF.js)
      pool: v.optional(v.picklist(['flatten', 'avg', 'max'])),
      outputDim: positiveInt,
    }),
  ),
  // The ready encoder the model was built from, or null for a custom model.
  encoder: v.nullable(encoderSpecSchema),
  // The pretrained backbone under a trained head (backboneEncoder, `train --backbone`); absent or null for none.
  backbone: v.optional(v.nullable(backboneRecordSchema)),
  // The training loss, or null when unknown.
  loss: v.nullable(
    // extra loss parameters (e.g. a learned head) are kept, never dropped
    v.looseObject({
      // e.g. 'contrastive' or 'triplet'.
      name: v.string(),
      // Label convention, e.g. 'hadsell' (0 = similar, 1 = dissimilar).
      convention: v.string(),
      margin: v.nullable(finite),
    }),
  ),
  // Distance below which a pair is declared the same; null until calibrated.
  // With scoreNorm, the threshold applies to the normalised score instead.
  threshold: v.nullable(finite),
  // Cohort score normalisation (absent: none): 's-norm' scores a pair against the cohort
  // embeddings in `file` (size x embedding.dim float32, little-endian), drawn from `dataset`.
  scoreNorm: v.optional(
    v.object({
      kind: v.literal('s-norm'),
      file: v.string(),
      size: v.pipe(v.number(), v.integer(), v.minValue(2)),
      dataset: v.optional(v.string()),
    }),
  ),
  // How the threshold was chosen, and the probability model p(same | d), or null.
  calibration: v.nullable(
    v.looseObject({
      // What the threshold targets, e.g. 'eer', 'far=0.001', 'max-accuracy'.
      target: v.string(),
      // Data the calibration ran on, e.g. 'mnist:test pairs'.
      dataset: v.optional(v.string()),
      // Logistic model p(same) = 1 / (1 + exp(a * d + b)), or null.
      probability: v.nullable(v.object({ model: v.literal('logistic'), a: finite, b: finite })),
    }),
  ),
  // What the model was trained on, or null.
  training: v.nullable(
    v.looseObject({
      dataset: v.string(),
      epochs: v.pipe(v.number(), v.integer(), v.minValue(0)),
      seed: v.pipe(v.number(), v.integer()),
    }),
  ),
  // Free-form evaluation figures, e.g. { auc: 0.99, eer: 0.03 }.
  metrics: v.record(v.string(), v.unknown()),
  // looseObject: fields added by a later writer of the same formatVersion survive a read-modify-write.
});

/** How a raw input becomes the model's input. @group Bundles */
export type Preprocessing = v.InferOutput<typeof preprocessingSchema>;
/** The content of a bundle's manifest.json. @group Bundles */
export type BundleManifest = v.InferOutput<typeof bundleManifestSchema>;
