/**
 * Times exact self-retrieval on synthetic clustered embeddings (default
 * 60,000 x 128, 10 classes, like MNIST's training set): knn with k = 10, and
 * retrievalMetrics (MAP@R needs each query's R ~ 6,000 nearest neighbours),
 * on each score engine asked for (onnxruntime-node's MLAS GEMM, TF.js matMul on
 * the given backend). Each is run --repeat times; best and median are printed
 * (the machine may be shared: the median says more than one run).
 *
 *   node --conditions=contrastive-source --import tsx bench/retrieval.ts [--n 60000] [--dim 128] [--classes 10] [--noise 0.12]
 *     [--engine onnxruntime,tfjs] [--backend wasm] [--repeat 3] [--skip-metrics]
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendChoice } from '../packages/node/src/engine/backend.js';
import { knn, retrievalMetrics, type KnnEngine } from '../packages/contrastive/src/eval/index.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '60000' },
    dim: { type: 'string', default: '128' },
    classes: { type: 'string', default: '10' },
    noise: { type: 'string', default: '0.12' },
    engine: { type: 'string', default: 'onnxruntime,tfjs' },
    backend: { type: 'string', default: 'wasm' },
    repeat: { type: 'string', default: '3' },
    'skip-metrics': { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const dim = Number(values.dim);
const classes = Number(values.classes);
const noise = Number(values.noise);
const repeat = Number(values.repeat);
const engines = values.engine.split(',') as KnnEngine[];
const backend = await initBackend(values.backend as BackendChoice);

const rng = new Rng(42);
const centres = Float32Array.from({ length: classes * dim }, () => rng.normal());
const x = new Float32Array(n * dim);
const labels = new Int32Array(n);
for (let i = 0; i < n; i++) {
  labels[i] = i % classes;
  for (let c = 0; c < dim; c++) x[i * dim + c] = centres[labels[i] * dim + c] + noise * rng.normal();
}
console.log(`${n} x ${dim}, ${classes} classes, noise ${noise}; TF.js backend ${backend}; ${repeat} runs each`);

/** Runs `f` `repeat` times; returns the last result and prints best / median seconds. */
function time<T>(what: string, f: () => T): T {
  const seconds: number[] = [];
  let result: T | undefined;
  for (let r = 0; r < repeat; r++) {
    const t = performance.now();
    result = f();
    seconds.push((performance.now() - t) / 1000);
  }
  seconds.sort((a, b) => a - b);
  const median = seconds[Math.floor((seconds.length - 1) / 2)];
  console.log(`${what}: best ${seconds[0].toFixed(2)} s, median ${median.toFixed(2)} s (runs: ${seconds.map((s) => s.toFixed(2)).join(', ')})`);
  return result as T;
}

for (const engine of engines) {
  const nn = time(`[${engine}] knn k=10 self-retrieval`, () => knn(x, x, 10, 'euclidean', { dim, excludeSelf: true, engine }));
  console.log(`  first neighbours of row 0: ${Array.from(nn.indices.subarray(0, 5)).join(' ')}`);
  if (!values['skip-metrics']) {
    const m = time(`[${engine}] retrievalMetrics (R ~ ${Math.round(n / classes) - 1})`, () => retrievalMetrics(x, labels, { dim, engine }));
    console.log(`  ${JSON.stringify(m)}`);
  }
}
