/** The exact distance of two embedding rows in float64: what `knn` reports for the neighbours it keeps. */
import type { DistanceName } from '../distances/names.js';

/** Norms below this count as this (as the cosine distance of src/distances). */
const COSINE_EPS = 1e-8;

/** Exact distance between row qi of `q` and row ri of `r` in float64. */
export function exactDistance(q: Float32Array, qi: number, r: Float32Array, ri: number, dim: number, distance: DistanceName): number {
  const a = qi * dim;
  const b = ri * dim;
  if (distance === 'cosine') {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < dim; c++) {
      dot += q[a + c] * r[b + c];
      na += q[a + c] * q[a + c];
      nb += r[b + c] * r[b + c];
    }
    return 1 - dot / (Math.max(Math.sqrt(na), COSINE_EPS) * Math.max(Math.sqrt(nb), COSINE_EPS));
  }
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const diff = q[a + c] - r[b + c];
    s += diff * diff;
  }
  return distance === 'euclidean' ? Math.sqrt(s) : s;
}

