/** Max and average pooling, windowed (1-D, 2-D) and global. */
import { check } from 'contrastive/internal/errors.js';
import type { OnnxAttributeValue } from '@contrastive/kernels/internal/onnx/proto.js';
import { FN, asArray, channelsFirst, identity, int, ints, type Value } from './graph.js';
import type { LayerContext, LayerTranslation } from './layer.js';
import { padAttrs } from './padding.js';

function pool({ g, cfg, base, outShape }: LayerContext, v: Value, d: 1 | 2, op: 'MaxPool' | 'AveragePool'): Value {
  const rank = d + 2;
  check(v.shape.length === rank, FN, `layer '${base}' expects rank ${rank} input, got shape ${JSON.stringify(v.shape)}`);
  const first = cfg.dataFormat === 'channelsFirst';
  const poolSize = asArray(cfg.poolSize, d, 'poolSize', base);
  const strides = asArray(cfg.strides ?? cfg.poolSize, d, 'strides', base);
  const x = g.layout(v, first ? identity(rank) : channelsFirst(rank), base);
  const spatial = first ? v.shape.slice(2) : v.shape.slice(1, rank - 1);
  const ones = new Array<number>(d).fill(1);
  const attrs: Record<string, OnnxAttributeValue> = {
    kernel_shape: ints(poolSize),
    strides: ints(strides),
    ...padAttrs(base, cfg.padding as string, spatial, poolSize, strides, ones),
  };
  // TF averages over the window's valid cells only: count_include_pad = 0 (the ONNX default, stated).
  if (op === 'AveragePool') attrs.count_include_pad = int(0);
  return { name: g.op(op, base, [x.name], attrs), shape: outShape, perm: x.perm };
}

/** Reduces the spatial Keras axes wherever they sit; batch and channels remain, in Keras order. */
function globalPool({ g, cfg, base, outShape, rank }: LayerContext, v: Value, op: 'ReduceMax' | 'ReduceMean'): Value {
  const channelAxis = cfg.dataFormat === 'channelsFirst' ? 1 : rank - 1;
  const spatial = identity(rank).filter((a) => a !== 0 && a !== channelAxis);
  const axes = spatial.map((a) => v.perm.indexOf(a)).sort((a, b) => a - b);
  return { name: g.op(op, base, [v.name], { axes: ints(axes), keepdims: int(0) }), shape: outShape, perm: [0, 1] };
}

export const POOLING_LAYERS: Record<string, LayerTranslation> = {
  MaxPooling1D: (ctx, v) => pool(ctx, v, 1, 'MaxPool'),
  MaxPooling2D: (ctx, v) => pool(ctx, v, 2, 'MaxPool'),
  AveragePooling1D: (ctx, v) => pool(ctx, v, 1, 'AveragePool'),
  AveragePooling2D: (ctx, v) => pool(ctx, v, 2, 'AveragePool'),
  GlobalAveragePooling1D: (ctx, v) => globalPool(ctx, v, 'ReduceMean'),
  GlobalAveragePooling2D: (ctx, v) => globalPool(ctx, v, 'ReduceMean'),
  GlobalMaxPooling1D: (ctx, v) => globalPool(ctx, v, 'ReduceMax'),
  GlobalMaxPooling2D: (ctx, v) => globalPool(ctx, v, 'ReduceMax'),
};
