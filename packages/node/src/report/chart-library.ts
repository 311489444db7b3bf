/**
 * The Chart.js library as text, to inline into a report so that it opens
 * offline with no server: the UMD build shipped in the npm package `chart.js`.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';

let cached: string | undefined;

/** The source of chart.js/dist/chart.umd.js, safe to put inside a `<script>` element. */
export async function chartLibrarySource(): Promise<string> {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    // The package's exports map hides dist/chart.umd.js; it sits beside the CommonJS entry.
    file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', 'report: the npm package chart.js (dist/chart.umd.js) is not installed; run npm ci', { cause: err });
  }
  let source: string;
  try {
    source = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', `report: cannot read ${file} (the npm package chart.js); run npm ci`, { cause: err });
  }
  // '</script' would end the inline element early; '<\/script' means the same inside JS strings.
  cached = source.replace(/<\/script/gi, '<\\/script');
  return cached;
}
