/** Conv1D and Conv2D: ONNX Conv on channels-first values, the kernel reordered [k..., cin, cout] -> [cout, cin, k...]. */
import { check } from 'contrastive/internal/errors.js';
import { activation } from './activations.js';
import { FN, asArray, channelsFirst, identity, ints, type Value } from './graph.js';
import type { LayerContext, LayerTranslation } from './layer.js';
import { padAttrs } from './padding.js';

function conv({ g, cfg, base, outShape, weights }: LayerContext, v: Value, d: 1 | 2): Value {
  const rank = d + 2;
  check(v.shape.length === rank, FN, `layer '${base}' expects rank ${rank} input, got shape ${JSON.stringify(v.shape)}`);
  const first = cfg.dataFormat === 'channelsFirst';
  const kernelSize = asArray(cfg.kernelSize, d, 'kernelSize', base);
  const strides = asArray(cfg.strides ?? 1, d, 'strides', base);
  const dilations = asArray(cfg.dilationRate ?? 1, d, 'dilationRate', base);
  const x = g.layout(v, first ? identity(rank) : channelsFirst(rank), base);
  const spatial = first ? v.shape.slice(2) : v.shape.slice(1, rank - 1);
  const [kernel, bias] = weights();
  const filters = cfg.filters as number;
  const taps = kernelSize.reduce((a, b) => a * b, 1);
  const cin = kernel.length / (filters * taps);
  const w = new Float32Array(kernel.length);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < cin; c++) {
      for (let o = 0; o < filters; o++) w[(o * cin + c) * taps + t] = kernel[(t * cin + c) * filters + o];
    }
  }
  const inputs = [x.name, g.floatInit(`${base}/kernel`, [filters, cin, ...kernelSize], w)];
  if (bias !== undefined) inputs.push(g.floatInit(`${base}/bias`, [filters], bias));
  const attrs = {
    kernel_shape: ints(kernelSize),
    strides: ints(strides),
    dilations: ints(dilations),
    ...padAttrs(base, cfg.padding as string, spatial, kernelSize, strides, dilations),
  };
  const y = g.op('Conv', base, inputs, attrs);
  return activation(g, { name: y, shape: outShape, perm: x.perm }, cfg.activation as string, base);
}

export const CONV_LAYERS: Record<string, LayerTranslation> = {
  Conv1D: (ctx, v) => conv(ctx, v, 1),
  Conv2D: (ctx, v) => conv(ctx, v, 2),
};
