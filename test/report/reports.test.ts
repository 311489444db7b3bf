import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainingReport } from '../../packages/node/src/report/training-report.js';
import { compareReport, type CompareReportInput } from '../../packages/node/src/report/compare-report.js';
import { marginReport, type MarginReportInput } from '../../packages/node/src/report/margin-report.js';
import { verificationMetrics } from '../../packages/contrastive/src/eval/verification.js';
import type { EpochRecord } from '../../packages/contrastive/src/train/index.js';
import type { ReportBlock, ReportDocument } from '../../packages/node/src/report/document.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

const hist = (shift: number): EpochRecord['histogram'] => ({ binWidth: 0.1, positive: [5, 3, 1, 0, 0], negative: [0, 0, 1 + shift, 3, 5] });
const diag = (loss: number): EpochRecord['diagnostics'] => ({
  margin: 0.5, pairCount: 18, positiveCount: 9, negativeCount: 9, nonFiniteCount: 0, meanPositive: 0.1, meanNegative: 0.35,
  activeNegativeFraction: 0.6, positiveOutsideMarginFraction: 0, positiveLoss: 0.01, negativeLoss: 0.02, loss,
});
const history: EpochRecord[] = [1, 2, 3].map((epoch) => ({
  epoch,
  trainLoss: 0.1 / epoch,
  seconds: 1,
  validation: { auc: 0.8 + epoch / 100, eer: 0.2, accuracy: 0.8, threshold: 0.25 },
  diagnostics: diag(0.05 / epoch),
  alarm: epoch === 3 ? 'embeddings collapsed: test alarm' : null,
  histogram: hist(epoch),
}));

const blocks = (doc: ReportDocument, heading: RegExp): ReportBlock[] => doc.sections.find((s) => heading.test(s.heading))?.blocks ?? [];
const charts = (b: ReportBlock[]): string[] => b.filter((x) => x.kind === 'chart').map((x) => (x as { title: string }).title);

/** Labelled test pairs whose similar ones sit closer. */
function testPairs(n: number): { distances: Float32Array; labels: Uint8Array } {
  const r = new Rng(4);
  const labels = Uint8Array.from({ length: n }, (_, k) => k % 2);
  const distances = Float32Array.from(labels, (y) => Math.abs(0.3 + 0.4 * y + r.normal() * 0.2));
  return { distances, labels };
}

test('trainingReport: curves, first/best/last histograms, the alarm, test ROC figures, map and neighbour grid', async () => {
  const t = testPairs(400);
  // 3 classes of 4x4 grey images whose embeddings cluster by class
  const r = new Rng(1);
  const n = 30;
  const labels = Int32Array.from({ length: n }, (_, k) => k % 3);
  const emb = Float32Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? labels[k >> 1] * 5 : 0) + r.normal() * 0.1);
  const x = Float32Array.from({ length: n * 16 }, () => r.next());
  const doc = await trainingReport({
    subtitle: 's',
    summary: [['dataset', 'synthetic']],
    history,
    bestEpoch: 2,
    margin: 0.5,
    threshold: 0.25,
    test: t,
    embeddings: { embeddings: emb, dim: 2, labels, distance: 'euclidean', images: { x, inputShape: [4, 4, 1] } },
  });
  assert.deepEqual(charts(blocks(doc, /^Training$/)), ['Loss per epoch', 'Validation per epoch', 'Active pairs per epoch', 'Mean distance per epoch']);
  assert.deepEqual(charts(blocks(doc, /first, best and last/)), ['Epoch 1 (first)', 'Epoch 2 (best)', 'Epoch 3 (last)']);
  const alarm = blocks(doc, /^Training$/).find((b) => b.kind === 'alarm');
  assert.ok(alarm && alarm.kind === 'alarm' && alarm.text.includes('epoch 3') && alarm.text.includes('test alarm'));
  const table = blocks(doc, /Test pairs/).find((b) => b.kind === 'table');
  const vm = verificationMetrics(t.distances, t.labels);
  assert.ok(table && table.kind === 'table');
  assert.equal(table.rows[0][0], vm.auc);
  assert.equal(table.rows[0][1], vm.eer);
  assert.deepEqual(charts(blocks(doc, /Test pairs/)), ['ROC', 'Distances of the pairs']);
  const emb2 = blocks(doc, /Test embeddings/);
  assert.match(charts(emb2)[0], /^Embedding map \(UMAP, 30 examples\)$/);
  const grid = emb2.find((b) => b.kind === 'grid');
  assert.ok(grid && grid.kind === 'grid');
  assert.equal(grid.rows.length, 8);
  for (const row of grid.rows) {
    assert.equal(row.length, 7, 'the query and 6 neighbours');
    assert.equal(row[0].mark, 'query');
    // clusters are apart: the nearest 6 of the 9 others of the class are all the same class
    assert.ok(row.slice(1).every((img) => img.mark === 'same'), JSON.stringify(row.map((i) => i.caption)));
  }
});

test('trainingReport: one epoch is first, best and last at once; no images, no grid; no alarm says so', async () => {
  const one = [{ ...history[0], alarm: null }];
  const doc = await trainingReport({
    subtitle: 's', summary: [], history: one, bestEpoch: 1, margin: 0.5, threshold: 0.25, test: testPairs(40),
    embeddings: { embeddings: new Float32Array(40), dim: 2, labels: Int32Array.from({ length: 20 }, (_, k) => k % 2), distance: 'euclidean' },
  });
  assert.deepEqual(charts(blocks(doc, /first, best and last/)), ['Epoch 1 (first = best = last)']);
  assert.ok(!blocks(doc, /Test embeddings/).some((b) => b.kind === 'grid'));
  assert.ok(blocks(doc, /^Training$/).some((b) => b.kind === 'text' && b.text.startsWith('Collapse alarm: never raised')));
});

test('compareReport and marginReport: tables, side-by-side curves from each run\'s history.json, best-epoch histograms', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'report-'));
  const runA = path.join(dir, 'a');
  await fs.mkdir(runA);
  await fs.writeFile(path.join(runA, 'history.json'), JSON.stringify(history));
  const row = { verification: { auc: 0.9, eer: 0.1, accuracy: 0.88, threshold: 0.3, pairs: 100 }, retrieval: { precisionAt1: 0.8, mapAtR: 0.5 }, epochs: 3, bestEpoch: 2, trainSeconds: 1.25 };
  const cmp: CompareReportInput = {
    dataset: 'd', encoder: 'mlp', normalize: true, seed: 1, evaluatedOn: 'the test split', budget: 'b',
    rows: [
      { ...row, loss: 'contrastive', miner: null, margin: 0.5, runDir: runA },
      { ...row, loss: 'cross-entropy', miner: null, margin: null, runDir: path.join(dir, 'missing') },
    ],
  };
  const c = await compareReport(cmp);
  const main = c.sections[0].blocks;
  const table = main[0];
  assert.ok(table.kind === 'table');
  assert.deepEqual(table.rows.map((r) => r[0]), ['contrastive', 'cross-entropy']);
  assert.deepEqual(charts(main), ['Scores side by side', 'Validation AUC per epoch', 'Train loss per epoch']);
  const auc = main.find((b) => b.kind === 'chart' && b.title === 'Validation AUC per epoch');
  assert.ok(auc && auc.kind === 'chart');
  assert.deepEqual((auc.chart.data.datasets[0].data as Array<{ y: number }>).map((p) => p.y), history.map((r) => r.validation!.auc));
  assert.deepEqual((auc.chart.data.datasets[1].data as unknown[]).length, 0, 'a run without history.json has an empty curve');
  assert.deepEqual(charts(c.sections[1].blocks), ['contrastive: epoch 2 (best)']);

  const sweep: MarginReportInput = {
    dataset: 'd', encoder: 'mlp', loss: 'contrastive', normalize: true, seed: 1, epochs: 3, recommended: 0.5, rule: 'r', ruleOfThumb: 't',
    initialDistances: { meanPositive: 0.7, meanNegative: 0.8 },
    rows: [
      { margin: 1, runDir: path.join(dir, 'missing'), validation: { auc: 0.8, eer: 0.2, mapAtR: 0.3 }, test: { auc: 0.8, eer: 0.2, accuracy: 0.7, mapAtR: 0.3, precisionAt1: 0.8 }, diagnostics: null, bestEpoch: 1, trainSeconds: 1 },
      { margin: 0.5, runDir: runA, validation: { auc: 0.9, eer: 0.1, mapAtR: 0.4 }, test: { auc: 0.9, eer: 0.1, accuracy: 0.8, mapAtR: 0.4, precisionAt1: 0.9 }, diagnostics: { meanPositive: 0.1, meanNegative: 0.4, activeNegativeFraction: 0.5 }, bestEpoch: 2, trainSeconds: 1 },
    ],
  };
  const m = await marginReport(sweep);
  const mt = m.sections[0].blocks[0];
  assert.ok(mt.kind === 'table');
  assert.deepEqual(mt.rows.map((r) => r[0]), ['0.5 (recommended)', '1'], 'sorted by margin, the recommended one marked');
  const hm = m.sections[1].blocks[0];
  assert.ok(hm.kind === 'chart' && hm.title === 'margin 0.5: epoch 2 (best)');
  assert.ok((hm.chart.data.datasets as Array<{ label: string }>).some((d) => d.label === 'margin 0.5'));
  await fs.rm(dir, { recursive: true });
});
