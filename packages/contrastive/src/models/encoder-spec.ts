/**
 * Encoder specifications: the serialisable description of a ready encoder.
 * A bundle stores the spec so that it says what its model is, and
 * {@link createEncoder} rebuilds the same (freshly initialised) encoder from it.
 * The schemas are valibot schemas (`v.safeParse(schema, value)`).
 */
import type * as tf from '@tensorflow/tfjs';
// valibot, not zod: one module (zod's entry loads ~95, its locales included), so importing the core stays quick.
import * as v from 'valibot';

/** Activations the ready encoders accept (a subset of the TF.js layer activations). @group Encoders */
export const ENCODER_ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'linear'] as const;
/** An activation name for the hidden layers of a ready encoder. @group Encoders */
export type EncoderActivation = (typeof ENCODER_ACTIVATIONS)[number];

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const nonNegativeInt = v.pipe(v.number(), v.integer(), v.minValue(0));
const seed = nonNegativeInt;

/** Schema of {@link MlpEncoderSpec}. @group Encoders */
export const mlpEncoderSpecSchema = v.object({
  kind: v.literal('mlp'),
  inputShape: v.pipe(v.array(positiveInt), v.minLength(1)),
  hidden: v.array(positiveInt),
  embeddingDim: positiveInt,
  activation: v.picklist(ENCODER_ACTIVATIONS),
  dropout: v.pipe(v.number(), v.minValue(0), v.ltValue(1)),
  seed,
});

/** Schema of {@link CnnEncoderSpec}. @group Encoders */
export const cnnEncoderSpecSchema = v.object({
  kind: v.literal('cnn'),
  inputShape: v.strictTuple([positiveInt, positiveInt, positiveInt]),
  filters: v.pipe(v.array(positiveInt), v.minLength(1)),
  kernelSize: positiveInt,
  dense: nonNegativeInt,
  embeddingDim: positiveInt,
  batchNorm: v.boolean(),
  // Weight initialisation: 'he' (He-normal kernels, glorot output, zero biases; absent = 'he'),
  // or 'fan-in-uniform' (PyTorch's default: kernels and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
  init: v.optional(v.picklist(['he', 'fan-in-uniform'])),
  seed,
});

/** Schema of {@link SequenceEncoderSpec}. @group Encoders */
export const sequenceEncoderSpecSchema = v.object({
  kind: v.literal('sequence'),
  features: positiveInt,
  // Fixed number of time steps, when inputs are resampled to one length; absent for any length.
  length: v.optional(positiveInt),
  cell: v.picklist(['conv1d', 'gru']),
  filters: v.pipe(v.array(positiveInt), v.minLength(1)),
  kernelSize: positiveInt,
  units: positiveInt,
  pooling: v.picklist(['avg', 'max']),
  embeddingDim: positiveInt,
  seed,
});

/** Schema of {@link EncoderSpec} (validated when a bundle manifest is read). @group Encoders */
export const encoderSpecSchema = v.variant('kind', [mlpEncoderSpecSchema, cnnEncoderSpecSchema, sequenceEncoderSpecSchema]);

/** A fully resolved multilayer-perceptron encoder: flatten -> dense(hidden)... -> dense(embeddingDim). @group Encoders */
export type MlpEncoderSpec = v.InferOutput<typeof mlpEncoderSpecSchema>;
/** A fully resolved conv encoder: [conv-relu-maxpool]... -> flatten -> dense -> dense(embeddingDim). @group Encoders */
export type CnnEncoderSpec = v.InferOutput<typeof cnnEncoderSpecSchema>;
/**
 * A fully resolved sequence encoder over [time, features] with any number of
 * time steps: 1-D convolutions ('conv1d', uses `filters` and `kernelSize`) or a
 * GRU ('gru', uses `units`), then global pooling over time -> dense(embeddingDim).
 * @group Encoders
 */
export type SequenceEncoderSpec = v.InferOutput<typeof sequenceEncoderSpecSchema>;
/** The spec of any ready encoder, discriminated by `kind`. @group Encoders */
export type EncoderSpec = v.InferOutput<typeof encoderSpecSchema>;

/** A ready encoder: the model plus the spec it was built from. @group Encoders */
export interface Encoder<S extends EncoderSpec = EncoderSpec> {
  /** Maps a batch of inputs to a [batch, embeddingDim] embedding. */
  model: tf.LayersModel;
  /** Every option resolved (defaults filled in); JSON-serialisable. */
  spec: S;
}
