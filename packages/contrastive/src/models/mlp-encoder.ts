/** The multilayer-perceptron encoder: flattens its input, then dense layers. */
import * as tf from '@tensorflow/tfjs';
import { mlpEncoderSpecSchema, type EncoderActivation, type Encoder, type MlpEncoderSpec } from './encoder-spec.js';
import { SeededInit } from './seeded-init.js';
import { parseWith } from './validate.js';

/** Options of {@link mlpEncoder}. @group Encoders */
export interface MlpEncoderOptions {
  /** Shape of one example, e.g. [784] or [28, 28, 1] (flattened first); positive integers, checked at run time. */
  inputShape: readonly number[];
  /** Widths of the hidden dense layers, e.g. [256, 128]; [] for a linear encoder. */
  hidden: readonly number[];
  /** Size of the embedding (the last, linear, dense layer). */
  embeddingDim: number;
  /** Activation of the hidden layers (default 'relu'). */
  activation?: EncoderActivation;
  /** Dropout rate after each hidden layer, in [0, 1) (default 0: none). */
  dropout?: number;
  /** Seed of the weight initialisation and dropout (default 0). */
  seed?: number;
}

/**
 * Builds a multilayer-perceptron encoder: [flatten] -> dense(h, activation)
 * [-> dropout] for each h in `hidden` -> dense(embeddingDim), linear output.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { mlpEncoder } from 'contrastive';
 *
 * const encoder = mlpEncoder({ inputShape: [28, 28, 1], hidden: [128], embeddingDim: 32, seed: 1 });
 * const out = encoder.model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
 * console.log(out.shape); // [2, 32]
 * ```
 * @group Encoders
 */
export function mlpEncoder(options: MlpEncoderOptions): Encoder<MlpEncoderSpec> {
  const spec = parseWith(
    mlpEncoderSpecSchema,
    {
      kind: 'mlp',
      inputShape: Array.isArray(options?.inputShape) ? [...options.inputShape] : options?.inputShape,
      hidden: options?.hidden ?? [],
      embeddingDim: options?.embeddingDim,
      activation: options?.activation ?? 'relu',
      dropout: options?.dropout ?? 0,
      seed: options?.seed ?? 0,
    },
    'mlpEncoder',
    'options',
  );
  return { model: buildMlp(spec), spec };
}

function buildMlp(spec: MlpEncoderSpec): tf.LayersModel {
  const init = new SeededInit(spec.seed);
  const input = tf.input({ shape: spec.inputShape });
  let h: tf.SymbolicTensor = input;
  if (spec.inputShape.length > 1) h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  for (const units of spec.hidden) {
    h = tf.layers.dense({ units, activation: spec.activation, kernelInitializer: init.glorot() }).apply(h) as tf.SymbolicTensor;
    if (spec.dropout > 0) h = tf.layers.dropout({ rate: spec.dropout, seed: init.nextSeed() }).apply(h) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({ units: spec.embeddingDim, kernelInitializer: init.glorot() }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'mlp_encoder' });
}
