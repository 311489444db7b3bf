/**
 * Chart.js configurations (plain JSON) for the report's pictures: distance
 * histograms with the margin and threshold drawn in, per-epoch curves, the ROC
 * with its EER point and TAR@FAR marks, and the 2-D embedding map.
 */
import type { DistanceHistogram } from 'contrastive/internal/eval/distance-histogram.js';
import type { RocCurve } from 'contrastive/internal/eval/verification.js';
import type { ChartConfig } from './document.js';

/** Colour of similar pairs (label 0). @group Report */
export const SIMILAR_COLOUR = '#2e9d4b';
/** Colour of dissimilar pairs (label 1). @group Report */
export const DISSIMILAR_COLOUR = '#d03b2f';
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The colour of series or class `k`: ten distinct ones, then evenly spread hues. @group Report */
export function seriesColour(k: number): string {
  return k < PALETTE.length ? PALETTE[k] : `hsl(${(k * 137.508) % 360}, 65%, 45%)`;
}

/** A point of a chart series. @group Report */
export type Point = { x: number; y: number };

function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'linear', title: { display: true, text: title }, ...extra };
}

/** A vertical marker line from y = 0 to `top` at `x`, as a line dataset. */
function verticalLine(label: string, x: number, top: number, colour: string): Record<string, unknown> {
  return { label, data: [{ x, y: 0 }, { x, y: top }], borderColor: colour, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false };
}

/** Line series sharing an x axis. @group Report */
export interface Series {
  label: string;
  points: Point[];
  colour?: string;
  dashed?: boolean;
}

/** Curves over a common x axis (epochs, margins); y from 0 unless `yMin` says otherwise. @group Report */
export function lineChart(series: Series[], xTitle: string, yTitle: string, options: { yMin?: number; yMax?: number; integerX?: boolean } = {}): ChartConfig {
  return {
    type: 'line',
    data: {
      datasets: series.map((s, k) => ({
        label: s.label,
        data: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
        borderColor: s.colour ?? seriesColour(k),
        backgroundColor: s.colour ?? seriesColour(k),
        borderDash: s.dashed ? [6, 4] : undefined,
        pointRadius: 2.5,
        borderWidth: 2,
        fill: false,
      })),
    },
    options: {
      parsing: false,
      scales: {
        x: axis(xTitle, options.integerX ? { ticks: { precision: 0 } } : {}),
        y: axis(yTitle, { ...(options.yMin !== undefined ? { min: options.yMin } : { beginAtZero: true }), ...(options.yMax !== undefined ? { max: options.yMax } : {}) }),
      },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

/**
 * Similar and dissimilar distance distributions (share of each kind per bin, so
 * unbalanced counts compare), with the margin and the decision threshold as
 * dashed vertical lines.
 * @group Report
 */
export function histogramChart(h: DistanceHistogram, marks: { margin?: number | null; threshold?: number | null; xMax?: number }): ChartConfig {
  const nPos = h.positive.reduce((a, b) => a + b, 0) || 1;
  const nNeg = h.negative.reduce((a, b) => a + b, 0) || 1;
  const pos = h.positive.map((c, k) => ({ x: (k + 0.5) * h.binWidth, y: c / nPos }));
  const neg = h.negative.map((c, k) => ({ x: (k + 0.5) * h.binWidth, y: c / nNeg }));
  const top = Math.max(0.01, ...pos.map((p) => p.y), ...neg.map((p) => p.y)) * 1.05;
  const datasets: Array<Record<string, unknown>> = [
    { label: 'similar pairs', data: pos, borderColor: SIMILAR_COLOUR, backgroundColor: 'rgba(46,157,75,0.25)', stepped: 'middle', fill: true, pointRadius: 0, borderWidth: 1.5 },
    { label: 'dissimilar pairs', data: neg, borderColor: DISSIMILAR_COLOUR, backgroundColor: 'rgba(208,59,47,0.25)', stepped: 'middle', fill: true, pointRadius: 0, borderWidth: 1.5 },
  ];
  if (marks.margin != null && Number.isFinite(marks.margin)) datasets.push(verticalLine(`margin ${round(marks.margin)}`, marks.margin, top, '#444'));
  if (marks.threshold != null && Number.isFinite(marks.threshold)) datasets.push(verticalLine(`threshold ${round(marks.threshold)}`, marks.threshold, top, '#3b6fd8'));
  const xMax = marks.xMax ?? Math.max(h.binWidth * h.positive.length, (marks.margin ?? 0) * 1.05, (marks.threshold ?? 0) * 1.05);
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: { x: axis('distance D', { min: 0, max: xMax }), y: axis('share of pairs', { beginAtZero: true, max: top }) },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

const round = (x: number): string => String(Number(x.toPrecision(3)));

/** FAR grid of the ROC drawn on a log axis: 1e-4 .. 1. */
function farGrid(points = 160): number[] {
  return Array.from({ length: points }, (_, k) => 10 ** (-4 + (4 * k) / (points - 1)));
}

/**
 * The ROC (TAR against FAR, FAR on a log axis from 1e-4), the EER point and
 * the TAR@FAR marks. The curve is the step function of the full ROC sampled on
 * a log grid, so the file stays small whatever the number of pairs.
 * @group Report
 */
export function rocChart(roc: RocCurve, eer: number, tarAtFar: Record<string, number>): ChartConfig {
  const curve: Point[] = [];
  let i = 0;
  let best = 0;
  for (const g of farGrid()) {
    while (i < roc.fpr.length && roc.fpr[i] <= g) best = Math.max(best, roc.tpr[i++]);
    curve.push({ x: g, y: best });
  }
  const marks = Object.entries(tarAtFar)
    .map(([far, tar]) => ({ x: Number(far), y: tar }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const datasets: Array<Record<string, unknown>> = [
    { label: 'ROC', data: curve, borderColor: '#1f77b4', pointRadius: 0, borderWidth: 2, fill: false, stepped: 'before' },
    { label: 'TAR @ FAR', data: marks, type: 'scatter', borderColor: '#ff7f0e', backgroundColor: '#ff7f0e', pointRadius: 5, pointStyle: 'rectRot', showLine: false },
  ];
  if (Number.isFinite(eer) && eer > 0) {
    datasets.push({ label: `EER ${round(eer)}`, data: [{ x: Math.max(1e-4, eer), y: 1 - eer }], type: 'scatter', borderColor: '#d03b2f', backgroundColor: '#d03b2f', pointRadius: 6, showLine: false });
  }
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: { type: 'logarithmic', min: 1e-4, max: 1, ticks: { maxRotation: 0, autoSkipPadding: 24 }, title: { display: true, text: 'FAR (false accept rate, log scale)' } },
        y: axis('TAR (true accept rate)', { min: 0, max: 1 }),
      },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

/** A scatter plot of 2-D points, one colour per class. @group Report */
export function mapChart(x: ArrayLike<number>, y: ArrayLike<number>, labels: ArrayLike<number>, classNames?: readonly string[]): ChartConfig {
  const byClass = new Map<number, Point[]>();
  for (let k = 0; k < labels.length; k++) {
    const c = labels[k];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push({ x: round4(x[k]), y: round4(y[k]) });
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  return {
    type: 'scatter',
    data: {
      datasets: classes.map((c, k) => ({
        label: classNames?.[c] ?? `class ${c}`,
        data: byClass.get(c),
        backgroundColor: seriesColour(k),
        borderColor: seriesColour(k),
        pointRadius: 2,
      })),
    },
    options: {
      parsing: false,
      scales: { x: { type: 'linear', ticks: { display: false } }, y: { type: 'linear', ticks: { display: false } } },
      plugins: { legend: { position: 'right' } },
    },
  };
}

// Coordinates need no more than 4 significant digits on a screen; it keeps the file small.
const round4 = (v: number): number => Number(v.toPrecision(4));
