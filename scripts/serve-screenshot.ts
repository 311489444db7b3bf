/**
 * The serve guide's picture of `contrastive serve` (docs/images/serve.png): serves a
 * bundle and its index, verifies two test digits in the browser, searches a
 * third, hovers a point of the map, and saves the page (palette PNG, < 300 KB).
 *
 *     node --conditions=contrastive-source --import tsx scripts/serve-screenshot.ts BUNDLE_DIR INDEX_FILE OUT.png
 *
 * Needs chromium (/usr/lib/chromium/chromium, Debian package `chromium`).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { initBackend } from '../packages/node/src/engine/backend.js';
import { openBundle, bundleSplit } from '../packages/cli/src/jobs/evaluate-bundle.js';
import { pixelsToPng } from '../packages/cli/src/jobs/example-picture.js';
import { EmbeddingIndex } from '../packages/index/src/index.js';
import { bundleIdentity } from '../packages/node/src/embed/bundle-identity.js';
import { createServeApp } from '../packages/cli/src/serve/index.js';
import { type LabelledDataset } from '../packages/contrastive/src/data/index.js';

const [bundleDir, indexFile, out] = process.argv.slice(2);
if (!out) throw new Error('usage: serve-screenshot.ts BUNDLE_DIR INDEX_FILE OUT.png');
await initBackend('wasm');
const bundle = await openBundle(bundleDir);
const test = (await bundleSplit(bundle, 'mnist', 'test')).data as LabelledDataset;
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-shot-'));
const png = async (c: number, nth: number): Promise<string> => {
  const rows = Array.from(test.labels.keys()).filter((i) => test.labels[i] === c);
  const file = path.join(tmp, `digit-${c}-${nth}.png`);
  await fs.writeFile(file, await pixelsToPng(test.x.subarray(rows[nth] * 784, (rows[nth] + 1) * 784), 28, 28, 1));
  return file;
};
const index = await EmbeddingIndex.open(indexFile, { model: await bundleIdentity(bundleDir) });
const app = await createServeApp({ bundle, index });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: '/usr/lib/chromium/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 1560, height: 760 } });
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  await page.check('#mode-browser');
  await page.setInputFiles('#file-a', await png(4, 0));
  await page.setInputFiles('#file-b', await png(4, 3));
  await page.click('#verify-btn');
  await page.waitForSelector('#result-mode[data-mode=browser]', { timeout: 60_000 });
  await page.setInputFiles('#search-file', await png(2, 5));
  await page.click('#search-btn');
  await page.waitForSelector('#search-mode[data-mode=browser]');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#search-results img')).every((i) => (i as HTMLImageElement).complete));
  const p = await page.evaluate(() => (window as unknown as { contrastivePage: { mapPoints: Array<{ cx: number; cy: number }> } }).contrastivePage.mapPoints[11]);
  await page.locator('#map').scrollIntoViewIfNeeded();
  const box = (await page.locator('#map').boundingBox())!;
  await page.mouse.move(box.x + p.cx + 1, box.y + p.cy + 1, { steps: 3 });
  await page.waitForSelector('#map-tip:not([hidden])');
  await page.waitForFunction(() => (document.getElementById('map-tip-img') as HTMLImageElement).naturalWidth > 0);
  const shot = await page.screenshot({ fullPage: true });
  await sharp(shot).png({ palette: true, colours: 128 }).toFile(out);
  console.log(`${out}: ${(await fs.stat(out)).size} bytes; verify`, await page.evaluate(() => (window as unknown as { contrastivePage: { lastResult: unknown } }).contrastivePage.lastResult));
} finally {
  await browser.close();
  await app.close();
  await index.close();
  bundle.network.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
}
