/** Independent float64 plain-JS reference for the loss tests (no TF.js). */

export type Conv = 'hadsell' | 'tfa' | 'keras-io';
export type Dist = 'euclidean' | 'squaredEuclidean' | 'cosine';

export function refDistance(a: number[], b: number[], dist: Dist): number {
  if (dist === 'cosine') {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
    return 1 - ab / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return dist === 'squaredEuclidean' ? s : Math.sqrt(s);
}

/** Per-pair contrastive losses in float64. */
export function refContrastive(e1: number[][], e2: number[][], y: number[], margin: number, conv: Conv, dist: Dist): number[] {
  const similarLabel = conv === 'tfa' ? 1 : 0;
  const scale = conv === 'hadsell' ? 0.5 : 1;
  return e1.map((a, i) => {
    const D = refDistance(a, e2[i], dist);
    return y[i] === similarLabel ? scale * D * D : scale * Math.max(0, margin - D) ** 2;
  });
}

export function refTriplet(a: number[][], p: number[][], n: number[][], margin: number, dist: Dist): number[] {
  return a.map((x, i) => Math.max(0, refDistance(x, p[i], dist) - refDistance(x, n[i], dist) + margin));
}

/** Central finite-difference gradient of `f` with respect to every entry of `x` (float64). */
export function finiteDifference(f: (x: number[][]) => number, x: number[][], h = 1e-6): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < x[i].length; j++) {
      const keep = x[i][j];
      x[i][j] = keep + h;
      const up = f(x);
      x[i][j] = keep - h;
      const down = f(x);
      x[i][j] = keep;
      out.push((up - down) / (2 * h));
    }
  }
  return out;
}

/** Rows of float32-representable random values (so the float64 reference sees the same inputs as TF.js). */
export function randomRows(rand: () => number, n: number, d: number, scale = 1): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => Math.fround((rand() * 2 - 1) * scale)));
}

export const sum = (v: number[]): number => v.reduce((s, x) => s + x, 0);
