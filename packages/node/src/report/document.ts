/**
 * What a report holds, independent of how it is drawn: sections of tables,
 * charts (Chart.js configurations, plain JSON), alarms, notes and image grids.
 * Builders (training, eval, compare, margin) make one; `renderReportHtml` draws it.
 */

/** A Chart.js chart configuration: plain JSON (no functions), so it can be inlined as data. @group Report */
export interface ChartConfig {
  type: 'line' | 'scatter' | 'bar';
  data: { labels?: Array<string | number>; datasets: Array<Record<string, unknown>> };
  options?: Record<string, unknown>;
}

/** One image of a neighbour grid. @group Report */
export interface GridImage {
  /** A data URL (image/png) of the thumbnail. */
  src: string;
  /** Caption under the image (class, distance). */
  caption: string;
  /** Border colour: same class as the query (green), another class (red), or the query itself. */
  mark: 'query' | 'same' | 'other';
}

/** A block of a section. @group Report */
export type ReportBlock =
  | { kind: 'text'; text: string }
  | { kind: 'alarm'; text: string }
  | { kind: 'table'; caption?: string; columns: string[]; rows: Array<Array<string | number | null>> }
  | { kind: 'chart'; title: string; chart: ChartConfig; note?: string }
  | { kind: 'grid'; title: string; rows: GridImage[][]; note?: string };

/** A titled part of the report; its charts are laid out side by side. @group Report */
export interface ReportSection {
  heading: string;
  blocks: ReportBlock[];
}

/** A whole report. @group Report */
export interface ReportDocument {
  title: string;
  /** One line under the title: what was run, on what. */
  subtitle: string;
  sections: ReportSection[];
  /** When the report was made (ISO time); shown in the footer. */
  created: string;
}
