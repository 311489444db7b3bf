/** The small convolutional encoder for 28x28-style images. */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { cnnEncoderSpecSchema, type CnnEncoderSpec, type Encoder } from './encoder-spec.js';
import { SeededInit } from './seeded-init.js';
import { fuseConvBiasRelu } from './fused-conv-layer.js';
import { parseWith } from './validate.js';

/** Options of {@link cnnEncoder}. @group Encoders */
export interface CnnEncoderOptions {
  /**
   * Image shape [height, width, channels], e.g. [28, 28, 1]: any array of three
   * positive integers, such as a dataset's `inputShape` (checked at run time).
   */
  inputShape: readonly number[];
  /** Filters of each conv-relu-maxpool block (default [32, 64]). */
  filters?: readonly number[];
  /** Square kernel size of every convolution (default 3; 'valid' padding). */
  kernelSize?: number;
  /** Width of the dense relu layer after flattening (default 128; 0 for none). */
  dense?: number;
  /** Size of the embedding (default 64). */
  embeddingDim?: number;
  /** Batch normalisation between each convolution and its relu (default false). */
  batchNorm?: boolean;
  /**
   * Weight initialisation: 'he' (default: He-normal conv and dense kernels, glorot
   * output, zero biases) or 'fan-in-uniform' (PyTorch's default: every kernel and
   * bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))), which trains the conv block into a
   * better read-out for unseen classes (docs/results/zero-shot.md).
   */
  init?: 'he' | 'fan-in-uniform';
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

/**
 * Builds a conv encoder: for each entry of `filters`, conv(kernelSize, 'valid')
 * [-> batchNorm] -> relu -> maxpool 2x2; then flatten -> dense(dense, relu) ->
 * dense(embeddingDim), linear output. The defaults are the reference Siamese
 * CNN: 28x28 -> conv32 3x3 -> pool -> conv64 3x3 -> pool -> fc128 -> fc64.
 * @example
 * ```ts
 * import { cnnEncoder, SiameseNetwork } from 'contrastive';
 *
 * // The reference CNN: conv32 3x3 - pool - conv64 3x3 - pool - dense 128 - 64, seeded.
 * const net = new SiameseNetwork(cnnEncoder({ inputShape: [28, 28, 1], seed: 1 }), { normalize: true });
 * console.log(net.embeddingDim, net.encoder.countParams());
 * ```
 * @group Encoders
 */
export function cnnEncoder(options: CnnEncoderOptions): Encoder<CnnEncoderSpec> {
  const shape = options?.inputShape;
  check(
    Array.isArray(shape) && shape.length === 3,
    'cnnEncoder',
    `options.inputShape must be an image shape [height, width, channels], got ${JSON.stringify(shape)}${Array.isArray(shape) && shape.length === 1 ? ' (flat vectors: use mlpEncoder, or reshape the examples to images)' : ''}`,
  );
  const spec = parseWith(
    cnnEncoderSpecSchema,
    {
      kind: 'cnn',
      inputShape: [...shape],
      filters: options?.filters ?? [32, 64],
      kernelSize: options?.kernelSize ?? 3,
      dense: options?.dense ?? 128,
      embeddingDim: options?.embeddingDim ?? 64,
      batchNorm: options?.batchNorm ?? false,
      ...(options?.init && options.init !== 'he' ? { init: options.init } : {}),
      seed: options?.seed ?? 0,
    },
    'cnnEncoder',
    'options',
  );
  // Each block shrinks the image by (k - 1) then halves it; say so before TF.js fails obscurely.
  let [hh, ww] = spec.inputShape;
  for (let i = 0; i < spec.filters.length; i++) {
    hh = Math.floor((hh - spec.kernelSize + 1) / 2);
    ww = Math.floor((ww - spec.kernelSize + 1) / 2);
    check(
      hh >= 1 && ww >= 1,
      'cnnEncoder',
      `inputShape ${JSON.stringify(spec.inputShape)} is too small for ${spec.filters.length} blocks of ${spec.kernelSize}x${spec.kernelSize} conv + 2x2 pool (nothing left after block ${i + 1})`,
    );
  }
  return { model: buildCnn(spec), spec };
}

function buildCnn(spec: CnnEncoderSpec): tf.LayersModel {
  const init = new SeededInit(spec.seed);
  const fanIn = spec.init === 'fan-in-uniform';
  // Kernel and bias initialisers of a layer with `n` inputs per unit; `last` is the linear output.
  const kernel = (last: boolean) => (fanIn ? init.fanInUniform() : last ? init.glorot() : init.he());
  const bias = (n: number) => (fanIn ? { biasInitializer: init.fanInUniformBias(n) } : {});
  const input = tf.input({ shape: spec.inputShape });
  let h: tf.SymbolicTensor = input;
  for (const filters of spec.filters) {
    const channels = h.shape[3] as number;
    const conv = tf.layers.conv2d({
      filters,
      kernelSize: spec.kernelSize,
      padding: 'valid',
      activation: spec.batchNorm ? 'linear' : 'relu',
      useBias: !spec.batchNorm, // batch norm's beta replaces the bias
      kernelInitializer: kernel(false),
      ...(spec.batchNorm ? {} : bias(spec.kernelSize * spec.kernelSize * channels)),
    });
    // Without batch norm: conv + bias + relu as one kernel on the native kernels (same model).
    h = (spec.batchNorm ? conv : fuseConvBiasRelu(conv)).apply(h) as tf.SymbolicTensor;
    if (spec.batchNorm) {
      h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
      h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    }
    h = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  if (spec.dense > 0) {
    const n = h.shape[1] as number;
    h = tf.layers.dense({ units: spec.dense, activation: 'relu', kernelInitializer: kernel(false), ...bias(n) }).apply(h) as tf.SymbolicTensor;
  }
  const n = h.shape[1] as number;
  const out = tf.layers.dense({ units: spec.embeddingDim, kernelInitializer: kernel(true), ...bias(n) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'cnn_encoder' });
}
