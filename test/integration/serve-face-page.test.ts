/**
 * `contrastive serve --faces` in a real browser (Debian chromium driven by
 * playwright-core): the page says faces are verified on the server, draws the
 * boxes of every face found over both photos, lets the user click the face to
 * compare when a photo holds several, and then shows what `contrastive face
 * verify` prints, the chosen boxes highlighted. Screenshots go to
 * test-artifacts/serve/ (git-ignored). Skipped with a message when chromium is
 * not installed (CI installs it). Also: `serve --model` with a face run serves
 * it as faces, and misused options are one-line errors. The photos' descriptors come from the test
 * face set's cache, so face-api hardly runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { cli, assertOneLineError, ROOT, startServe, stopServe } from '../support/cli.js';
import { trainFaceModel } from '../../packages/cli/src/jobs/face-train.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { testFaceSet, samplePhotos, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((f) => existsSync(f));
const skip = CHROMIUM ? false : 'chromium is not installed (apt-get install chromium; .ci/run installs it)';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'serve');
const [photo1, photo2] = samplePhotos(); // 3 faces each

let set: TestFaceSet;
let server: ChildProcess;
let url: string;
let browser: Browser;


before(async () => {
  if (skip) return;
  await initBackend('wasm');
  set = await testFaceSet();
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const served = await startServe(['--faces', '--port', '0', '--cache-dir', set.cacheDir]);
  ({ child: server, url } = served);
  assert.match(served.stdout(), /^contrastive serve: faces \(pretrained descriptor\) on http/);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server) await stopServe(server);
});

test('face verify through the page: boxes drawn on both photos, a click chooses the face, the result is the CLI one', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  assert.match((await page.textContent('#model-summary')) ?? '', /^Faces: pretrained face descriptor .* threshold 0\.4749/);
  assert.match((await page.textContent('#faces-note')) ?? '', /verified on the server/);
  assert.equal(await page.isDisabled('#mode-browser'), true, 'no in-browser mode for faces');

  await page.setInputFiles('#file-a', photo1);
  await page.setInputFiles('#file-b', photo2);
  await page.click('#verify-btn');
  // Photo A holds three faces: the error names field a and its boxes are drawn to choose from.
  await page.waitForSelector('#faces-a[data-boxes="3"]:not([hidden])', { timeout: 60_000 });
  assert.match((await page.textContent('#verify-error')) ?? '', /field 'a' \(sample1\.jpg\): 3 faces found.*Click a face to choose it\./);
  await page.click('#faces-a rect[data-face="1"]');
  await page.waitForSelector('#faces-b[data-boxes="3"]:not([hidden])', { timeout: 60_000 });
  await page.click('#faces-b rect[data-face="0"]');
  await page.waitForSelector('#result-mode[data-mode=server]', { timeout: 60_000 });

  const result = await page.evaluate(() => (window as any).contrastivePage.lastResult);
  const r = cli('face', 'verify', photo1, photo2, '--face-a', '1', '--face-b', '0', '--json', '--cache-dir', set.cacheDir);
  assert.equal(r.code, 0, r.stderr);
  const want = JSON.parse(r.stdout);
  assert.equal(result.distance, want.distance);
  assert.deepEqual(result.chosen, { a: 1, b: 0 });
  assert.equal(await page.textContent('#result-verdict'), want.same ? 'same' : 'different');
  assert.equal(await page.textContent('#result-distance'), want.distance.toPrecision(6));
  assert.match((await page.textContent('#result-mode')) ?? '', /Computed by the server .* Faces detected, described and compared on the server: A face 1 of 3, B face 0 of 3\./);
  for (const [side, chosen] of [['a', 1], ['b', 0]] as const) {
    assert.equal(await page.locator(`#faces-${side} rect`).count(), 3, side);
    assert.deepEqual(await page.$$eval(`#faces-${side} rect.chosen`, (rs) => rs.map((x) => x.getAttribute('data-face'))), [String(chosen)], side);
    // The boxes lie over the picture: the chosen box's screen rectangle is inside the preview's.
    const img = (await page.locator(`#preview-${side}`).boundingBox())!;
    const box = (await page.locator(`#faces-${side} rect.chosen`).boundingBox())!;
    assert.ok(box.width > 2 && box.x >= img.x && box.y >= img.y && box.x + box.width <= img.x + img.width + 1 && box.y + box.height <= img.y + img.height + 1, `${side}: ${JSON.stringify({ box, img })}`);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'verify-faces.png'), fullPage: true });
  await page.close();
});

test('serve --model FACE_RUN serves the face bundle; --faces and --model/--index misuse are one-line errors', async () => {
  await initBackend('wasm');
  set ??= await testFaceSet();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-face-cli-'));
  try {
    const out = path.join(tmp, 'run');
    const run = await trainFaceModel({ dir: set.dir, engine: TEST_ENGINE, cacheDir: set.cacheDir, out, report: false, skipNoFace: true, train: { epochs: 2, seed: 5 } });
    run.network.dispose();
    const served = await startServe(['--model', out, '--port', '0', '--no-cache']);
    try {
      assert.match(served.stdout(), new RegExp(`^contrastive serve: faces \\(${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/model\\) on http`));
      const info = (await (await fetch(`${served.url}/api/model`)).json()) as any;
      assert.equal(info.faces.kind, 'face bundle');
      assert.equal(info.faces.detector, TEST_ENGINE.detector);
      assert.equal(info.features.faces, true);
    } finally {
      await stopServe(served.child);
    }
    assertOneLineError(cli('serve', '--port', '0'), 'give --model DIR', '--faces');
    assertOneLineError(cli('serve', '--faces', '--index', path.join(tmp, 'x.sqlite'), '--port', '0'), '--index does not apply to face verification');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
