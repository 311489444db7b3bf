/**
 * The report of one training run (`contrastive train` writes it as
 * report.html in the run directory): what was trained, the per-epoch curves,
 * the validation histograms of the first, best and last epoch, the test ROC,
 * the embedding map and, for images, the neighbour grid.
 */
import type { EpochRecord } from 'contrastive/internal/train/index.js';
import type { ReportDocument, ReportSection } from './document.js';
import { embeddingSection, epochCurvesSection, epochHistogramsSection, readoutCurvesSection, verificationSection, type EmbeddingSectionInput } from './sections.js';

/** What {@link trainingReport} draws. @group Report */
export interface TrainingReportInput {
  /** One line: dataset, encoder, loss, ... */
  subtitle: string;
  /** Settings and results as name / value rows. */
  summary: Array<[string, string | number | null]>;
  history: EpochRecord[];
  bestEpoch: number;
  /** The untrained network's validation (epoch 0), when the run scored it. */
  untrained?: EpochRecord;
  /** The loss margin (null for a loss without one). */
  margin: number | null;
  /** The calibrated decision threshold. */
  threshold: number;
  /** Test pairs: their distances (or scores) and labels (0 similar, 1 dissimilar). */
  test: { distances: ArrayLike<number>; labels: ArrayLike<number>; accuracy?: number };
  /** Test embeddings, for the map and the neighbour grid (labelled data only). */
  embeddings?: EmbeddingSectionInput;
  /** When the report was made. Default now. */
  created?: string;
}

/** Builds the report document of a training run. @group Report */
export async function trainingReport(input: TrainingReportInput): Promise<ReportDocument> {
  const sections: ReportSection[] = [
    { heading: 'Run', blocks: [{ kind: 'table', columns: ['setting', 'value'], rows: input.summary.map(([k, v]) => [k, v]) }] },
    epochCurvesSection(input.history, input.bestEpoch),
  ];
  const readouts = readoutCurvesSection(input.history, input.bestEpoch, input.untrained);
  if (readouts) sections.push(readouts);
  const hist = epochHistogramsSection(input.history, input.bestEpoch, input.margin, input.threshold);
  if (hist) sections.push(hist);
  sections.push(verificationSection('Test pairs', input.test.distances, input.test.labels, { margin: input.margin, threshold: input.threshold, accuracy: input.test.accuracy }));
  if (input.embeddings) sections.push(await embeddingSection('Test embeddings', input.embeddings));
  return { title: 'Training report', subtitle: input.subtitle, sections, created: input.created ?? new Date().toISOString() };
}
