/**
 * The HTML reports in a real browser: `contrastive train` and `eval` write
 * them (`--report FILE` chooses the file, `--no-report` writes none), headless
 * chromium opens them from disk with the network cut off, every chart canvas
 * gets drawn, every thumbnail decodes, and a screenshot of each is saved under
 * test-artifacts/ (ignored by git). Skips when /usr/bin/chromium is absent
 * (.ci/run installs it with apt-get).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { cli, ROOT } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const skip = existsSync(CHROMIUM) ? false : `chromium is not installed at ${CHROMIUM} (.ci/run installs it: apt-get install chromium)`;
const ARTEFACTS = path.join(ROOT, 'test-artifacts');

let tmp: string;
let browser: Browser | undefined;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'report-browser-'));
  if (!skip) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** What the page showed: canvases drawn (non-blank pixel counts), images decoded, requests made, errors. */
async function openReport(
  file: string,
  screenshot: string,
): Promise<{ charts: number; canvases: number[]; images: number[]; requests: string[]; errors: string[]; verification: Record<string, string> }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  // offline: anything but the file itself and data: URLs is refused and recorded
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://') || url.startsWith('data:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => document.body.dataset.charts !== undefined, undefined, { timeout: 20_000 });
  const seen = await page.evaluate(() => ({
    charts: Number(document.body.dataset.charts),
    canvases: Array.from(document.querySelectorAll('canvas')).map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
      return inked;
    }),
    images: Array.from(document.querySelectorAll('img')).map((i) => (i as HTMLImageElement).naturalWidth),
    // the held-out pairs table (AUC, EER, ...) as the page shows it
    verification: (() => {
      const table = Array.from(document.querySelectorAll('section')).find((s) => /pairs/i.test(s.querySelector('h2')?.textContent ?? ''))!.querySelector('table')!;
      const heads = Array.from(table.querySelectorAll('th')).map((th) => th.textContent!);
      const cells = Array.from(table.querySelectorAll('tr:nth-child(2) td')).map((td) => td.textContent!);
      return Object.fromEntries(heads.map((h, k) => [h, cells[k]]));
    })(),
  }));
  await fs.mkdir(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTEFACTS, screenshot), fullPage: true });
  await page.close();
  return { ...seen, requests, errors };
}

test('train and eval write reports that render in headless chromium, offline', { skip }, async () => {
  const run = path.join(tmp, 'run');
  const custom = path.join(tmp, 'custom.html');
  const train = cli('train', '--epochs', '2', '--pairs-per-epoch', '600', '--hidden', '64', '--embedding-dim', '16', '--out', run, '--report', custom, '--json');
  assert.equal(train.code, 0, train.stderr);
  const done = JSON.parse(train.stdout.trim().split('\n').pop()!) as { reportFile: string; metrics: { verification: { auc: number; eer: number } } };
  assert.equal(done.reportFile, custom, '--report chooses the file');
  assert.ok(!existsSync(path.join(run, 'report.html')), 'and nothing is written at the default place');

  const evalRun = cli('eval', '--model', path.join(run, 'model'), '--pairs', '2000');
  assert.equal(evalRun.code, 0, evalRun.stderr);
  const evalReport = path.join(run, 'eval-mnist-test.html');
  assert.ok(evalRun.stdout.includes(`report: ${evalReport}`), evalRun.stdout);

  const noReport = cli('eval', '--model', path.join(run, 'model'), '--pairs', '500', '--split', 'validation', '--no-report', '--json');
  assert.equal(noReport.code, 0, noReport.stderr);
  assert.equal((JSON.parse(noReport.stdout) as { reportFile: unknown }).reportFile, null);
  assert.ok(!existsSync(path.join(run, 'eval-mnist-validation.html')));

  const evalAuc = /^ {2}AUC\s+(\S+)/m.exec(evalRun.stdout)![1];
  const evalEer = /^ {2}EER\s+(\S+)/m.exec(evalRun.stdout)![1];
  const cliFigures = {
    'report-train.png': { AUC: done.metrics.verification.auc.toFixed(4), EER: done.metrics.verification.eer.toFixed(4) },
    'report-eval.png': { AUC: evalAuc, EER: evalEer },
  };
  for (const [file, shot, minCharts] of [[custom, 'report-train.png', 9], [evalReport, 'report-eval.png', 3]] as const) {
    const seen = await openReport(file, shot);
    assert.deepEqual({ AUC: seen.verification.AUC, EER: seen.verification.EER }, cliFigures[shot], `${shot}: the page shows the CLI's figures`);
    assert.deepEqual(seen.errors, [], `${shot}: no script errors`);
    assert.deepEqual(seen.requests, [], `${shot}: nothing fetched from the network`);
    assert.ok(seen.charts >= minCharts, `${shot}: ${seen.charts} charts drawn`);
    assert.equal(seen.canvases.length, seen.charts, `${shot}: every canvas has its chart`);
    for (const [k, inked] of seen.canvases.entries()) assert.ok(inked > 1000, `${shot}: canvas ${k} is drawn (${inked} pixels)`);
    assert.ok(seen.images.length >= 8 * 7, `${shot}: the neighbour grid (${seen.images.length} images)`);
    assert.ok(seen.images.every((w) => w === 28), `${shot}: every thumbnail decodes (28 px wide)`);
  }
});
