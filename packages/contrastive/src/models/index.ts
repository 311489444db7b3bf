// Public API of src/models: re-exports only.
export type { Encoder, EncoderSpec, MlpEncoderSpec, CnnEncoderSpec, SequenceEncoderSpec, EncoderActivation } from './encoder-spec.js';
export { encoderSpecSchema, mlpEncoderSpecSchema, cnnEncoderSpecSchema, sequenceEncoderSpecSchema, ENCODER_ACTIVATIONS } from './encoder-spec.js';
export { mlpEncoder, type MlpEncoderOptions } from './mlp-encoder.js';
export { cnnEncoder, type CnnEncoderOptions } from './cnn-encoder.js';
export { sequenceEncoder, type SequenceEncoderOptions } from './sequence-encoder.js';
export { createEncoder } from './create-encoder.js';
export type { EncoderRequest } from './create-encoder.js';
export { l2Normalize, L2_NORMALIZE_EPSILON } from './l2-normalize.js';
export { SiameseNetwork, type SiameseNetworkOptions, type EmbedOptions, type NetworkTrainingRecord, type NetworkCalibration } from './siamese-network.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  bundleManifestSchema,
  preprocessingSchema,
  type BundleManifest,
  type Preprocessing,
} from './manifest.js';
export { loadBrowserBundle, browserBundle, preprocessPixels, type BrowserBundle, type BrowserBundleOptions, type BrowserVerifyResult, type PixelSource } from './browser-bundle.js';
export { backboneEncoder, extractFeatures, type BackboneEncoder, type BackboneEncoderOptions } from './backbone.js';
export {
  backboneRecordSchema,
  BACKBONE_FORMATS,
  BACKBONE_POOLINGS,
  type BackboneFormat,
  type BackbonePixels,
  type BackbonePooling,
  type BackboneRecord,
} from './backbone-record.js';
export {
  READOUT_POOLS,
  OUTPUT_READOUT,
  UNDER_HEAD_READOUT,
  DEFAULT_READOUT,
  parseReadout,
  readoutName,
  checkReadout,
  readoutTensor,
  resolveReadout,
  readoutCandidates,
  type Readout,
  type ReadoutPool,
  type ResolvedReadout,
} from './readout.js';
