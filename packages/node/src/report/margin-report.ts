/**
 * The report of a margin sweep (`contrastive margin` writes it beside
 * sweep.json): the table, the scores and distances against the margin, each
 * margin's validation curve, and the validation distances at each margin's
 * best epoch with that margin drawn in.
 */
import type { ReportBlock, ReportDocument } from './document.js';
import { histogramChart, lineChart, SIMILAR_COLOUR, DISSIMILAR_COLOUR } from './charts.js';
import { readRunHistory } from './run-history.js';

/** The parts of a sweep result the report draws (the `marginSweep` result has them). @group Report */
export interface MarginReportInput {
  dataset: string;
  encoder: string;
  loss: string;
  normalize: boolean;
  seed: number;
  epochs: number;
  recommended: number;
  rule: string;
  ruleOfThumb: string;
  initialDistances: { meanPositive: number; meanNegative: number };
  rows: Array<{
    margin: number;
    runDir: string;
    validation: { auc: number; eer: number; mapAtR: number | null };
    test: { auc: number; eer: number; accuracy: number; mapAtR: number | null; precisionAt1: number | null };
    diagnostics: { meanPositive: number; meanNegative: number; activeNegativeFraction: number } | null;
    bestEpoch: number;
    trainSeconds: number;
    error?: string;
  }>;
}

/** Builds the report document of a margin sweep; each run's curves come from its history.json. @group Report */
export async function marginReport(result: MarginReportInput, created = new Date().toISOString()): Promise<ReportDocument> {
  const rows = [...result.rows].sort((a, b) => a.margin - b.margin);
  const histories = await Promise.all(rows.map((r) => readRunHistory(r.runDir)));
  const at = (f: (r: (typeof rows)[number]) => number | null | undefined): Array<{ x: number; y: number }> => rows.map((r) => ({ x: r.margin, y: f(r) ?? NaN }));
  const blocks: ReportBlock[] = [
    {
      kind: 'table',
      columns: ['margin', 'val AUC', 'val EER', 'val MAP@R', 'test AUC', 'test EER', 'test acc', 'test MAP@R', 'd+', 'd-', 'active-', 'train s'],
      rows: rows.map((r) => [
        r.margin === result.recommended ? `${r.margin} (recommended)` : r.error ? `${r.margin} (failed)` : String(r.margin),
        r.validation.auc,
        r.validation.eer,
        r.validation.mapAtR,
        r.test.auc,
        r.test.eer,
        r.test.accuracy,
        r.test.mapAtR,
        r.diagnostics?.meanPositive ?? null,
        r.diagnostics?.meanNegative ?? null,
        r.diagnostics?.activeNegativeFraction ?? null,
        r.trainSeconds.toFixed(1),
      ]),
    },
    { kind: 'text', text: `Recommended margin: ${result.recommended} (${result.rule}). Rule of thumb: ${result.ruleOfThumb}.` },
    {
      kind: 'chart',
      title: 'Scores against the margin',
      chart: lineChart(
        [
          { label: 'validation AUC', points: at((r) => r.validation.auc) },
          { label: 'validation MAP@R', points: at((r) => r.validation.mapAtR) },
          { label: 'test AUC', points: at((r) => r.test.auc), dashed: true },
          { label: 'test MAP@R', points: at((r) => r.test.mapAtR), dashed: true },
        ],
        'margin',
        'score',
        { yMax: 1 },
      ),
    },
    {
      kind: 'chart',
      title: 'Distances against the margin (validation, best epoch)',
      chart: lineChart(
        [
          { label: 'mean D similar', points: at((r) => r.diagnostics?.meanPositive), colour: SIMILAR_COLOUR },
          { label: 'mean D dissimilar', points: at((r) => r.diagnostics?.meanNegative), colour: DISSIMILAR_COLOUR },
          { label: 'share of dissimilar pairs with D < m', points: at((r) => r.diagnostics?.activeNegativeFraction), colour: '#444', dashed: true },
        ],
        'margin',
        'distance / share',
      ),
      note: `At initialisation: mean D similar ${result.initialDistances.meanPositive.toPrecision(3)}, dissimilar ${result.initialDistances.meanNegative.toPrecision(3)}.`,
    },
    {
      kind: 'chart',
      title: 'Validation AUC per epoch',
      chart: lineChart(
        histories.map((h, k) => ({ label: `margin ${rows[k].margin}`, points: (h ?? []).map((e) => ({ x: e.epoch, y: e.validation?.auc ?? NaN })) })),
        'epoch',
        'AUC',
        { integerX: true, yMax: 1 },
      ),
    },
  ];
  const distances: ReportBlock[] = [];
  rows.forEach((r, k) => {
    const best = histories[k]?.find((e) => e.epoch === r.bestEpoch);
    if (best?.histogram) {
      distances.push({ kind: 'chart', title: `margin ${r.margin}: epoch ${best.epoch} (best)`, chart: histogramChart(best.histogram, { margin: r.margin, threshold: best.validation?.threshold ?? null }), note: 'Validation pair distances; dashed: the margin and the best-accuracy threshold.' });
    }
  });
  const sections = [{ heading: 'Margins swept', blocks }];
  if (distances.length) sections.push({ heading: 'Validation distances at the best epoch', blocks: distances });
  return {
    title: 'Margin sweep',
    subtitle: `${result.dataset}, ${result.encoder} encoder, ${result.loss} loss, ${result.normalize ? 'L2-normalised' : 'unnormalised'} embeddings, ${result.epochs} epoch(s) per margin, seed ${result.seed}.`,
    sections,
    created,
  };
}
