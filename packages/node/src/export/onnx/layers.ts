/**
 * Every layer class the exporter translates, one file per kind (as
 * engine/kernels/ does for kernels); the list of supported layers is this table's keys.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { ACTIVATION_LAYERS } from './activation-layers.js';
import { CONV_LAYERS } from './conv.js';
import { DENSE_LAYERS } from './dense.js';
import { FN, type GraphBuilder, type LayerConfig, type Value } from './graph.js';
import { INFERENCE_IDENTITY_LAYERS } from './inference-identity.js';
import type { LayerTranslation } from './layer.js';
import { NORMALIZATION_LAYERS } from './normalization.js';
import { POOLING_LAYERS } from './pooling.js';
import { RESHAPING_LAYERS } from './reshaping.js';

const TRANSLATIONS: Record<string, LayerTranslation> = {
  ...DENSE_LAYERS,
  ...CONV_LAYERS,
  ...POOLING_LAYERS,
  ...RESHAPING_LAYERS,
  ...ACTIVATION_LAYERS,
  ...INFERENCE_IDENTITY_LAYERS,
  ...NORMALIZATION_LAYERS,
};

/** Layer class names {@link exportOnnx} can translate. @group ONNX */
export const ONNX_SUPPORTED_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(TRANSLATIONS)];

/** Translates one (non-model) layer applied to `v`. */
export function translateLayer(g: GraphBuilder, layer: tf.layers.Layer, v: Value): Value {
  const cls = layer.getClassName();
  const base = layer.name;
  if (!Object.hasOwn(TRANSLATIONS, cls)) {
    throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${base}' of class ${cls} has no ONNX translation (supported: ${ONNX_SUPPORTED_LAYERS.join(', ')})`);
  }
  return TRANSLATIONS[cls](
    {
      g,
      layer,
      cls,
      cfg: layer.getConfig() as LayerConfig,
      base,
      outShape: layer.computeOutputShape(v.shape) as (number | null)[],
      rank: v.shape.length,
      weights: () => layer.getWeights().map((w) => w.dataSync() as Float32Array),
    },
    v,
  );
}

/** Translates every layer of `model` in order, starting from `v` (nested models are flattened; only chains). */
export function translateModel(g: GraphBuilder, model: tf.LayersModel, v: Value): Value {
  let prev: tf.layers.Layer | undefined;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') {
      prev = layer;
      continue;
    }
    if (!(model instanceof tf.Sequential) && prev !== undefined) {
      const chained = layer.inboundNodes.some((n) => n.inboundLayers.length === 1 && n.inboundLayers[0] === prev);
      if (!chained) {
        throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layer.name}' of model '${model.name}' does not take the previous layer's output; only chains of layers can be exported`);
      }
    }
    v = layer instanceof tf.LayersModel ? translateModel(g, layer, v) : translateLayer(g, layer, v);
    prev = layer;
  }
  return v;
}
