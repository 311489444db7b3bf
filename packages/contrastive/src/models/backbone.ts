/**
 * A pretrained backbone with a trained head: a TF.js layers model (downloaded,
 * or a bundle of ours trained on other data) cut at a named layer, frozen by
 * default, with a small dense head on top that learns the embedding. The result
 * is one `tf.LayersModel` (pixel adapter -> backbone -> pooling -> head), so a bundle
 * saved from it carries the backbone's weights and every consumer of bundles
 * (embed, eval, the index, serve, contrastive/browser) uses it unchanged.
 *
 * While the backbone is frozen its features do not change during training, so
 * the fast path computes them once per example ({@link extractFeatures}) and
 * trains only the head on them; the head's layers are shared with the composed
 * model, so training `head` trains `model`.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKBONE_POOLINGS, type BackbonePixels, type BackbonePooling, type BackboneRecord } from './backbone-record.js';
import { ContrastiveError, check } from '../errors.js';
import { SeededInit } from './seeded-init.js';

const FN = 'backboneEncoder';

/** Options of {@link backboneEncoder}. @group Backbones */
export interface BackboneEncoderOptions {
  /**
   * Shape [height, width, channels] of the images your data gives, as every loader
   * of this toolkit gives them (pixel / 255). Default: the backbone's input shape.
   * Other sizes are resized (bilinear) and other channel counts converted (grey to
   * RGB by copying, RGB to grey by luminance) inside the model.
   */
  inputShape?: readonly number[];
  /** The layer whose output are the features. Default: the backbone's output. */
  layer?: string;
  /** The pixels the backbone was trained on. Default `{ scale: 1/255, mean: 0, std: 1 }` (what this toolkit's loaders give). */
  pixels?: Partial<BackbonePixels>;
  /** How a feature map [h, w, c] becomes a vector: 'flatten' (default), or global 'avg' / 'max' pooling. */
  pooling?: BackbonePooling;
  /** Widths of the head's hidden relu layers. Default [] (one dense layer to the embedding). */
  hidden?: readonly number[];
  /** Size of the embedding. Default 64. */
  embeddingDim?: number;
  /**
   * How many of the backbone's last layers that have weights (up to `layer`) train
   * with the head. Default 0: the backbone is frozen.
   */
  fineTune?: number;
  /** Seed of the head's initialisation. Default 0. */
  seed?: number;
  /** Where the backbone came from, recorded in the bundle (a path or URL). */
  source?: string | null;
  /** sha256 (hex) of the backbone's files, recorded in the bundle. */
  sha256?: string | null;
}

/** A backbone with a head, from {@link backboneEncoder}. @group Backbones */
export interface BackboneEncoder {
  /** Images -> embedding: pixel adapter, backbone up to the layer, pooling, head. Give it to a `SiameseNetwork`. */
  model: tf.LayersModel;
  /** Images -> features (the frozen part, without the head). */
  features: tf.LayersModel;
  /** Features -> embedding; its layers are the ones in `model` (training one trains the other). */
  head: tf.LayersModel;
  /** What a bundle records (pass it to saveBundle as `info.backbone`). */
  record: BackboneRecord;
}

function perChannelValues(x: number | number[], channels: number, name: string): number[] {
  if (Array.isArray(x)) {
    check(x.length === channels, FN, `pixels.${name} has ${x.length} values for a backbone with ${channels} channels`);
    return x;
  }
  return Array.from({ length: channels }, () => x);
}

/**
 * The frozen 1x1 convolution mapping the data's pixels (pixel / 255, `cin` channels)
 * to the backbone's (`(pixel * scale - mean) / std`, `cout` channels), or null when
 * they are already the same.
 */
function pixelAdapter(cin: number, cout: number, p: BackbonePixels): { layer: tf.layers.Layer; kernel: tf.Tensor4D; bias: tf.Tensor1D } | null {
  const mean = perChannelValues(p.mean, cout, 'mean');
  const std = perChannelValues(p.std, cout, 'std');
  check(std.every((s) => s !== 0 && Number.isFinite(s)), FN, 'pixels.std must be finite and non-zero');
  check(Number.isFinite(p.scale) && p.scale !== 0, FN, `pixels.scale must be finite and non-zero, got ${p.scale}`);
  check(cin === cout || cin === 1 || cout === 1, FN, `images with ${cin} channels cannot feed a backbone taking ${cout} (grey converts to and from any count)`);
  const gain = 255 * p.scale;
  const identity = cin === cout && Math.abs(gain - 1) < 1e-12 && mean.every((m) => m === 0) && std.every((s) => s === 1);
  if (identity) return null;
  const luminance = [0.2126, 0.7152, 0.0722];
  const w = new Float32Array(cin * cout);
  for (let i = 0; i < cin; i++) {
    for (let o = 0; o < cout; o++) {
      const mix = cin === cout ? (i === o ? 1 : 0) : cout === 1 ? (cin === 3 ? luminance[i] : 1 / cin) : 1;
      w[i * cout + o] = (mix * gain) / std[o];
    }
  }
  const layer = tf.layers.conv2d({ filters: cout, kernelSize: 1, name: 'backbone_pixels', trainable: false });
  return { layer, kernel: tf.tensor4d(w, [1, 1, cin, cout]), bias: tf.tensor1d(mean.map((m, o) => -m / std[o])) };
}

/** The layers of `model` that own weights, in order (nested models' layers included). */
function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) out.push(...weightedLayers(layer));
    else if (layer.weights.length > 0) out.push(layer);
  }
  return out;
}

/** Batch-norm layers already made to follow their trainable flag. */
const FOLLOWS_TRAINABLE = new WeakSet<tf.layers.Layer>();

/**
 * Makes each batch-norm layer of `model` (nested models too) run in inference
 * mode while it is not trainable, whatever the call's `training` flag: a frozen
 * layer normalises with its moving mean and variance and never updates them, as
 * Keras does for `trainable = false`. TF.js's BatchNormalization ignores
 * `trainable`: fine-tuning the layers above it would normalise with each batch's
 * statistics and overwrite the pretrained moving ones.
 */
function frozenBatchNormInInference(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) frozenBatchNormInInference(layer);
    else if (layer.getClassName() === 'BatchNormalization' && !FOLLOWS_TRAINABLE.has(layer)) {
      const call = layer.call.bind(layer);
      layer.call = (inputs, kwargs) => call(inputs, layer.trainable ? kwargs : { ...kwargs, training: false });
      FOLLOWS_TRAINABLE.add(layer);
    }
  }
}

/**
 * A TF.js layers model as a backbone with a contrastive head: the backbone is cut
 * at `options.layer`, frozen (or its last `fineTune` weighted layers left trainable),
 * its output pooled to a vector, and a dense head maps that to the embedding.
 * Returns the composed model (images -> embedding), the feature model and the head.
 * The backbone's layers are shared, not copied: the trainable flags set here are
 * set on them, and disposing `model` disposes them. A frozen batch-norm layer runs
 * in inference mode also when the model is called in training (its moving mean
 * and variance are used and kept); a fine-tuned one trains as usual.
 *
 * @throws ContrastiveError for a layer the backbone does not have, a fineTune larger
 *   than its weighted layers, images whose channels cannot be converted, or a
 *   backbone that is not one image input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { backboneEncoder, cnnEncoder, SiameseNetwork } from 'contrastive';
 *
 * // Any layers model works as a backbone; here a fresh cnn stands in for a pretrained one.
 * const pretrained = cnnEncoder({ inputShape: [28, 28, 1], seed: 3 }).model;
 * const { model, record } = backboneEncoder(pretrained, { layer: pretrained.layers[4].name, embeddingDim: 32, seed: 1 });
 * const net = new SiameseNetwork(model, { normalize: true });
 * console.log(net.embeddingDim, record.featureDim, net.trainableWeights.length); // 32 1600 2: only the head trains
 * tf.dispose(net.embed(tf.zeros([2, 28, 28, 1])));
 * ```
 * @group Backbones
 */
export function backboneEncoder(backbone: tf.LayersModel, options: BackboneEncoderOptions = {}): BackboneEncoder {
  check(backbone instanceof tf.LayersModel, FN, 'backbone must be a tf.LayersModel (a graph model or ONNX file: use its features, see graphBackbone / onnxBackbone)');
  check(backbone.inputs.length === 1, FN, `the backbone must have one input (it has ${backbone.inputs.length})`);
  const bShape = backbone.inputs[0].shape.slice(1);
  check(
    bShape.length === 3 && bShape.every((d) => typeof d === 'number' && d > 0),
    FN,
    `the backbone's input must be images [height, width, channels] of a fixed size, got ${JSON.stringify(bShape)}`,
  );
  const [bh, bw, bc] = bShape as number[];
  const dataShape = options.inputShape ? [...options.inputShape] : [bh, bw, bc];
  check(dataShape.length === 3 && dataShape.every((d) => Number.isInteger(d) && d > 0), FN, `options.inputShape must be [height, width, channels], got ${JSON.stringify(options.inputShape)}`);
  // Resizing is the loader's work (it resizes with sharp as it reads): TF.js 4.22's resizing layer misreports its output shape.
  check(
    dataShape[0] === bh && dataShape[1] === bw,
    FN,
    `the images are ${dataShape[0]}x${dataShape[1]} but the backbone takes ${bh}x${bw}: load them at the backbone's size (a folder loader's width ${bw} and height ${bh}, or resize them first)`,
  );
  const pooling = options.pooling ?? 'flatten';
  check(BACKBONE_POOLINGS.includes(pooling), FN, `options.pooling is '${String(pooling)}' (expected ${BACKBONE_POOLINGS.join(', ')})`);
  const hidden = [...(options.hidden ?? [])];
  check(hidden.every((h) => Number.isInteger(h) && h > 0), FN, `options.hidden must be positive integers, got ${JSON.stringify(options.hidden)}`);
  const embeddingDim = options.embeddingDim ?? 64;
  check(Number.isInteger(embeddingDim) && embeddingDim > 0, FN, `options.embeddingDim must be a positive integer, got ${embeddingDim}`);
  const fineTune = options.fineTune ?? 0;
  check(Number.isInteger(fineTune) && fineTune >= 0, FN, `options.fineTune must be a non-negative integer, got ${fineTune}`);
  const seed = options.seed ?? 0;
  check(Number.isInteger(seed) && seed >= 0, FN, `options.seed must be a non-negative integer, got ${seed}`);
  const pixels: BackbonePixels = { scale: 1 / 255, mean: 0, std: 1, ...options.pixels };

  // The backbone up to the feature layer, as one nested model.
  const layerName = options.layer ?? backbone.outputs[0].sourceLayer.name;
  let featureLayer: tf.layers.Layer;
  try {
    featureLayer = backbone.getLayer(layerName);
  } catch {
    const names = backbone.layers.map((l) => l.name);
    throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: the backbone has no layer '${layerName}' (its layers: ${names.join(', ')})`);
  }
  const cut = tf.model({ inputs: backbone.inputs, outputs: featureLayer.output as tf.SymbolicTensor, name: 'backbone' });
  const weighted = weightedLayers(cut);
  check(fineTune <= weighted.length, FN, `options.fineTune is ${fineTune} but the backbone has ${weighted.length} layers with weights up to '${layerName}'`);
  const trainable = new Set(weighted.slice(weighted.length - fineTune));
  for (const layer of weighted) layer.trainable = trainable.has(layer);
  frozenBatchNormInInference(cut);

  // images -> features
  const input = tf.input({ shape: dataShape, name: 'images' });
  let h: tf.SymbolicTensor = input;
  const adapter = pixelAdapter(dataShape[2], bc, pixels);
  if (adapter) h = adapter.layer.apply(h) as tf.SymbolicTensor;
  h = cut.apply(h) as tf.SymbolicTensor;
  if (h.shape.length === 4) {
    if (pooling === 'avg') h = tf.layers.globalAveragePooling2d({ name: 'backbone_pool' }).apply(h) as tf.SymbolicTensor;
    else if (pooling === 'max') h = tf.layers.globalMaxPooling2d({ name: 'backbone_pool' }).apply(h) as tf.SymbolicTensor;
  }
  if (h.shape.length > 2) h = tf.layers.flatten({ name: 'backbone_flatten' }).apply(h) as tf.SymbolicTensor;
  const featureDim = h.shape[1];
  check(typeof featureDim === 'number' && featureDim > 0, FN, `the features at '${layerName}' have no fixed size (shape ${JSON.stringify(h.shape)})`);
  if (adapter) {
    adapter.layer.setWeights([adapter.kernel, adapter.bias]);
    tf.dispose([adapter.kernel, adapter.bias]);
  }
  const features = tf.model({ inputs: input, outputs: h, name: 'backbone_features' });

  // features -> embedding. Named layers: a loaded backbone keeps its own layer names, which fresh automatic names could repeat.
  const init = new SeededInit(seed);
  const fIn = tf.input({ shape: [featureDim], name: 'features' });
  let g: tf.SymbolicTensor = fIn;
  hidden.forEach((units, i) => {
    g = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init.he(), name: `head_dense_${i + 1}` }).apply(g) as tf.SymbolicTensor;
  });
  g = tf.layers.dense({ units: embeddingDim, kernelInitializer: init.glorot(), name: 'head_embedding' }).apply(g) as tf.SymbolicTensor;
  const head = tf.model({ inputs: fIn, outputs: g, name: 'head' });

  const model = tf.model({ inputs: input, outputs: head.apply(h) as tf.SymbolicTensor, name: 'backbone_encoder' });
  const record: BackboneRecord = {
    format: 'layers-model',
    source: options.source ?? null,
    sha256: options.sha256 ?? null,
    storage: 'embedded',
    layer: layerName,
    pooling,
    inputShape: [bh, bw, bc],
    pixels,
    featureDim,
    fineTune,
    trainableLayers: [...trainable].map((l) => l.name),
    head: { hidden, embeddingDim, seed },
  };
  return { model, features, head, record };
}

/**
 * Runs `model` (e.g. {@link BackboneEncoder.features}) over many examples in
 * batches: `x` holds `count` examples of the model's input shape, row-major.
 * The fast path for a frozen backbone: compute the features once, then train the
 * head on them as flat vectors.
 *
 * @returns `count * featureDim` floats, row-major.
 * @group Backbones
 */
export async function extractFeatures(model: tf.LayersModel, x: Float32Array, batchSize = 256): Promise<Float32Array> {
  const fn = 'extractFeatures';
  check(model instanceof tf.LayersModel, fn, 'model must be a tf.LayersModel');
  check(Number.isInteger(batchSize) && batchSize > 0, fn, `batchSize must be a positive integer, got ${batchSize}`);
  const shape = model.inputs[0].shape.slice(1);
  check(shape.every((d) => typeof d === 'number'), fn, `the model's input shape must be fixed, got ${JSON.stringify(shape)}`);
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  check(x.length % size === 0, fn, `x has ${x.length} floats, not a multiple of one example's ${size} (shape ${JSON.stringify(shape)})`);
  const count = x.length / size;
  const dim = model.outputs[0].shape[1] as number;
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const y = tf.tidy(() => model.predict(tf.tensor(x.subarray(start * size, end * size), [end - start, ...(shape as number[])])) as tf.Tensor);
    try {
      out.set(await y.data(), start * dim);
    } finally {
      y.dispose();
    }
  }
  return out;
}
