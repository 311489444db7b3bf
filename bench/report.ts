/**
 * What the HTML report costs on a trained bundle: the 2-D map of the test
 * embeddings by UMAP (umap-js) beside PCA (the reference: what large sets get),
 * the neighbour grid, and `evaluateBundle` on the test split with and without
 * the report. Ends with one JSON line.
 *
 *   node --conditions=contrastive-source --import tsx bench/report.ts --model runs/<run>/model [--dataset mnist]
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { initBackend } from '../packages/node/src/engine/backend.js';
import { openBundle, bundleSplit, evaluateBundle } from '../packages/cli/src/jobs/evaluate-bundle.js';
import { toModelInput } from '../packages/contrastive/src/models/model-input.js';
import { embeddingMap, neighbourGrid } from '../packages/node/src/report/index.js';
import type { LabelledDataset } from '../packages/contrastive/src/data/types.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const model = opt('model');
if (!model) throw new Error('bench/report.ts: --model DIR is required (the model/ folder of a training run)');
const dataset = opt('dataset') ?? 'mnist';

await initBackend('wasm');
const bundle = await openBundle(model);
const { data } = await bundleSplit(bundle, dataset, 'test');
const test = data as LabelledDataset;
const emb = await bundle.network.embedBatched(toModelInput(test.x, bundle.manifest.input.preprocessing));
const dim = bundle.network.embeddingDim;
const time = async (f: () => unknown): Promise<number> => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};
const umap = await time(() => embeddingMap(emb, dim, { method: 'umap' }));
const pca = await time(() => embeddingMap(emb, dim, { method: 'pca' }));
const grid = await time(() => neighbourGrid(emb, dim, test.labels, test.x, test.inputShape));
const file = path.join(os.tmpdir(), `bench-report-${process.pid}.html`);
const plain = await time(() => evaluateBundle(bundle, dataset));
const withReport = await time(() => evaluateBundle(bundle, dataset, { report: file }));
const bytes = (await fs.stat(file)).size;
await fs.rm(file);
const points = { umap: Math.min(1000, test.labels.length), pca: Math.min(5000, test.labels.length) };
const load = os.loadavg()[0];
console.log(`report on ${test.labels.length} test examples of ${dataset} (${dim}-d embeddings), load average ${load.toFixed(1)} on ${os.cpus().length} cores`);
console.log(`  map: UMAP of ${points.umap} points ${umap.toFixed(2)} s, PCA (reference) of ${points.pca} points ${pca.toFixed(2)} s`);
console.log(`  neighbour grid (8 queries x 6): ${grid.toFixed(2)} s`);
console.log(`  evaluateBundle: ${plain.toFixed(2)} s without the report, ${withReport.toFixed(2)} s with it (${Math.round(bytes / 1024)} KB)`);
console.log(JSON.stringify({ bench: 'report', points, umapSeconds: umap, pcaSeconds: pca, gridSeconds: grid, evalSeconds: plain, evalWithReportSeconds: withReport, reportBytes: bytes, load }));
bundle.network.dispose();
