/**
 * The report's sections that several reports share: per-epoch curves and
 * histograms (training), verification on held-out pairs (ROC, histogram,
 * table), and the embedding map with the neighbour grid.
 */
import type { EpochRecord } from 'contrastive/internal/train/index.js';
import { distanceHistogram } from 'contrastive/internal/eval/distance-histogram.js';
import { verificationMetrics } from 'contrastive/internal/eval/verification.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import type { ExampleStore } from 'contrastive/internal/data/types.js';
import { histogramChart, lineChart, mapChart, rocChart, SIMILAR_COLOUR, DISSIMILAR_COLOUR, type Series } from './charts.js';
import { embeddingMap, type EmbeddingMapOptions } from './projection.js';
import { neighbourGrid, type NeighbourGridOptions } from './neighbour-grid.js';
import type { ReportBlock, ReportSection } from './document.js';

const points = (history: EpochRecord[], f: (r: EpochRecord) => number | undefined): Array<{ x: number; y: number }> =>
  history.map((r) => ({ x: r.epoch, y: f(r) ?? NaN })).filter((p) => Number.isFinite(p.y));

/** Curves over epochs, leaving out those with no value at all (a cross-entropy run has no validation contrastive loss). */
const curves = (series: Series[]): Series[] => series.filter((c) => c.points.length > 0);

/** Loss, validation and active-pair curves per epoch, and the collapse alarms raised. @group Report */
export function epochCurvesSection(history: EpochRecord[], bestEpoch: number): ReportSection {
  const blocks: ReportBlock[] = [];
  blocks.push({
    kind: 'chart',
    title: 'Loss per epoch',
    chart: lineChart(
      curves([
        { label: 'train loss (mean over steps)', points: points(history, (r) => r.trainLoss) },
        { label: 'validation loss (contrastive, validation pairs)', points: points(history, (r) => r.diagnostics?.loss), dashed: true },
      ]),
      'epoch',
      'loss',
      { integerX: true },
    ),
    note: `Best epoch (kept weights): ${bestEpoch}.`,
  });
  if (history.some((r) => r.validation)) {
    blocks.push({
      kind: 'chart',
      title: 'Validation per epoch',
      chart: lineChart(
        [
          { label: 'AUC', points: points(history, (r) => r.validation?.auc) },
          { label: 'accuracy (best threshold)', points: points(history, (r) => r.validation?.accuracy) },
          { label: 'EER', points: points(history, (r) => r.validation?.eer), dashed: true },
        ],
        'epoch',
        'value',
        { integerX: true, yMax: 1 },
      ),
    });
  }
  if (history.some((r) => r.diagnostics)) {
    blocks.push({
      kind: 'chart',
      title: 'Active pairs per epoch',
      chart: lineChart(
        [
          { label: 'dissimilar pairs inside the margin (D < m)', points: points(history, (r) => r.diagnostics?.activeNegativeFraction), colour: DISSIMILAR_COLOUR },
          { label: 'similar pairs at or beyond the margin (D >= m)', points: points(history, (r) => r.diagnostics?.positiveOutsideMarginFraction), colour: SIMILAR_COLOUR },
        ],
        'epoch',
        'share of validation pairs',
        { integerX: true, yMax: 1 },
      ),
      note: 'The dissimilar pairs the loss still pushes apart; near 0 the negatives stop teaching, near 1 the margin is too large for the distance scale.',
    });
    blocks.push({
      kind: 'chart',
      title: 'Mean distance per epoch',
      chart: lineChart(
        [
          { label: 'similar pairs', points: points(history, (r) => r.diagnostics?.meanPositive), colour: SIMILAR_COLOUR },
          { label: 'dissimilar pairs', points: points(history, (r) => r.diagnostics?.meanNegative), colour: DISSIMILAR_COLOUR },
        ],
        'epoch',
        'mean D (validation pairs)',
        { integerX: true },
      ),
    });
  }
  const alarms = history.filter((r) => r.alarm);
  if (alarms.length > 0) {
    for (const r of alarms) blocks.push({ kind: 'alarm', text: `Collapse alarm, epoch ${r.epoch}: ${r.alarm}` });
  } else if (history.some((r) => r.diagnostics)) {
    blocks.push({ kind: 'text', text: 'Collapse alarm: never raised (the mean similar and dissimilar validation distances never both fell below 5% of the margin, and no distance was NaN).' });
  }
  return { heading: 'Training', blocks };
}

/** Histograms of validation pair distances at the first, best and last epoch. @group Report */
export function epochHistogramsSection(history: EpochRecord[], bestEpoch: number, margin: number | null, threshold: number | null): ReportSection | null {
  const withHist = history.filter((r) => r.histogram);
  if (withHist.length === 0) return null;
  const picks: Array<{ what: string; r: EpochRecord }> = [];
  const add = (what: string, r: EpochRecord | undefined): void => {
    if (!r) return;
    const same = picks.find((p) => p.r === r);
    if (same) same.what += ` = ${what}`;
    else picks.push({ what, r });
  };
  add('first', withHist[0]);
  add('best', withHist.find((r) => r.epoch === bestEpoch));
  add('last', withHist[withHist.length - 1]);
  const xMax = Math.max(...picks.map((p) => p.r.histogram!.binWidth * p.r.histogram!.positive.length), margin ?? 0, threshold ?? 0);
  return {
    heading: 'Validation distances: first, best and last epoch',
    blocks: picks.map(({ what, r }) => ({
      kind: 'chart' as const,
      title: `Epoch ${r.epoch} (${what})`,
      chart: histogramChart(r.histogram!, { margin, threshold, xMax }),
      note:
        `AUC ${fmt(r.validation?.auc)}, mean D similar ${fmt(r.diagnostics?.meanPositive)}, dissimilar ${fmt(r.diagnostics?.meanNegative)}; ` +
        'dashed lines: the margin and the calibrated decision threshold.',
    })),
  };
}

const fmt = (x: number | undefined | null): string => (x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(3));

/** Held-out pair figures: the ROC with EER and TAR@FAR, the distance histogram, a table. @group Report */
export function verificationSection(heading: string, distances: ArrayLike<number>, labels: ArrayLike<number>, marks: { margin: number | null; threshold: number | null; accuracy?: number | null }): ReportSection {
  const vm = verificationMetrics(distances, labels);
  const blocks: ReportBlock[] = [
    {
      kind: 'table',
      caption: `${vm.positives + vm.negatives} pairs (${vm.positives} similar, ${vm.negatives} dissimilar)`,
      columns: ['AUC', 'EER', 'accuracy at threshold', 'threshold', 'TAR@FAR=1e-1', 'TAR@FAR=1e-2', 'TAR@FAR=1e-3'],
      rows: [[vm.auc, vm.eer, marks.accuracy ?? null, marks.threshold, vm.tarAtFar['1e-1'], vm.tarAtFar['1e-2'], vm.tarAtFar['1e-3']]],
    },
    { kind: 'chart', title: 'ROC', chart: rocChart(vm.roc, vm.eer, vm.tarAtFar), note: 'Accept a pair as "same" when D <= threshold. Red: the EER point; orange: TAR at FAR 1e-1, 1e-2, 1e-3.' },
  ];
  let min = Infinity;
  for (let k = 0; k < distances.length; k++) min = Math.min(min, distances[k]);
  // A cross-entropy head scores pairs by a negated logit, which is no distance: no histogram from 0.
  if (min >= 0) {
    const h = distanceHistogram(distances, labels, { bins: 50 });
    blocks.push({ kind: 'chart', title: 'Distances of the pairs', chart: histogramChart(h, { margin: marks.margin, threshold: marks.threshold }), note: 'Dashed lines: the margin and the decision threshold.' });
  }
  return { heading, blocks };
}

/** Inputs of {@link embeddingSection}. @group Report */
export interface EmbeddingSectionInput {
  embeddings: Float32Array;
  dim: number;
  labels: ArrayLike<number>;
  distance: DistanceName;
  /** The raw examples, for the neighbour grid of image data: float32 rows, or a store the grid reads its few images from (a streamed split decodes only those). */
  images?: { x: Float32Array | ExampleStore; inputShape: readonly number[] };
  classNames?: readonly string[];
  map?: EmbeddingMapOptions;
  grid?: NeighbourGridOptions;
}

/** The 2-D map of the embeddings coloured by class, and for image data the query / neighbour grid. @group Report */
export async function embeddingSection(heading: string, e: EmbeddingSectionInput): Promise<ReportSection> {
  const map = embeddingMap(e.embeddings, e.dim, e.map);
  const mapLabels = Array.from(map.rows, (r) => e.labels[r]);
  const blocks: ReportBlock[] = [
    {
      kind: 'chart',
      title: `Embedding map (${map.method === 'umap' ? 'UMAP' : 'PCA'}, ${map.rows.length === map.total ? map.total : `${map.rows.length} of ${map.total}`} examples)`,
      chart: mapChart(map.x, map.y, mapLabels, e.classNames),
      note: map.method === 'umap' ? 'UMAP (umap-js) of the embeddings; distances between clusters are not to scale.' : 'The two leading principal components of the embeddings.',
    },
  ];
  const shape = e.images?.inputShape;
  if (e.images && shape && shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) {
    const grid = await neighbourGrid(e.embeddings, e.dim, e.labels, e.images.x, shape, { distance: e.distance, classNames: e.classNames, ...e.grid });
    if (grid.length > 0) {
      blocks.push({ kind: 'grid', title: 'Queries and their nearest neighbours', rows: grid, note: 'Blue: the query; green: a neighbour of its class; red: of another class. d = distance to the query.' });
    }
  }
  return { heading, blocks };
}

/**
 * One validation curve per read-out candidate (`readouts` in the trainer), epoch 0
 * being the untrained network when it was scored; null when the run compared none.
 * @group Report
 */
export function readoutCurvesSection(history: EpochRecord[], bestEpoch: number, untrained?: EpochRecord): ReportSection | null {
  const rows = untrained ? [untrained, ...history] : history;
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.readouts ?? {})))];
  if (names.length === 0) return null;
  const kept = bestEpoch === 0 ? untrained : history[bestEpoch - 1];
  const table = rows.map((r) => [r.epoch, ...names.map((n) => (r.readouts?.[n] ? Number(r.readouts[n].auc.toFixed(4)) : null)), r.readout ?? null]);
  return {
    heading: 'Read-outs on validation',
    blocks: [
      {
        kind: 'chart',
        title: 'Validation AUC per epoch, by read-out',
        chart: lineChart(
          names.map((n) => ({ label: n, points: points(rows, (r) => r.readouts?.[n]?.auc) })),
          'epoch',
          'validation AUC',
          { integerX: true, yMax: 1, yMin: 0.5 },
        ),
        note: `Where embeddings are read: ${names.join(', ')}${untrained ? '; epoch 0 is the untrained network' : ''}. Kept: epoch ${bestEpoch}, read at ${kept?.readout ?? '?'}.`,
      },
      { kind: 'table', columns: ['epoch', ...names.map((n) => `AUC ${n}`), 'best'], rows: table },
    ],
  };
}
