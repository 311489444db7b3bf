/** The report's read-out section: one validation curve per candidate, epoch 0 for the untrained network, and the one kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readoutCurvesSection } from '../../packages/node/src/report/sections.js';
import type { EpochRecord } from '../../packages/contrastive/src/train/index.js';

const v = (auc: number) => ({ auc, eer: 1 - auc, accuracy: auc, threshold: 0.5 });
const row = (epoch: number, out: number, under: number): EpochRecord => ({
  epoch,
  trainLoss: 0.1,
  seconds: 1,
  readouts: { output: v(out), 'under-head': v(under) },
  readout: out >= under ? 'output' : 'under-head',
  validation: v(Math.max(out, under)),
});

test('readoutCurvesSection: a curve per read-out from epoch 0, a table, and the kept epoch and read-out named', () => {
  const s = readoutCurvesSection([row(1, 0.7, 0.8), row(2, 0.75, 0.78)], 1, row(0, 0.72, 0.74));
  assert.ok(s);
  const chart = s.blocks[0];
  assert.equal(chart.kind, 'chart');
  const data = (chart as unknown as { chart: { data: { datasets: Array<{ label: string; data: Array<{ x: number; y: number }> }> } } }).chart.data.datasets;
  assert.deepEqual(data.map((d) => d.label), ['output', 'under-head']);
  assert.deepEqual(data[1].data.map((p) => p.x), [0, 1, 2]);
  assert.match((chart as { note: string }).note, /epoch 0 is the untrained network\. Kept: epoch 1, read at under-head/);
  const table = s.blocks[1] as { rows: unknown[][] };
  assert.deepEqual(table.rows[0], [0, 0.72, 0.74, 'under-head']);
  // a run that compared no read-outs has no such section
  assert.equal(readoutCurvesSection([{ epoch: 1, trainLoss: 0.1, seconds: 1 }], 1), null);
});
