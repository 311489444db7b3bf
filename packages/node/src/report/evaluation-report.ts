/**
 * The report of a bundle evaluated on a dataset split (`contrastive eval`
 * writes it beside the bundle): the figures, the ROC with EER and TAR@FAR,
 * the distance histogram with the bundle's threshold, the embedding map and,
 * for images, the neighbour grid.
 */
import type { ReportDocument, ReportSection } from './document.js';
import { embeddingSection, verificationSection, type EmbeddingSectionInput } from './sections.js';

/** What {@link evaluationReport} draws. @group Report */
export interface EvaluationReportInput {
  subtitle: string;
  /** Bundle, data and results as name / value rows. */
  summary: Array<[string, string | number | null]>;
  /** Pair distances (or scores) and labels (0 similar, 1 dissimilar). */
  distances: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** The bundle's threshold (null when it has none) and the accuracy there. */
  threshold: number | null;
  accuracy: number | null;
  /** The bundle's loss margin, when it has one. */
  margin: number | null;
  /** Retrieval figures as name / value rows (labelled data). */
  retrieval?: Array<[string, number]>;
  embeddings?: EmbeddingSectionInput;
  created?: string;
}

/** Builds the report document of a bundle evaluation. @group Report */
export async function evaluationReport(input: EvaluationReportInput): Promise<ReportDocument> {
  const sections: ReportSection[] = [
    { heading: 'Evaluation', blocks: [{ kind: 'table', columns: ['item', 'value'], rows: input.summary.map(([k, v]) => [k, v]) }] },
    verificationSection('Verification pairs', input.distances, input.labels, { margin: input.margin, threshold: input.threshold, accuracy: input.accuracy }),
  ];
  if (input.retrieval) {
    sections.push({ heading: 'Retrieval', blocks: [{ kind: 'table', columns: input.retrieval.map(([k]) => k), rows: [input.retrieval.map(([, v]) => v)] }] });
  }
  if (input.embeddings) sections.push(await embeddingSection('Embeddings', input.embeddings));
  return { title: 'Evaluation report', subtitle: input.subtitle, sections, created: input.created ?? new Date().toISOString() };
}
