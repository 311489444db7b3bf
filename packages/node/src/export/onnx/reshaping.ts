/** Flatten and Reshape: both work in the Keras (channels-last) order. */
import { check } from 'contrastive/internal/errors.js';
import { FN, identity, int } from './graph.js';
import type { LayerTranslation } from './layer.js';

export const RESHAPING_LAYERS: Record<string, LayerTranslation> = {
  Flatten: ({ g, cfg, base, outShape, rank }, v) => {
    check(rank >= 2, FN, `layer '${base}' (Flatten) got rank ${rank}`);
    // Keras flattens in channels-last order (a channelsFirst Flatten moves channels last first).
    const order = cfg.dataFormat === 'channelsFirst' ? [0, ...identity(rank).slice(2), 1] : identity(rank);
    const x = g.layout(v, order, base);
    return { name: g.op('Flatten', base, [x.name], { axis: int(1) }), shape: outShape, perm: [0, 1] };
  },
  Reshape: ({ g, cfg, base, outShape }, v) => {
    const x = g.keras(v, base);
    const target = cfg.targetShape as number[];
    const shapeName = g.intInit(`${base}/shape`, [0, ...target.map((d) => (d == null ? -1 : d))]);
    return { name: g.op('Reshape', base, [x.name, shapeName]), shape: outShape, perm: identity(outShape.length) };
  },
};
