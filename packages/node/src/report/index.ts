// Public API of src/report: the self-contained HTML report. Re-exports only.
export type { ReportDocument, ReportSection, ReportBlock, ChartConfig, GridImage } from './document.js';
export { renderReportHtml } from './html.js';
export { writeReport } from './write-report.js';
export { embeddingMap, type EmbeddingMap, type EmbeddingMapOptions } from './projection.js';
export { thumbnails, type ThumbnailOptions } from './thumbnails.js';
export { neighbourGrid, type NeighbourGridOptions } from './neighbour-grid.js';
export { histogramChart, lineChart, rocChart, mapChart, seriesColour, SIMILAR_COLOUR, DISSIMILAR_COLOUR, type Series, type Point } from './charts.js';
export { epochCurvesSection, epochHistogramsSection, verificationSection, embeddingSection, type EmbeddingSectionInput } from './sections.js';
export { trainingReport, type TrainingReportInput } from './training-report.js';
export { evaluationReport, type EvaluationReportInput } from './evaluation-report.js';
export { compareReport, type CompareReportInput } from './compare-report.js';
export { marginReport, type MarginReportInput } from './margin-report.js';
export { readRunHistory } from './run-history.js';
