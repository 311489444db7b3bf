/** The sequence encoder for variable-length point sequences (online signatures: x, y, pressure, ...). */
import * as tf from '@tensorflow/tfjs';
import { sequenceEncoderSpecSchema, type Encoder, type SequenceEncoderSpec } from './encoder-spec.js';
import { SeededInit } from './seeded-init.js';
import { parseWith } from './validate.js';

/** Options of {@link sequenceEncoder}. @group Encoders */
export interface SequenceEncoderOptions {
  /** Values per time step (e.g. 3 for x, y, pressure). */
  features: number;
  /**
   * Fixed number of time steps (e.g. signatures resampled to 64 points). Default:
   * any length (input shape [null, features]), which needs tensors, not flat arrays, to embed.
   */
  length?: number;
  /** 'conv1d': stacked 1-D convolutions; 'gru': one GRU layer (default 'conv1d'). */
  kind?: 'conv1d' | 'gru';
  /** Filters of each 1-D conv layer, kind 'conv1d' (default [64, 64]). */
  filters?: readonly number[];
  /** Kernel size of the 1-D convolutions (default 5; 'same' padding, so any length >= 1 works). */
  kernelSize?: number;
  /** Units of the GRU, kind 'gru' (default 64). */
  units?: number;
  /** Global pooling over time (default 'avg'). */
  pooling?: 'avg' | 'max';
  /** Size of the embedding (default 64). */
  embeddingDim?: number;
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

/**
 * Builds an encoder for sequences of shape [time, features] with any number of
 * time steps (input shape [null, features]) or exactly `length` of them:
 * conv1d-relu layers or a GRU over time, global average (or max) pooling over
 * time, then dense(embeddingDim).
 * A batch holds sequences of one length; padding with zeros shifts the pooled
 * value, so group sequences by length (or resample them) rather than pad.
 * @group Encoders
 */
export function sequenceEncoder(options: SequenceEncoderOptions): Encoder<SequenceEncoderSpec> {
  const spec = parseWith(
    sequenceEncoderSpecSchema,
    {
      kind: 'sequence',
      features: options?.features,
      ...(options?.length !== undefined ? { length: options.length } : {}),
      cell: options?.kind ?? 'conv1d',
      filters: options?.filters ?? [64, 64],
      kernelSize: options?.kernelSize ?? 5,
      units: options?.units ?? 64,
      pooling: options?.pooling ?? 'avg',
      embeddingDim: options?.embeddingDim ?? 64,
      seed: options?.seed ?? 0,
    },
    'sequenceEncoder',
    'options',
  );
  return { model: buildSequence(spec), spec };
}

function buildSequence(spec: SequenceEncoderSpec): tf.LayersModel {
  const init = new SeededInit(spec.seed);
  const input = tf.input({ shape: [spec.length ?? null, spec.features] });
  let h: tf.SymbolicTensor = input;
  if (spec.cell === 'conv1d') {
    for (const filters of spec.filters) {
      h = tf.layers
        .conv1d({ filters, kernelSize: spec.kernelSize, padding: 'same', activation: 'relu', kernelInitializer: init.he() })
        .apply(h) as tf.SymbolicTensor;
    }
  } else {
    h = tf.layers
      .gru({
        units: spec.units,
        returnSequences: true,
        kernelInitializer: init.glorot(),
        recurrentInitializer: init.orthogonal(),
      })
      .apply(h) as tf.SymbolicTensor;
  }
  const pool = spec.pooling === 'avg' ? tf.layers.globalAveragePooling1d() : tf.layers.globalMaxPooling1d();
  h = pool.apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: spec.embeddingDim, kernelInitializer: init.glorot() }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'sequence_encoder' });
}
