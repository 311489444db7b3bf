/**
 * `contrastive serve` in a real browser (Debian chromium driven by
 * playwright-core): the page loads its scripts from the server only, draws the
 * embedding map (hover shows the image), and a verify through the UI shows
 * what `contrastive verify` prints, on the server and in the browser (TF.js
 * wasm, no upload), and a search by image through the page shows what
 * `contrastive index search` prints, in both modes. Screenshots go to test-artifacts/serve/ (git-ignored).
 * Skipped with a message when chromium is not installed (CI installs it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { serveFixture, type ServeFixture } from '../serve/fixture.js';
import { cli, assertOneLineError, ROOT, startServe, stopServe } from '../support/cli.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((f) => existsSync(f));
const skip = CHROMIUM ? false : 'chromium is not installed (apt-get install chromium; .ci/run installs it)';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'serve');

let tmp: string;
let fx: ServeFixture;
let server: ChildProcess;
let url: string;
let browser: Browser;
let pair: { same: [string, string]; different: [string, string] };
let indexFile: string;


async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
  });
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  assert.deepEqual(foreign, [], 'every request goes to the serve process');
  return page;
}

async function verifyThroughUi(page: Page, mode: 'server' | 'browser', [a, b]: [string, string]): Promise<{ shown: Record<string, string>; result: any }> {
  await page.check(`#mode-${mode}`);
  await page.setInputFiles('#file-a', a);
  await page.setInputFiles('#file-b', b);
  await page.evaluate(() => document.getElementById('result-mode')!.removeAttribute('data-mode'));
  await page.click('#verify-btn');
  await page.waitForSelector(`#result-mode[data-mode=${mode}]`, { timeout: 60_000 });
  const shown: Record<string, string> = {};
  for (const id of ['verdict', 'distance', 'threshold', 'probability', 'mode']) shown[id] = (await page.textContent(`#result-${id}`)) ?? '';
  return { shown, result: await page.evaluate(() => (window as any).contrastivePage.lastResult) };
}

function cliVerify([a, b]: [string, string]): { distance: number; threshold: number; same: boolean; probability: number } {
  const r = cli('verify', '--model', fx.bundleDir, a, b, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  if (skip) return;
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-page-'));
  await fs.mkdir(ARTIFACTS, { recursive: true });
  fx = await serveFixture(tmp);
  const r3 = fx.rowOf(3);
  pair = { same: [await fx.png(r3), await fx.png(fx.rowOf(3, r3 + 1))], different: [await fx.png(r3), await fx.png(fx.rowOf(7))] };
  indexFile = path.join(tmp, 'test.sqlite');
  const built = cli('index', 'build', '--model', fx.bundleDir, '--dataset', 'mnist', '--split', 'test', '--out', indexFile);
  assert.equal(built.code, 0, built.stderr);
  ({ child: server, url } = await startServe(['--model', fx.bundleDir, '--index', indexFile, '--port', '0', '--map-points', '80']));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) await stopServe(server);
  fx?.bundle.network.dispose();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

test('serve binds 127.0.0.1 and prints its URL; the page draws the embedding map and hover shows the image', { skip }, async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const page = await openPage();
  assert.match((await page.textContent('#model-summary')) ?? '', /16-d L2-normalised embedding/);
  await page.waitForSelector('#map[data-points="80"]');
  const painted = await page.evaluate(() => {
    const c = document.getElementById('map') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(painted > 80 * 20, `painted pixels: ${painted}`);
  const p = await page.evaluate(() => (window as any).contrastivePage.mapPoints[7]);
  await page.locator('#map').scrollIntoViewIfNeeded();
  const box = (await page.locator('#map').boundingBox())!;
  const scale = box.width / (await page.evaluate(() => (document.getElementById('map') as HTMLCanvasElement).width));
  await page.mouse.move(box.x + p.cx * scale + 1, box.y + p.cy * scale + 1, { steps: 4 });
  await page.waitForSelector('#map-tip:not([hidden])');
  await page.waitForFunction(() => (document.getElementById('map-tip-img') as HTMLImageElement).naturalWidth === 28);
  assert.match((await page.textContent('#map-tip-text')) ?? '', new RegExp(`class ${p.label}\\s+${p.row}`));
  await page.screenshot({ path: path.join(ARTIFACTS, 'map-hover.png') });
  await page.close();
});

test('verify through the page on the server shows what contrastive verify prints', { skip }, async () => {
  const page = await openPage();
  for (const [name, files] of Object.entries(pair)) {
    const want = cliVerify(files);
    const { shown, result } = await verifyThroughUi(page, 'server', files);
    assert.equal(result.distance, want.distance, name);
    assert.equal(shown.verdict, want.same ? 'same' : 'different');
    assert.equal(shown.distance, want.distance.toPrecision(6));
    assert.equal(shown.threshold, want.threshold.toPrecision(6));
    assert.equal(shown.probability, want.probability.toFixed(4));
    assert.match(shown.mode, /Computed by the server/);
    await page.screenshot({ path: path.join(ARTIFACTS, `verify-server-${name}.png`), fullPage: true });
  }
  assert.equal(cliVerify(pair.same).same, true, 'the fixture pair of 3s is the same');
  await page.close();
});

test('verify in the browser (TF.js wasm, no upload) gives the CLI result and says so', { skip }, async () => {
  const page = await openPage();
  const posts: string[] = [];
  page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
  for (const [name, files] of Object.entries(pair)) {
    const want = cliVerify(files);
    const { shown, result } = await verifyThroughUi(page, 'browser', files);
    assert.ok(Math.abs(result.distance - want.distance) < 1e-5, `${name}: ${result.distance} vs ${want.distance}`);
    assert.equal(shown.verdict, want.same ? 'same' : 'different');
    assert.equal(shown.distance, result.distance.toPrecision(6));
    assert.equal(Number(shown.distance).toFixed(4), want.distance.toFixed(4));
    assert.equal(shown.probability, want.probability.toFixed(4));
    assert.match(shown.mode, /Computed in this browser with TF\.js \(wasm backend\); the images were not sent/);
    await page.screenshot({ path: path.join(ARTIFACTS, `verify-browser-${name}.png`), fullPage: true });
  }
  assert.deepEqual(posts, [], 'no image was posted');
  await page.close();
});

test('search by image through the page, on the server and in the browser, shows what contrastive index search prints', { skip }, async () => {
  const page = await openPage();
  assert.match((await page.textContent('#search-note')) ?? '', /2000 items in test\.sqlite/);
  const query = pair.different[1];
  const r = cli('index', 'search', '--index', indexFile, '--model', fx.bundleDir, '-k', '8', '--json', query);
  assert.equal(r.code, 0, r.stderr);
  const want = JSON.parse(r.stdout).results as Array<{ id: string; distance: number; label: string }>;
  const uploads: string[] = [];
  page.on('request', (req) => req.method() === 'POST' && uploads.push(req.headers()['content-type'] ?? ''));
  await page.setInputFiles('#search-file', query);
  for (const mode of ['server', 'browser'] as const) {
    await page.check(`#mode-${mode}`);
    await page.click('#search-btn');
    await page.waitForSelector(`#search-mode[data-mode=${mode}]`, { timeout: 60_000 });
    const got = await page.evaluate(() => (window as any).contrastivePage.lastSearch.results);
    assert.deepEqual(got.map((h: any) => h.id), want.map((h) => h.id), mode);
    got.forEach((h: any, i: number) => assert.ok(Math.abs(h.distance - want[i].distance) < 1e-5, `${mode} hit ${i}: ${h.distance} vs ${want[i].distance}`));
    const shown = await page.$$eval('#search-results li', (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(shown, want.map((h) => `${h.label} · d ${h.distance.toFixed(4)}`));
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#search-results img')).every((i) => (i as HTMLImageElement).naturalWidth === 28));
    await page.screenshot({ path: path.join(ARTIFACTS, `search-${mode}.png`), fullPage: true });
  }
  assert.match(uploads[0], /^multipart\/form-data/, 'the server mode uploads the image');
  assert.equal(uploads[1], 'application/json', 'the browser mode sends only the embedding');
  assert.match((await page.textContent('#search-mode')) ?? '', /only the embedding was sent/);
  await page.close();
});

test('serve: another --host warns; a bad --port or missing bundle is one line', { skip }, async () => {
  const loud = await startServe(['--model', fx.bundleDir, '--port', '0', '--host', '0.0.0.0', '--no-map']);
  try {
    assert.match(loud.stdout(), /bound to 0\.0\.0\.0\)/);
    assert.match(loud.stderr(), /warning: binding 0\.0\.0\.0 makes the model and its API reachable from other machines/);
    assert.equal((await fetch(`${loud.url}/api/model`)).status, 200);
  } finally {
    assert.equal(await stopServe(loud.child), 0, 'Ctrl-C stops the server cleanly');
  }
  assertOneLineError(cli('serve', '--model', fx.bundleDir, '--port', '70000'), '--port', '70000');
  assertOneLineError(cli('serve', '--model', path.join(tmp, 'nowhere'), '--port', '0'), 'nowhere');
});
