/**
 * Training on a pretrained backbone (`contrastive train --backbone PATH`): the
 * backbone (a bundle of ours or a TF.js layers model) is cut at a layer and a
 * dense head trained on top. Frozen (the default), its features are computed
 * once per example and only the head trains, on them (the fast path); with
 * `fineTune` N its last N weighted layers train with the head, on the images.
 * Either way the result is one model, images -> embedding, so the bundle holds
 * the backbone's weights and embed, eval, the index, serve and the browser
 * loader use it as any other bundle.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import type { LabelledDataset, PairDataset } from 'contrastive/internal/data/types.js';
import { SiameseNetwork } from 'contrastive/internal/models/siamese-network.js';
import { backboneEncoder, extractFeatures } from 'contrastive/internal/models/backbone.js';
import type { BackboneRecord } from 'contrastive/internal/models/backbone-record.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import { trainSiamese, type TrainConfig, type TrainEvent, type TrainResult } from 'contrastive/internal/train/index.js';
import { loadBackbone } from '@contrastive/node/internal/models/backbone.js';
import type { JobBackbone } from './job-options.js';

type Split = { train: LabelledDataset | PairDataset; validation: LabelledDataset | PairDataset };

/** The same examples as features: `x` replaced, shape [featureDim]. */
async function asFeatures<D extends LabelledDataset | PairDataset>(d: D, features: Parameters<typeof extractFeatures>[0], dim: number): Promise<D> {
  return { ...d, x: await extractFeatures(features, d.x), inputShape: [dim] };
}

/**
 * Builds the backbone encoder for `inputShape` images and trains it on `split`
 * (see the module comment). `config` is the trainer's, complete.
 * @returns the network over images (backbone and head in one model), the trainer's
 *   result, what the bundle records about the backbone, and the seconds spent computing
 *   the features of the train and validation splits (0 when fine-tuning).
 */
export async function trainOnBackbone(
  backbone: JobBackbone,
  inputShape: number[],
  split: Split,
  head: { hidden?: number[]; embeddingDim: number; distance: DistanceName; normalize: boolean; seed: number },
  config: Partial<TrainConfig>,
  onEvent?: (e: TrainEvent) => void,
): Promise<{ network: SiameseNetwork; result: TrainResult; record: BackboneRecord; featureSeconds: number }> {
  const fn = 'train';
  check(inputShape.length === 3, fn, `a backbone takes images [height, width, channels]; this dataset's examples have shape ${JSON.stringify(inputShape)}`);
  const loaded = await loadBackbone(backbone.source);
  if (!loaded.layers) {
    await loaded.dispose();
    throw new ContrastiveError(
      'UNSUPPORTED',
      `${fn}: --backbone ${backbone.source} is a ${loaded.format}; the CLI trains on TF.js layers models and bundles. For a graph model or an ONNX file, compute its features with backboneFeatures (@contrastive/node) and train a head on them (docs/guides/pretrained-backbone.md)`,
    );
  }
  const fineTune = backbone.fineTune ?? 0;
  const bb = backboneEncoder(loaded.layers, {
    inputShape,
    layer: backbone.layer,
    pooling: backbone.pooling,
    pixels: backbone.pixels,
    fineTune,
    hidden: head.hidden,
    embeddingDim: head.embeddingDim,
    seed: head.seed,
    source: loaded.source,
    sha256: loaded.sha256,
  });
  const options = { distance: head.distance, normalize: head.normalize };
  if (fineTune > 0) {
    const network = new SiameseNetwork(bb.model, options);
    const result = await trainSiamese(network, split, config, onEvent);
    return { network, result, record: bb.record, featureSeconds: 0 };
  }
  // Frozen: the features never change, so they are computed once and the head trains on them alone.
  const augmented = (config.augmentShift ?? 0) > 0 || config.augmentFlip === true || (config.augmentErase ?? 0) > 0 || config.augmentAffine !== undefined;
  check(!augmented, fn, 'augmentation (--augment-shift, --augment-flip, --augment-erase, --augment-affine) needs --fine-tune N: a frozen backbone\'s features are computed once per image');
  const dim = bb.record.featureDim;
  const t0 = performance.now();
  const features = { train: await asFeatures(split.train, bb.features, dim), validation: await asFeatures(split.validation, bb.features, dim) };
  const featureSeconds = (performance.now() - t0) / 1000;
  const headNet = new SiameseNetwork(bb.head, options);
  const result = await trainSiamese(headNet, features, config, onEvent);
  const network = new SiameseNetwork(bb.model, options);
  network.training = headNet.training;
  network.calibration = headNet.calibration;
  return { network, result, record: bb.record, featureSeconds };
}
