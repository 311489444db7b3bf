/**
 * A relu conv layer that runs as one kernel (conv + bias + relu, engine/kernels/conv-bias-relu.ts)
 * where that kernel is available, training included: TF.js splits such a layer into three
 * kernels while a gradient is recorded. Only the layer instance's `call` changes: the same
 * function of the same weights, the same config, so a saved model is a plain Conv2D and loads
 * anywhere. Elsewhere (another backend, no native kernels) the layer's own call runs.
 */
import * as tf from '@tensorflow/tfjs';
import { convBiasRelu, convBiasReluAvailable } from '@contrastive/kernels';

/** The conv layer fields read here (tfjs-layers' Conv2D). */
interface ConvFields {
  kernel: { read(): tf.Tensor } | null;
  bias: { read(): tf.Tensor } | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  rank: number;
  activation: { getClassName(): string } | null;
}

/** Gives `layer` (a Conv2D with relu, bias, channels last, dilation 1) the one-kernel path; returns it. */
export function fuseConvBiasRelu(layer: tf.layers.Layer): tf.layers.Layer {
  const conv = layer as unknown as ConvFields;
  const fits = (): boolean =>
    conv.rank === 2 && conv.dataFormat === 'channelsLast' && conv.dilationRate.every((d) => d === 1) &&
    (conv.padding === 'valid' || conv.padding === 'same') && conv.activation?.getClassName() === 'relu' &&
    conv.kernel !== null && conv.bias !== null && conv.strides.length === 2;
  const own = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.rank !== 4 || x.dtype !== 'float32' || !fits() || !convBiasReluAvailable()) return own(inputs, kwargs);
    return tf.tidy(() => convBiasRelu(x as tf.Tensor4D, conv.kernel!.read() as tf.Tensor4D, conv.bias!.read() as tf.Tensor1D,
      conv.strides as [number, number], conv.padding as 'valid' | 'same'));
  };
  return layer;
}
