/**
 * The report of a loss comparison (`contrastive compare` writes it beside
 * compare.json): the table, the scores side by side, each loss's validation
 * curves, and the validation distances at each loss's best epoch.
 */
import type { EpochRecord } from 'contrastive/internal/train/index.js';
import type { ReportBlock, ReportDocument } from './document.js';
import { histogramChart, lineChart, seriesColour } from './charts.js';
import { readRunHistory } from './run-history.js';

/** The parts of a comparison result the report draws (the `compareLosses` result has them). @group Report */
export interface CompareReportInput {
  dataset: string;
  encoder: string;
  normalize: boolean;
  seed: number;
  evaluatedOn: string;
  budget: string;
  rows: Array<{
    loss: string;
    miner: string | null;
    margin: number | null;
    runDir: string;
    verification: { auc: number; eer: number; accuracy: number; threshold: number; pairs: number };
    retrieval: { precisionAt1: number; mapAtR: number } | null;
    epochs: number;
    bestEpoch: number;
    trainSeconds: number;
  }>;
}

/** Builds the report document of a loss comparison; each run's curves come from its history.json. @group Report */
export async function compareReport(result: CompareReportInput, created = new Date().toISOString()): Promise<ReportDocument> {
  const histories = await Promise.all(result.rows.map((r) => readRunHistory(r.runDir)));
  const names = result.rows.map((r) => (r.miner ? `${r.loss} (${r.miner})` : r.loss));
  const scores: ReportBlock = {
    kind: 'chart',
    title: 'Scores side by side',
    chart: {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          { label: 'AUC', data: result.rows.map((r) => r.verification.auc) },
          { label: 'accuracy', data: result.rows.map((r) => r.verification.accuracy) },
          { label: 'P@1', data: result.rows.map((r) => r.retrieval?.precisionAt1 ?? null) },
          { label: 'MAP@R', data: result.rows.map((r) => r.retrieval?.mapAtR ?? null) },
        ].map((d, k) => ({ ...d, backgroundColor: seriesColour(k) })),
      },
      options: { scales: { y: { min: 0, max: 1 } }, plugins: { legend: { position: 'bottom' } } },
    },
    note: `Scored on ${result.evaluatedOn}.`,
  };
  const curve = (f: (r: EpochRecord) => number | undefined): Array<{ label: string; points: Array<{ x: number; y: number }> }> =>
    histories.map((h, k) => ({ label: names[k], points: (h ?? []).map((r) => ({ x: r.epoch, y: f(r) ?? NaN })) }));
  const blocks: ReportBlock[] = [
    {
      kind: 'table',
      columns: ['loss', 'miner', 'margin', 'AUC', 'EER', 'accuracy', 'P@1', 'MAP@R', 'epochs', 'best epoch', 'train s'],
      rows: result.rows.map((r) => [
        r.loss,
        r.miner ?? '-',
        r.margin === null ? '-' : String(r.margin),
        r.verification.auc,
        r.verification.eer,
        r.verification.accuracy,
        r.retrieval?.precisionAt1 ?? null,
        r.retrieval?.mapAtR ?? null,
        r.epochs,
        r.bestEpoch,
        r.trainSeconds.toFixed(1),
      ]),
    },
    scores,
    { kind: 'chart', title: 'Validation AUC per epoch', chart: lineChart(curve((r) => r.validation?.auc), 'epoch', 'AUC', { integerX: true, yMax: 1 }) },
    { kind: 'chart', title: 'Train loss per epoch', chart: lineChart(curve((r) => r.trainLoss), 'epoch', 'loss', { integerX: true }), note: 'Each loss on its own scale: compare shapes, not heights.' },
  ];
  const distances: ReportBlock[] = [];
  result.rows.forEach((r, k) => {
    const best = histories[k]?.find((e) => e.epoch === r.bestEpoch);
    if (best?.histogram) {
      distances.push({ kind: 'chart', title: `${names[k]}: epoch ${best.epoch} (best)`, chart: histogramChart(best.histogram, { margin: r.margin, threshold: null }), note: 'Validation pair distances; dashed: the margin.' });
    }
  });
  const sections = [{ heading: 'Losses compared', blocks }];
  if (distances.length) sections.push({ heading: 'Validation distances at the best epoch', blocks: distances });
  return {
    title: 'Loss comparison',
    subtitle: `${result.dataset}, ${result.encoder} encoder, ${result.normalize ? 'L2-normalised' : 'unnormalised'} embeddings, seed ${result.seed}. Budget: ${result.budget}.`,
    sections,
    created,
  };
}
