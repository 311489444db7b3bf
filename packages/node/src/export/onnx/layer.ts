/** What every layer translation gets, and the shape of one. */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder, LayerConfig, Value } from './graph.js';

/** One TF.js layer about to be translated. */
export interface LayerContext {
  g: GraphBuilder;
  layer: tf.layers.Layer;
  /** The layer's class name, e.g. 'Conv2D'. */
  cls: string;
  cfg: LayerConfig;
  /** The layer's name: the prefix of its ONNX names. */
  base: string;
  /** The layer's output shape for the input value's shape (Keras order). */
  outShape: (number | null)[];
  /** The input's rank. */
  rank: number;
  /** The layer's weights as float32 arrays, in TF.js order. */
  weights(): Float32Array[];
}

/** Emits the ONNX nodes of one layer applied to `v`; returns the output value. */
export type LayerTranslation = (ctx: LayerContext, v: Value) => Value;
