/**
 * Times exact self-retrieval on synthetic clustered embeddings (default
 * 60,000 x 128, 10 classes, like MNIST's training set): knn with k = 10, and
 * retrievalMetrics (MAP@R needs each query's R ~ 6,000 nearest neighbours).
 *
 *   node --import tsx bench/retrieval.ts [--n 60000] [--dim 128] [--classes 10] [--backend wasm] [--skip-metrics]
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendChoice } from '../src/engine/backend.js';
import { knn, retrievalMetrics } from '../src/eval/index.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '60000' },
    dim: { type: 'string', default: '128' },
    classes: { type: 'string', default: '10' },
    backend: { type: 'string', default: 'wasm' },
    'skip-metrics': { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const dim = Number(values.dim);
const classes = Number(values.classes);
const backend = await initBackend(values.backend as BackendChoice);

const rng = new Rng(42);
const centres = Float32Array.from({ length: classes * dim }, () => rng.normal());
const x = new Float32Array(n * dim);
const labels = new Int32Array(n);
for (let i = 0; i < n; i++) {
  labels[i] = i % classes;
  for (let c = 0; c < dim; c++) x[i * dim + c] = centres[labels[i] * dim + c] + 0.12 * rng.normal();
}
console.log(`backend ${backend}, ${n} x ${dim}, ${classes} classes`);

let t = performance.now();
const nn = knn(x, x, 10, 'euclidean', { dim, excludeSelf: true });
console.log(`knn k=10 self-retrieval: ${((performance.now() - t) / 1000).toFixed(1)} s (first neighbour of row 0: ${nn.indices[0]})`);

if (!values['skip-metrics']) {
  t = performance.now();
  const m = retrievalMetrics(x, labels, { dim });
  console.log(`retrievalMetrics (R ~ ${Math.round(n / classes) - 1}): ${((performance.now() - t) / 1000).toFixed(1)} s`, JSON.stringify(m));
}
