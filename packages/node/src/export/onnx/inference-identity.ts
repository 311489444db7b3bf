/** Layers that only act in training (dropout, noise): the identity at inference. */
import type { LayerTranslation } from './layer.js';

const passThrough: LayerTranslation = (_ctx, v) => v;

export const INFERENCE_IDENTITY_LAYERS: Record<string, LayerTranslation> = {
  Dropout: passThrough,
  SpatialDropout1D: passThrough,
  GaussianNoise: passThrough,
  GaussianDropout: passThrough,
  AlphaDropout: passThrough,
};
