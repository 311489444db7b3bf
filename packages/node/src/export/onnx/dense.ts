/** Dense: Gemm for [batch, features] inputs, MatMul + Add for higher ranks. */
import { activation } from './activations.js';
import { identity } from './graph.js';
import type { LayerTranslation } from './layer.js';

export const DENSE_LAYERS: Record<string, LayerTranslation> = {
  Dense: ({ g, cfg, base, outShape, rank, weights }, v) => {
    const x = g.keras(v, base);
    const [kernel, bias] = weights();
    const units = cfg.units as number;
    const inDim = kernel.length / units;
    const w = g.floatInit(`${base}/kernel`, [inDim, units], kernel);
    const b = bias !== undefined ? g.floatInit(`${base}/bias`, [units], bias) : undefined;
    let y: string;
    if (rank === 2) {
      y = g.op('Gemm', base, b ? [x.name, w, b] : [x.name, w]);
    } else {
      y = g.op('MatMul', base, [x.name, w]);
      if (b) y = g.op('Add', base, [y, b]);
    }
    return activation(g, { name: y, shape: outShape, perm: identity(outShape.length) }, cfg.activation as string, base);
  },
};
