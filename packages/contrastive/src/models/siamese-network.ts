/**
 * The Siamese network: one encoder applied with shared weights to both inputs
 * of a pair. Embeddings are optionally L2-normalised; the distance between the
 * two embeddings is what the contrastive loss and the verifier look at.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';
import type { Encoder, EncoderSpec } from './encoder-spec.js';
import { l2Normalize } from './l2-normalize.js';
import { DISTANCE_NAMES, pairDistances, type DistanceName } from '../distances/index.js';
import { DEFAULT_READOUT, resolveReadout, type Readout, type ResolvedReadout } from './readout.js';

/** Options of {@link SiameseNetwork}. @group Encoders */
export interface SiameseNetworkOptions {
  /** Distance between embeddings (default 'euclidean'). */
  distance?: DistanceName;
  /** L2-normalise every embedding to unit length (default false). */
  normalize?: boolean;
  /** Spec of the encoder when it is a ready one (taken from an {@link Encoder} automatically). */
  spec?: EncoderSpec | null;
  /** Where {@link SiameseNetwork.embed} reads embeddings (default: the encoder's output). Training always trains the output. */
  readout?: Readout;
}

/** Options of {@link SiameseNetwork.embed}. @group Encoders */
export interface EmbedOptions {
  /** Run layers in training mode (dropout on, batch norm on batch statistics). Default false. */
  training?: boolean;
  /**
   * 'readout' (default): the network's read-out (see {@link SiameseNetwork.readout});
   * 'output': the encoder's own output, what losses train.
   */
  at?: 'readout' | 'output';
}

function isEncoder(x: unknown): x is Encoder {
  return typeof x === 'object' && x !== null && 'model' in x && 'spec' in x;
}

/** A Siamese network over one shared encoder. */
/** What a network was trained on, as saveBundle records it in manifest.training. @group Encoders */
export interface NetworkTrainingRecord {
  /** Dataset spec, with an absolute path for folder:, idx: and pairs: data. */
  dataset: string;
  /** Seed of the data split (the trainer's seed when the data did not come from splitDataset). */
  seed: number;
  /** How the data was split (fractions, held-out classes); absent when unknown. */
  split?: { validation: number; test: number; holdoutClasses: number[]; validationClasses?: number[] };
  epochs: number;
  bestEpoch: number;
  /** The trainer's seed (initial batches, pairs, mining). */
  trainSeed: number;
  loss: string;
  miner: string | null;
  margin: number | null;
  [key: string]: unknown;
}

/**
 * The decision threshold trainSiamese calibrated at the end of training, on the
 * validation split's held-out pairs (as saveBundle records it in manifest.threshold
 * and manifest.calibration).
 */
export interface NetworkCalibration {
  /** Pairs at a distance <= threshold are declared the same. */
  threshold: number;
  /** What the threshold maximises: accuracy on the validation pairs. */
  target: 'accuracy';
  /** Accuracy on those pairs at the threshold. */
  accuracy: number;
  /** The pairs it was chosen on, e.g. 'mnist validation pairs'. */
  dataset: string;
  /** How many pairs. */
  pairs: number;
  /** p(same | d) = 1 / (1 + exp(a * d + b)), fitted on the same pairs (Platt scaling). */
  probability: { model: 'logistic'; a: number; b: number };
  /** The cross-entropy head whose negated logit the threshold applies to, for loss 'cross-entropy'. */
  head?: { weights: number[]; bias: number };
}

/**
 * One encoder applied with shared weights to both inputs of a pair: `embed` gives
 * (optionally L2-normalised) embeddings, `distance` the distance of each pair.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { SiameseNetwork, mlpEncoder } from 'contrastive';
 *
 * const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [8], embeddingDim: 2, seed: 1 }), { normalize: true });
 * const x1 = tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 0]]);
 * const x2 = tf.tensor2d([[1, 0, 0, 0], [0, 0, 1, 1]]);
 * net.distance(x1, x2).print(); // [0, d]: identical inputs have distance 0
 * console.log(await net.embedBatched(new Float32Array(8), 2)); // two L2-normalised 2-d embeddings, flat
 * ```
 * @group Encoders
 */
export class SiameseNetwork {
  /** The shared encoder: input [batch, ...inputShape] -> embedding [batch, embeddingDim]. */
  readonly encoder: tf.LayersModel;
  /** Spec of the encoder when it is a ready one, else null (a custom model). */
  readonly encoderSpec: EncoderSpec | null;
  /** Distance between embeddings. */
  readonly distanceName: DistanceName;
  /** Whether embeddings are L2-normalised. */
  readonly normalize: boolean;
  /** Shape of one example (no batch axis); null marks a free axis, e.g. sequence length. */
  readonly inputShape: (number | null)[];
  /** Size of the encoder's output (what losses train); {@link embeddingDim} is the read-out's. */
  readonly outputDim: number;
  private resolved: ResolvedReadout;
  /**
   * What the network was last trained on (set by trainSiamese: dataset, split
   * and seed, epochs, loss), or null. saveBundle records it in the manifest, so
   * `contrastive eval` can re-split the data exactly as training did.
   */
  training: NetworkTrainingRecord | null = null;
  /**
   * The decision threshold trainSiamese calibrated on the validation split (when it
   * was given one), or null. saveBundle records it, so a bundle saved after training
   * can verify pairs.
   */
  calibration: NetworkCalibration | null = null;

  /**
   * @param encoder a ready {@link Encoder} or any single-input `tf.LayersModel`
   *   whose output is [batch, embeddingDim].
   */
  constructor(encoder: tf.LayersModel | Encoder, options: SiameseNetworkOptions = {}) {
    const fn = 'SiameseNetwork';
    const model = isEncoder(encoder) ? encoder.model : encoder;
    check(model instanceof tf.LayersModel, fn, 'encoder must be a tf.LayersModel or an Encoder { model, spec }');
    check(model.inputs.length === 1, fn, `encoder must have one input (it has ${model.inputs.length})`);
    check(model.outputs.length === 1, fn, `encoder must have one output (it has ${model.outputs.length})`);
    const outShape = model.outputs[0].shape;
    check(
      outShape.length === 2 && typeof outShape[1] === 'number' && outShape[1] > 0,
      fn,
      `encoder output must be [batch, embeddingDim], got ${JSON.stringify(outShape)}`,
    );
    const distance = options.distance ?? 'euclidean';
    check(DISTANCE_NAMES.includes(distance), fn, `options.distance is '${String(distance)}' (expected one of ${DISTANCE_NAMES.join(', ')})`);
    this.encoder = model;
    this.encoderSpec = options.spec ?? (isEncoder(encoder) ? encoder.spec : null);
    this.distanceName = distance;
    this.normalize = options.normalize ?? false;
    this.inputShape = model.inputs[0].shape.slice(1);
    this.outputDim = outShape[1] as number;
    this.resolved = resolveReadout(model, options.readout ?? DEFAULT_READOUT);
  }

  /** Size of one embedding as {@link embed} gives it: the read-out's (the output's by default). */
  get embeddingDim(): number {
    return this.resolved.dim;
  }

  /** Where embeddings are read (default `{ layer: 'output' }`). */
  get readout(): Readout {
    return { ...this.resolved.readout };
  }

  /** input -> read-out embedding (before normalisation): the encoder itself for 'output', else a model sharing its layers (do not dispose it). */
  get readoutModel(): tf.LayersModel {
    return this.resolved.model;
  }

  /** The encoder layer the read-out reads ('output' for the encoder's output): 'under-head' resolved to a name. */
  get readoutLayer(): string {
    return this.resolved.layer;
  }

  /**
   * Reads embeddings at `readout` from now on (weights unchanged; training still
   * trains the output). Used to choose the read-out on validation.
   * @throws ContrastiveError when the encoder has no such layer.
   */
  setReadout(readout: Readout): void {
    this.resolved = resolveReadout(this.encoder, readout);
  }

  /**
   * Embeds a batch `x` [N, ...inputShape] -> [N, embeddingDim] at the read-out
   * (L2-normalised if the network normalises); `{ at: 'output' }` gives the
   * encoder's output [N, outputDim] instead. Differentiable: losses call it inside
   * `optimizer.minimize` with `{ training: true, at: 'output' }`; gradients flow
   * to {@link trainableWeights}.
   */
  embed(x: tf.Tensor, options: EmbedOptions = {}): tf.Tensor2D {
    this.checkInput(x, 'SiameseNetwork.embed', 'x');
    const model = options.at === 'output' ? this.encoder : this.resolved.model;
    return tf.tidy(() => {
      const e = model.apply(x, { training: options.training ?? false }) as tf.Tensor2D;
      return this.normalize ? l2Normalize(e) : e;
    });
  }

  /**
   * Embeds many examples in batches of `batchSize` (inference mode), keeping at
   * most one batch of activations alive. `x` is a tensor [N, ...inputShape] or
   * the row-major floats of N examples (fixed input shapes only).
   *
   * @returns the embeddings, row-major: N * embeddingDim floats.
   */
  async embedBatched(x: Float32Array | tf.Tensor, batchSize = 256): Promise<Float32Array> {
    const fn = 'SiameseNetwork.embedBatched';
    check(Number.isInteger(batchSize) && batchSize > 0, fn, `batchSize must be a positive integer, got ${batchSize}`);
    let count: number;
    let batchAt: (start: number, end: number) => tf.Tensor;
    if (x instanceof Float32Array) {
      const shape = this.inputShape;
      check(
        shape.every((d) => d !== null),
        fn,
        `x as a Float32Array needs a fixed input shape, this encoder's is ${JSON.stringify(shape)}: pass a tensor`,
      );
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      check(x.length % size === 0, fn, `x has ${x.length} floats, not a multiple of one example's ${size} (inputShape ${JSON.stringify(shape)})`);
      count = x.length / size;
      batchAt = (s, e) => tf.tensor(x.subarray(s * size, e * size), [e - s, ...(shape as number[])]);
    } else {
      check(x instanceof tf.Tensor, fn, 'x must be a Float32Array or a tf.Tensor');
      this.checkInput(x, fn, 'x');
      count = x.shape[0];
      batchAt = (s, e) => tf.slice(x, s, e - s);
    }
    const out = new Float32Array(count * this.embeddingDim);
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(count, start + batchSize);
      const emb = tf.tidy(() => {
        const batch = batchAt(start, end);
        return this.embed(batch);
      });
      try {
        out.set(await emb.data(), start * this.embeddingDim);
      } finally {
        emb.dispose();
      }
    }
    return out;
  }

  /** Distance between the embeddings of x1[i] and x2[i] for each pair i: returns [N]. */
  distance(x1: tf.Tensor, x2: tf.Tensor, options: EmbedOptions = {}): tf.Tensor1D {
    const fn = 'SiameseNetwork.distance';
    this.checkInput(x1, fn, 'x1');
    this.checkInput(x2, fn, 'x2');
    check(x1.shape[0] === x2.shape[0], fn, `x1 has ${x1.shape[0]} rows but x2 has ${x2.shape[0]}`);
    return tf.tidy(() => pairDistances(this.embed(x1, options), this.embed(x2, options), this.distanceName));
  }

  /** The encoder's trainable variables (the `varList` for `optimizer.minimize`). */
  get trainableWeights(): tf.Variable[] {
    return this.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Copies of all encoder weights, in layer order (the caller disposes them). */
  getWeights(): tf.Tensor[] {
    return this.encoder.getWeights();
  }

  /** Sets all encoder weights, in the order {@link getWeights} returns them. */
  setWeights(weights: tf.Tensor[]): void {
    const fn = 'SiameseNetwork.setWeights';
    const current = this.encoder.weights;
    check(Array.isArray(weights), fn, 'weights must be an array of tensors');
    check(weights.length === current.length, fn, `got ${weights.length} tensors, the encoder has ${current.length} weights`);
    weights.forEach((w, i) => {
      check(
        w instanceof tf.Tensor && tf.util.arraysEqual(w.shape, current[i].shape as number[]),
        fn,
        `weights[${i}] (${current[i].name}) must have shape ${JSON.stringify(current[i].shape)}, got ${w instanceof tf.Tensor ? JSON.stringify(w.shape) : typeof w}`,
      );
    });
    this.encoder.setWeights(weights);
  }

  /** Frees the encoder's weights. The network cannot be used afterwards. */
  dispose(): void {
    this.encoder.dispose();
  }

  private checkInput(x: tf.Tensor, fn: string, arg: string): void {
    if (!(x instanceof tf.Tensor)) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${arg} must be a tf.Tensor`);
    const want = this.inputShape;
    const ok = x.rank === want.length + 1 && want.every((d, i) => d === null || d === x.shape[i + 1]);
    check(ok, fn, `${arg} has shape ${JSON.stringify(x.shape)}, expected [N, ${want.map((d) => (d === null ? '*' : d)).join(', ')}]`);
  }
}
