import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { renderReportHtml } from '../../packages/node/src/report/html.js';
import { writeReport } from '../../packages/node/src/report/write-report.js';
import { thumbnails } from '../../packages/node/src/report/thumbnails.js';
import { histogramChart } from '../../packages/node/src/report/charts.js';
import type { ReportDocument } from '../../packages/node/src/report/document.js';

const doc = (title: string): ReportDocument => ({
  title,
  subtitle: 'a <b>subtitle</b> & more',
  created: '2026-11-30T00:00:00Z',
  sections: [
    {
      heading: 'S',
      blocks: [
        { kind: 'table', columns: ['a', 'b'], rows: [['x</td>', 0.123456], ['y', null]] },
        { kind: 'chart', title: 'h', chart: histogramChart({ binWidth: 0.5, positive: [3, 1], negative: [0, 4] }, { margin: 0.5, threshold: 0.4 }) },
        { kind: 'alarm', text: 'collapsed </script><script>alert(1)</script>' },
      ],
    },
  ],
});

test('renderReportHtml: one self-contained file - Chart.js and the chart data inline, nothing fetched, text escaped', async () => {
  const html = await renderReportHtml(doc('T <i>'));
  assert.match(html, /Chart\.js v4/, 'the Chart.js library is inlined');
  assert.doesNotMatch(html, /<script[^>]+src=/i, 'no external script');
  assert.doesNotMatch(html, /<link[^>]+href=/i, 'no external stylesheet');
  assert.doesNotMatch(html, /https?:\/\/(?!www\.chartjs\.org)[^\s"')]+\.(js|css|png|woff2?)/i, 'no URL of a resource');
  assert.ok(html.includes('<title>T &lt;i&gt;</title>'));
  assert.ok(html.includes('x&lt;/td&gt;'));
  assert.ok(html.includes('0.1235'), 'numbers in tables with 4 decimals');
  // the only '</script' left are the three closing tags of the page's own script elements
  assert.equal(html.match(/<\/script/gi)!.length, 3);
  const json = html.match(/<script type="application\/json" id="report-charts">([^<]*)<\/script>/);
  assert.ok(json, 'chart data element');
  const charts = JSON.parse(json[1]) as Array<{ id: string; chart: { type: string; data: { datasets: Array<{ label: string }> } } }>;
  assert.equal(charts.length, 1);
  assert.equal(charts[0].id, 'chart-0');
  assert.ok(html.includes('<canvas id="chart-0"'));
  assert.deepEqual(charts[0].chart.data.datasets.map((d) => d.label), ['similar pairs', 'dissimilar pairs', 'margin 0.5', 'threshold 0.4']);
});

test('histogramChart: shares per kind (unbalanced counts compare), margin and threshold as vertical lines', () => {
  const c = histogramChart({ binWidth: 0.5, positive: [3, 1], negative: [0, 4] }, { margin: 1, threshold: 0.6 });
  const [pos, neg, margin, threshold] = c.data.datasets as Array<{ data: Array<{ x: number; y: number }> }>;
  assert.deepEqual(pos.data, [{ x: 0.25, y: 0.75 }, { x: 0.75, y: 0.25 }]);
  assert.deepEqual(neg.data, [{ x: 0.25, y: 0 }, { x: 0.75, y: 1 }]);
  assert.deepEqual(margin.data.map((p) => p.x), [1, 1]);
  assert.deepEqual(threshold.data.map((p) => p.x), [0.6, 0.6]);
});

test('writeReport: written atomically, no temporary file left', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'report-'));
  const file = path.join(dir, 'r.html');
  const bytes = await writeReport(file, doc('T'));
  assert.equal((await fs.stat(file)).size, bytes);
  assert.deepEqual(await fs.readdir(dir), ['r.html']);
  await fs.rm(dir, { recursive: true });
});

test('thumbnails: PNG data URLs of the right pixels, shrunk to maxSide, cut off at the byte budget', async () => {
  // two 4x2 grey images: row 0 a ramp, row 1 all white
  const x = Float32Array.from([0, 0.25, 0.5, 1, 1, 0.5, 0.25, 0, ...new Array(8).fill(1)]);
  const [a, b] = await thumbnails(x, [2, 4, 1], [0, 1]);
  assert.ok(a && b);
  assert.match(a, /^data:image\/png;base64,/);
  const raw = await sharp(Buffer.from(a.split(',')[1], 'base64')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([raw.info.width, raw.info.height], [4, 2]);
  assert.deepEqual([...raw.data].filter((_, k) => k % raw.info.channels === 0), [0, 64, 128, 255, 255, 128, 64, 0]);
  const small = await thumbnails(new Float32Array(100 * 100), [100, 100, 1], [0], { maxSide: 10 });
  const info = await sharp(Buffer.from(small[0]!.split(',')[1], 'base64')).metadata();
  assert.deepEqual([info.width, info.height], [10, 10]);
  const cut = await thumbnails(x, [2, 4, 1], [0, 1, 0], { budgetBytes: a.length + 10 });
  assert.deepEqual(cut.map((u) => u !== null), [true, false, false]);
  await assert.rejects(thumbnails(x, [8], [0]), /image examples \[height, width, channels\]/);
  await assert.rejects(thumbnails(x, [2, 4, 1], [2]), /row 2 is out of range \(the set has 2 examples\)/);
});
