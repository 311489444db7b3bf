/**
 * Draws a {@link ReportDocument} as one self-contained HTML file: Chart.js and
 * the chart data are inlined, images are data URLs, nothing is fetched, so the
 * file opens offline from disk. Tables, alarms and image grids are plain HTML;
 * charts are drawn by Chart.js on canvases when the page loads.
 */
import { finiteOrNull } from 'contrastive/internal/util/format.js';
import { chartLibrarySource } from './chart-library.js';
import type { ReportBlock, ReportDocument } from './document.js';

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON that is safe inside a `<script>` element (no '<', non-finite numbers as null). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value, finiteOrNull).replace(/</g, '\\u003c');
}

function cell(v: string | number | null): string {
  if (v === null) return '-';
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : '-';
  return escapeHtml(v);
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
header { background: #1d2433; color: #fff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #c5cbd6; }
main { padding: 8px 28px 28px; }
section { margin-top: 22px; }
h2 { font-size: 18px; margin: 0 0 10px; border-bottom: 1px solid #d6dae1; padding-bottom: 4px; }
.blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
.wide { grid-column: 1 / -1; }
figure { margin: 0; background: #fff; border: 1px solid #d6dae1; border-radius: 6px; padding: 10px 12px; }
figure h3 { font-size: 14px; margin: 0 0 6px; }
figcaption { color: #5b6475; font-size: 12px; margin-top: 6px; }
.chart { position: relative; height: 280px; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d6dae1; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef0f4; }
.alarm { background: #fdecea; border: 1px solid #e0a19a; color: #7a1c12; border-radius: 6px; padding: 8px 12px; }
.text { color: #39414f; }
.grid-row { display: flex; gap: 6px; align-items: flex-start; margin-bottom: 6px; }
.thumb { text-align: center; font-size: 11px; color: #5b6475; }
.thumb img { display: block; width: 56px; height: 56px; image-rendering: pixelated; border: 3px solid #bbb; border-radius: 3px; }
.thumb.query img { border-color: #3b6fd8; }
.thumb.same img { border-color: #2e9d4b; }
.thumb.other img { border-color: #d03b2f; }
.grid-row .sep { width: 10px; }
footer { color: #8a92a3; font-size: 12px; padding: 0 28px 20px; }
`;

function blockHtml(b: ReportBlock, chartIds: Map<ReportBlock, string>): string {
  switch (b.kind) {
    case 'text':
      return `<p class="text wide">${escapeHtml(b.text)}</p>`;
    case 'alarm':
      return `<div class="alarm wide" role="alert">${escapeHtml(b.text)}</div>`;
    case 'table': {
      const head = `<tr>${b.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
      const body = b.rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('\n');
      const caption = b.caption ? `<h3>${escapeHtml(b.caption)}</h3>` : '';
      return `<figure class="wide">${caption}<table>${head}\n${body}</table></figure>`;
    }
    case 'chart': {
      const id = chartIds.get(b)!;
      const note = b.note ? `<figcaption>${escapeHtml(b.note)}</figcaption>` : '';
      return `<figure><h3>${escapeHtml(b.title)}</h3><div class="chart"><canvas id="${id}" aria-label="${escapeHtml(b.title)}"></canvas></div>${note}</figure>`;
    }
    case 'grid': {
      const rows = b.rows
        .map(
          (row) =>
            `<div class="grid-row">${row
              .map((img, k) => `${k === 1 ? '<span class="sep"></span>' : ''}<div class="thumb ${img.mark}"><img src="${img.src}" alt="${escapeHtml(img.caption)}">${escapeHtml(img.caption)}</div>`)
              .join('')}</div>`,
        )
        .join('\n');
      const note = b.note ? `<figcaption>${escapeHtml(b.note)}</figcaption>` : '';
      return `<figure class="wide"><h3>${escapeHtml(b.title)}</h3>${rows}${note}</figure>`;
    }
  }
}

/**
 * The report as one HTML document. Every chart's canvas gets the id
 * `chart-<n>`; once drawn, `document.body.dataset.charts` holds their count
 * (what the browser test waits for).
 * @group Report
 */
export async function renderReportHtml(doc: ReportDocument): Promise<string> {
  const chartIds = new Map<ReportBlock, string>();
  const charts: Array<{ id: string; chart: unknown }> = [];
  for (const s of doc.sections) {
    for (const b of s.blocks) {
      if (b.kind !== 'chart') continue;
      const id = `chart-${charts.length}`;
      chartIds.set(b, id);
      charts.push({ id, chart: b.chart });
    }
  }
  const sections = doc.sections
    .map((s) => `<section><h2>${escapeHtml(s.heading)}</h2><div class="blocks">\n${s.blocks.map((b) => blockHtml(b, chartIds)).join('\n')}\n</div></section>`)
    .join('\n');
  const library = await chartLibrarySource();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(doc.title)}</h1><p>${escapeHtml(doc.subtitle)}</p></header>
<main>
${sections}
</main>
<footer>Made by contrastive on ${escapeHtml(doc.created)}. Labels: 0 = similar pair, 1 = dissimilar pair; D = Euclidean distance between embeddings unless stated.</footer>
<script>${library}</script>
<script type="application/json" id="report-charts">${scriptJson(charts)}</script>
<script>
(function () {
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var specs = JSON.parse(document.getElementById('report-charts').textContent);
  var drawn = 0;
  // JSON holds no functions: label a log axis at powers of ten only, here.
  var decades = function (v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9 ? String(v) : ''; };
  specs.forEach(function (s) {
    var x = s.chart.options && s.chart.options.scales && s.chart.options.scales.x;
    if (x && x.type === 'logarithmic') { x.ticks = x.ticks || {}; x.ticks.callback = decades; }
    try { new Chart(document.getElementById(s.id), s.chart); drawn++; }
    catch (e) { console.error('chart ' + s.id + ': ' + e); }
  });
  document.body.dataset.charts = String(drawn);
})();
</script>
</body>
</html>
`;
}
