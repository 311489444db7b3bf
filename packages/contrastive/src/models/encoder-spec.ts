/**
 * Encoder specifications: the serialisable description of a ready encoder.
 * A bundle stores the spec so that it says what its model is, and
 * {@link createEncoder} rebuilds the same (freshly initialised) encoder from it.
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

/** Activations the ready encoders accept (a subset of the TF.js layer activations). @group Encoders */
export const ENCODER_ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'linear'] as const;
/** An activation name for the hidden layers of a ready encoder. @group Encoders */
export type EncoderActivation = (typeof ENCODER_ACTIVATIONS)[number];

const positiveInt = z.number().int().positive();
const seed = z.number().int().nonnegative();

/** Schema of {@link MlpEncoderSpec}. @group Encoders */
export const mlpEncoderSpecSchema = z.object({
  kind: z.literal('mlp'),
  inputShape: z.array(positiveInt).min(1),
  hidden: z.array(positiveInt),
  embeddingDim: positiveInt,
  activation: z.enum(ENCODER_ACTIVATIONS),
  dropout: z.number().min(0).lt(1),
  seed,
});

/** Schema of {@link CnnEncoderSpec}. @group Encoders */
export const cnnEncoderSpecSchema = z.object({
  kind: z.literal('cnn'),
  inputShape: z.tuple([positiveInt, positiveInt, positiveInt]),
  filters: z.array(positiveInt).min(1),
  kernelSize: positiveInt,
  dense: z.number().int().nonnegative(),
  embeddingDim: positiveInt,
  batchNorm: z.boolean(),
  seed,
});

/** Schema of {@link SequenceEncoderSpec}. @group Encoders */
export const sequenceEncoderSpecSchema = z.object({
  kind: z.literal('sequence'),
  features: positiveInt,
  /** Fixed number of time steps, when inputs are resampled to one length; absent for any length. */
  length: positiveInt.optional(),
  cell: z.enum(['conv1d', 'gru']),
  filters: z.array(positiveInt).min(1),
  kernelSize: positiveInt,
  units: positiveInt,
  pooling: z.enum(['avg', 'max']),
  embeddingDim: positiveInt,
  seed,
});

/** Schema of {@link EncoderSpec} (validated when a bundle manifest is read). @group Encoders */
export const encoderSpecSchema = z.discriminatedUnion('kind', [mlpEncoderSpecSchema, cnnEncoderSpecSchema, sequenceEncoderSpecSchema]);

/** A fully resolved multilayer-perceptron encoder: flatten -> dense(hidden)... -> dense(embeddingDim). @group Encoders */
export type MlpEncoderSpec = z.infer<typeof mlpEncoderSpecSchema>;
/** A fully resolved conv encoder: [conv-relu-maxpool]... -> flatten -> dense -> dense(embeddingDim). @group Encoders */
export type CnnEncoderSpec = z.infer<typeof cnnEncoderSpecSchema>;
/**
 * A fully resolved sequence encoder over [time, features] with any number of
 * time steps: 1-D convolutions ('conv1d', uses `filters` and `kernelSize`) or a
 * GRU ('gru', uses `units`), then global pooling over time -> dense(embeddingDim).
 * @group Encoders
 */
export type SequenceEncoderSpec = z.infer<typeof sequenceEncoderSpecSchema>;
/** The spec of any ready encoder, discriminated by `kind`. @group Encoders */
export type EncoderSpec = z.infer<typeof encoderSpecSchema>;

/** A ready encoder: the model plus the spec it was built from. @group Encoders */
export interface Encoder<S extends EncoderSpec = EncoderSpec> {
  /** Maps a batch of inputs to a [batch, embeddingDim] embedding. */
  model: tf.LayersModel;
  /** Every option resolved (defaults filled in); JSON-serialisable. */
  spec: S;
}
