/**
 * What a bundle records about a pretrained backbone (manifest field `backbone`):
 * the schema and names only, no TF.js, so the manifest stays light to import.
 */
import * as v from 'valibot';

/** How the feature maps of a conv layer become one vector per image. @group Backbones */
export const BACKBONE_POOLINGS = ['flatten', 'avg', 'max'] as const;
/** One of {@link BACKBONE_POOLINGS}. @group Backbones */
export type BackbonePooling = (typeof BACKBONE_POOLINGS)[number];

/** Where a backbone comes from, as a bundle records it. @group Backbones */
export const BACKBONE_FORMATS = ['layers-model', 'graph-model', 'onnx'] as const;
/** One of {@link BACKBONE_FORMATS}. @group Backbones */
export type BackboneFormat = (typeof BACKBONE_FORMATS)[number];

/**
 * The pixels a backbone expects, from raw 0..255 pixels: `(pixel * scale - mean) / std`,
 * mean and std one value or one per channel (e.g. ImageNet models: scale 1/255,
 * mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]; TF Hub image models:
 * scale 1/255, mean 0, std 1).
 * @group Backbones
 */
export interface BackbonePixels {
  scale: number;
  mean: number | number[];
  std: number | number[];
}

const finite = v.pipe(v.number(), v.finite());
const perChannel = v.union([finite, v.pipe(v.array(finite), v.minLength(1))]);
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/** Schema of {@link BackboneRecord} (the bundle manifest's `backbone` field). @group Backbones */
export const backboneRecordSchema = v.looseObject({
  format: v.picklist(BACKBONE_FORMATS),
  // Where it was loaded from (a path or URL as the user gave it), or null.
  source: v.nullable(v.string()),
  // sha256 of its files (model.json then each weights file in order, or the .onnx file), hex, or null.
  sha256: v.nullable(v.string()),
  // 'embedded': the backbone's weights are in the bundle's own model files; 'referenced': only source and sha256 are.
  storage: v.picklist(['embedded', 'referenced']),
  // The layer (layers model) or output node (graph model, ONNX) the features are read at.
  layer: v.string(),
  pooling: v.picklist(BACKBONE_POOLINGS),
  // Shape [height, width, channels] the backbone takes.
  inputShape: v.strictTuple([positiveInt, positiveInt, positiveInt]),
  pixels: v.object({ scale: finite, mean: perChannel, std: perChannel }),
  featureDim: positiveInt,
  // How many of the backbone's last weighted layers trained with the head (0: frozen).
  fineTune: v.pipe(v.number(), v.integer(), v.minValue(0)),
  // Their names.
  trainableLayers: v.array(v.string()),
  head: v.object({ hidden: v.array(positiveInt), embeddingDim: positiveInt, seed: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
});

/** What a bundle records about its backbone (manifest field `backbone`). @group Backbones */
export type BackboneRecord = v.InferOutput<typeof backboneRecordSchema>;

