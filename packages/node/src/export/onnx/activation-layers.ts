/** Layers that are an activation: Activation, ReLU (with max value), LeakyReLU, ELU, Softmax. */
import { check } from 'contrastive/internal/errors.js';
import { activation } from './activations.js';
import { FN, float, int } from './graph.js';
import type { LayerTranslation } from './layer.js';

export const ACTIVATION_LAYERS: Record<string, LayerTranslation> = {
  Activation: ({ g, cfg, base }, v) => activation(g, v, cfg.activation as string, base),
  ReLU: ({ g, cfg, base }, v) => {
    const maxValue = cfg.maxValue as number | null | undefined;
    if (maxValue == null) return activation(g, v, 'relu', base);
    const lo = g.floatInit(`${base}/min`, [], new Float32Array([0]));
    const hi = g.floatInit(`${base}/max`, [], new Float32Array([maxValue]));
    return { ...v, name: g.op('Clip', base, [v.name, lo, hi]) };
  },
  LeakyReLU: ({ g, cfg, base }, v) => ({ ...v, name: g.op('LeakyRelu', base, [v.name], { alpha: float(cfg.alpha as number) }) }),
  ELU: ({ g, cfg, base }, v) => ({ ...v, name: g.op('Elu', base, [v.name], { alpha: float(cfg.alpha as number) }) }),
  Softmax: ({ g, cfg, base, rank }, v) => {
    const axis = (cfg.axis as number | number[] | undefined) ?? -1;
    const a = Array.isArray(axis) ? axis : [axis];
    check(a.length === 1, FN, `layer '${base}' (Softmax) over several axes is not supported`);
    const kerasAxis = a[0] < 0 ? rank + a[0] : a[0];
    return { ...v, name: g.op('Softmax', base, [v.name], { axis: int(v.perm.indexOf(kerasAxis)) }) };
  },
};
