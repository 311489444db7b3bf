/** Writes a report document as one self-contained HTML file, atomically. */
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import type { ReportDocument } from './document.js';
import { renderReportHtml } from './html.js';

/** Renders `doc` and writes it to `file` (temporary file + rename: never half-written). Returns the byte size. @group Report */
export async function writeReport(file: string, doc: ReportDocument): Promise<number> {
  const html = await renderReportHtml(doc);
  await writeFileAtomic(file, html);
  return Buffer.byteLength(html);
}
