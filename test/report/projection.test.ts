import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddingMap } from '../../packages/node/src/report/projection.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

/** `k` clusters of `per` points in `dim` dimensions, well apart. */
function clusters(k: number, per: number, dim: number, seed: number): { e: Float32Array; labels: number[] } {
  const r = new Rng(seed);
  const e = new Float32Array(k * per * dim);
  const labels: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < per; i++) {
      const row = c * per + i;
      labels.push(c);
      for (let j = 0; j < dim; j++) e[row * dim + j] = (j === c ? 10 : 0) + r.normal() * 0.3;
    }
  }
  return { e, labels };
}

/** Share of points whose nearest other point in the map has their class. */
function mapPurity(x: Float64Array, y: Float64Array, labels: number[]): number {
  let good = 0;
  for (let i = 0; i < x.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < x.length; j++) {
      if (j === i) continue;
      const d = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2;
      if (d < bestD) [bestD, best] = [d, j];
    }
    if (labels[best] === labels[i]) good++;
  }
  return good / x.length;
}

test('embeddingMap: PCA finds the direction of largest spread', () => {
  // points on a line along (1, 1, 0, 0) plus small noise: the first axis orders them as t does
  const r = new Rng(1);
  const n = 50;
  const e = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const t = i / n;
    e.set([t * 5 + r.normal() * 0.01, t * 5 + r.normal() * 0.01, r.normal() * 0.01, r.normal() * 0.01], i * 4);
  }
  const m = embeddingMap(e, 4, { method: 'pca' });
  assert.equal(m.method, 'pca');
  const sign = Math.sign(m.x[n - 1] - m.x[0]);
  for (let i = 1; i < n; i++) assert.ok(sign * (m.x[i] - m.x[i - 1]) > 0, `x increases along the line at ${i}`);
  const spreadY = Math.max(...m.y) - Math.min(...m.y);
  const spreadX = Math.max(...m.x) - Math.min(...m.x);
  assert.ok(spreadY < spreadX / 50, `second axis holds only noise: ${spreadY} vs ${spreadX}`);
});

test('embeddingMap: UMAP for small sets keeps clusters apart, PCA beyond the limit; same seed, same map', () => {
  const { e, labels } = clusters(3, 30, 8, 2);
  const a = embeddingMap(e, 8, { seed: 5 });
  assert.equal(a.method, 'umap');
  assert.ok(mapPurity(a.x, a.y, labels) > 0.95, 'nearest neighbours in the map share the class');
  const b = embeddingMap(e, 8, { seed: 5 });
  assert.deepEqual(b.x, a.x);
  assert.deepEqual(b.y, a.y);
  const big = embeddingMap(e, 8, { umapLimit: 50 });
  assert.equal(big.method, 'pca');
  assert.ok(mapPurity(big.x, big.y, labels) > 0.95);
  const sub = embeddingMap(e, 8, { umapPoints: 40 });
  assert.equal(sub.method, 'umap');
  assert.equal(sub.rows.length, 40, 'UMAP maps a seeded subsample');
  assert.equal(sub.total, 90);
});

test('embeddingMap: subsamples to maxPoints and checks its input', () => {
  const { e } = clusters(2, 20, 4, 3);
  const m = embeddingMap(e, 4, { maxPoints: 10, method: 'pca' });
  assert.equal(m.rows.length, 10);
  assert.equal(m.total, 40);
  assert.equal(new Set(m.rows).size, 10);
  assert.throws(() => embeddingMap(new Float32Array(5), 4), /not a multiple of dim 4/);
  assert.throws(() => embeddingMap(Float32Array.from([0, NaN]), 2), /embeddings\[1\] is NaN/);
});
