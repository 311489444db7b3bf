/** BatchNormalization (moving statistics, folded into one scale and shift) and Rescaling. */
import { check } from 'contrastive/internal/errors.js';
import { FN } from './graph.js';
import type { LayerTranslation } from './layer.js';

export const NORMALIZATION_LAYERS: Record<string, LayerTranslation> = {
  BatchNormalization: ({ g, cfg, base, weights }, v) => {
    const w = weights();
    const rank = v.shape.length;
    const axisCfg = cfg.axis as number | number[];
    const axes = Array.isArray(axisCfg) ? axisCfg : [axisCfg];
    check(axes.length === 1, FN, `layer '${base}' (BatchNormalization) over several axes is not supported`);
    const axis = axes[0] < 0 ? rank + axes[0] : axes[0];
    // Weight order of TF.js: gamma (if scale), beta (if center), moving mean, moving variance.
    let i = 0;
    const gamma = cfg.scale !== false ? w[i++] : undefined;
    const beta = cfg.center !== false ? w[i++] : undefined;
    const mean = w[i++];
    const variance = w[i++];
    const eps = cfg.epsilon as number;
    const c = mean.length;
    // Fold into y = x * a + b (double precision), a = gamma / sqrt(var + eps), b = beta - mean * a.
    const a = new Float32Array(c);
    const b = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      const s = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps);
      a[k] = s;
      b[k] = (beta ? beta[k] : 0) - mean[k] * s;
    }
    const dims = new Array<number>(rank).fill(1);
    dims[v.perm.indexOf(axis)] = c;
    const mul = g.op('Mul', base, [v.name, g.floatInit(`${base}/scale`, dims, a)]);
    return { ...v, name: g.op('Add', base, [mul, g.floatInit(`${base}/shift`, dims, b)]) };
  },
  Rescaling: ({ g, cfg, base }, v) => {
    const scale = g.floatInit(`${base}/scale`, [], new Float32Array([cfg.scale as number]));
    const offset = g.floatInit(`${base}/offset`, [], new Float32Array([(cfg.offset as number) ?? 0]));
    return { ...v, name: g.op('Add', base, [g.op('Mul', base, [v.name, scale]), offset]) };
  },
};
