/**
 * The core trains in a browser page. The example page (examples/browser/), bundled
 * by esbuild as a user's build would, is served on 127.0.0.1 and opened in headless chromium,
 * where it trains a Siamese MLP and CNN on wasm with our kernels, on webgl (SwiftShader) and
 * on cpu; a run stopped mid-epoch resumes from its IndexedDB checkpoint after a reload with
 * the weights of an uninterrupted run; and the bundle imports no Node built-in, from the
 * sources and from the packages' built dist/. Skipped with a message when chromium is not
 * installed (.ci/run installs it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, builtinImports, type BundledPage } from '../../scripts/browser-bundle.js';
import { buildBrowserExample } from '../../scripts/build-browser-example.js';
import { CHROMIUM, launchChromium, serveFolder, type StaticServer } from '../../scripts/page-runner.js';
import type { ExampleGlobal, ExampleOptions } from '../../examples/browser/main.js';

const skip = CHROMIUM ? false : 'chromium is not installed (apt-get install chromium; .ci/run installs it)';

/** Small enough that the six runs take seconds: 16x16 images, 4 steps an epoch, 3 epochs. */
const SMALL: Omit<ExampleOptions, 'model' | 'backend'> = {
  size: 16,
  perClass: 24,
  epochs: 3,
  pairsPerEpoch: 128,
  batchSize: 32,
  learningRate: 0.005,
  validationPairs: 0,
  hidden: [32],
  filters: [4, 8],
  dense: 16,
  embeddingDim: 8,
};

let tmp: string;
let bundle: BundledPage;
let server: StaticServer;
let browser: Browser;

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

/** Why the dist/ bundle cannot be checked now, or false: dist/ of kernels and contrastive built after their last source change. */
function distSkip(): string | false {
  for (const pkg of ['kernels', 'contrastive']) {
    const info = path.join(REPO_ROOT, 'packages', pkg, 'dist', '.tsbuildinfo');
    if (!existsSync(info)) return `packages/${pkg}/dist is not built (npm run build; .ci/run builds before testing)`;
    if (statSync(info).mtimeMs < newest(path.join(REPO_ROOT, 'packages', pkg, 'src'))) return `packages/${pkg}/dist is older than its sources (npm run build)`;
  }
  return false;
}

/** Opens the example page; any page error or request to another origin fails the test. */
async function openExample(url: string): Promise<Page> {
  const page = await browser.newPage();
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !/^(data|blob):/.test(r.url())) foreign.push(r.url());
  });
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  // tsx compiles this file keeping function names, through a helper `__name` that the
  // functions passed to page.evaluate then call in the page: give the page an identity one.
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  assert.deepEqual(foreign, [], 'the page fetches only from its own server');
  return page;
}

interface PageRun {
  backend: string;
  startEpoch: number;
  losses: number[];
  epochLosses: number[];
  aucs: (number | null)[];
  weights: number[][];
}

/** Runs trainExample in `page` and brings back what the assertions read (the network is disposed there). */
async function trainInPage(page: Page, options: ExampleOptions): Promise<PageRun> {
  return page.evaluate(async (opts) => {
    const example = (globalThis as unknown as { contrastiveExample: ExampleGlobal }).contrastiveExample;
    const run = await example.trainExample(opts);
    const out = {
      backend: run.backend,
      startEpoch: run.startEpoch,
      losses: run.losses,
      epochLosses: run.result.history.map((r) => r.trainLoss),
      aucs: run.result.history.map((r) => r.validation?.auc ?? null),
      weights: run.network.getWeights().map((w) => Array.from(w.dataSync())),
    };
    run.network.dispose();
    return out;
  }, options);
}

function assertTrains(run: PageRun, what: string): void {
  assert.equal(run.losses.length, 12, `${what}: 3 epochs of 4 steps`);
  assert.ok(run.losses.every(Number.isFinite), `${what}: finite losses ${run.losses}`);
  // A NaN or infinite gradient would reach every weight through Adam's moments.
  assert.ok(run.weights.every((w) => w.every(Number.isFinite)), `${what}: finite weights`);
  const [first, , last] = run.epochLosses;
  assert.ok(last < 0.9 * first, `${what}: the loss decreases (epoch means ${run.epochLosses.map((l) => l.toFixed(4)).join(' -> ')})`);
}

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'browser-train-'));
  bundle = await buildBrowserExample(path.join(tmp, 'source'), 'source', false); // unminified: half the build time
  server = await serveFolder(path.join(tmp, 'source'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Asserts that no code of ours in the bundle imports a Node built-in or a Node-only module variant. */
function assertNoNodeBuiltins(page: BundledPage): void {
  const report = builtinImports(page.metafile);
  assert.deepEqual(report.disabled.filter((d) => d.ours), [], 'no module of ours imports a Node built-in');
  assert.deepEqual(report.nodeVariants, [], 'no #platform/* import resolves to its Node variant');
  // What is left comes from TF.js's own Node paths, replaced by empty modules through its packages' `browser` fields.
  for (const d of report.disabled) assert.match(d.importer, /node_modules\/(@tensorflow|seedrandom)\//, `${d.importer} -> ${d.path}`);
  const inputs = Object.keys(page.metafile.inputs);
  assert.ok(inputs.some((f) => /packages\/contrastive\/(src|dist)\/train\/trainer\.[jt]s$/.test(f)), 'the bundle holds the trainer');
  assert.ok(inputs.some((f) => /packages\/kernels\/(src|dist)\/platform\/browser\/host\.[jt]s$/.test(f)), "the kernels' page host is the one bundled");
}

test('the example bundles for the browser with no Node built-in (from the sources)', { skip }, () => {
  assertNoNodeBuiltins(bundle);
});

test("the example bundles with no Node built-in from the packages' built dist/ (what npm users get)", { skip: skip || distSkip() }, async () => {
  const fromDist = await buildBrowserExample(path.join(tmp, 'dist'), 'dist', false);
  assertNoNodeBuiltins(fromDist);
  assert.ok(Object.keys(fromDist.metafile.inputs).every((f) => !/packages\/[^/]+\/src\//.test(f)), 'every module of ours comes from dist/');
  // And that bundle runs: the page starts and trains an MLP for an epoch on wasm.
  const distServer = await serveFolder(path.join(tmp, 'dist'));
  try {
    const page = await openExample(distServer.url);
    const run = await trainInPage(page, { ...SMALL, model: 'mlp', backend: 'wasm', epochs: 1, checkpoint: 'dist-mlp' });
    assert.equal(run.backend, 'wasm');
    assert.ok(run.losses.length === 4 && run.losses.every(Number.isFinite), `losses ${run.losses}`);
    await page.close();
  } finally {
    await distServer.close();
  }
});

test('in the page a Siamese MLP and CNN train on wasm with our kernels, on webgl and on cpu', { skip }, async () => {
  const [webglPage, otherPage] = [await openExample(server.url), await openExample(server.url)];
  // Two pages at once: webgl's shader compiles (in chromium's GPU process) overlap the other backends' training.
  const [webgl, others] = await Promise.all([
    (async () => ({
      mlp: await trainInPage(webglPage, { ...SMALL, model: 'mlp', backend: 'webgl', checkpoint: 'webgl-mlp' }),
      cnn: await trainInPage(webglPage, { ...SMALL, model: 'cnn', backend: 'webgl', checkpoint: 'webgl-cnn' }),
    }))(),
    (async () => ({
      wasm: {
        mlp: await trainInPage(otherPage, { ...SMALL, model: 'mlp', backend: 'wasm', validationPairs: 200, checkpoint: 'wasm-mlp' }),
        cnn: await trainInPage(otherPage, { ...SMALL, model: 'cnn', backend: 'wasm', validationPairs: 200, checkpoint: 'wasm-cnn' }),
      },
      cpu: {
        mlp: await trainInPage(otherPage, { ...SMALL, model: 'mlp', backend: 'cpu', checkpoint: 'cpu-mlp' }),
        cnn: await trainInPage(otherPage, { ...SMALL, model: 'cnn', backend: 'cpu', checkpoint: 'cpu-cnn' }),
      },
    }))(),
  ]);
  const runs = { webgl, ...others };
  for (const [backend, models] of Object.entries(runs)) {
    for (const [model, run] of Object.entries(models)) {
      assert.equal(run.backend, backend);
      assertTrains(run, `${model} on ${backend}`);
    }
  }
  for (const model of ['mlp', 'cnn'] as const) {
    // Validation ran on wasm: an AUC per epoch, above chance by the end.
    const aucs = runs.wasm[model].aucs;
    assert.ok(aucs.every((a) => a !== null && a > 0 && a <= 1), `${model} AUCs ${aucs}`);
    assert.ok(aucs[2]! > 0.6, `${model} validation AUC ${aucs[2]}`);
    // Same network, data and seed: our wasm kernels follow TF.js's reference cpu backend step by
    // step (the conv gradients included; float rounding drifts slowly). webgl computes in its
    // own precision: its first loss (before any update) agrees.
    runs.wasm[model].losses.slice(0, 4).forEach((l, i) => {
      const ref = runs.cpu[model].losses[i];
      assert.ok(Math.abs(l - ref) <= 2e-3 * ref, `${model} step ${i}: wasm loss ${l}, cpu ${ref}`);
    });
    const [wasm0, webgl0] = [runs.wasm[model].losses[0], runs.webgl[model].losses[0]];
    assert.ok(Math.abs(wasm0 - webgl0) <= 1e-3 * webgl0, `${model} first loss: wasm ${wasm0}, webgl ${webgl0}`);
  }
  await Promise.all([webglPage.close(), otherPage.close()]);
});

test('a run stopped mid-epoch resumes from IndexedDB after a reload with the weights of an uninterrupted run', { skip }, async () => {
  const page = await openExample(server.url);
  const options: ExampleOptions = { ...SMALL, model: 'cnn', backend: 'wasm', validationPairs: 200 };
  const whole = await trainInPage(page, { ...options, checkpoint: 'resume-whole' });
  // Stopped at the second step of epoch 2, as the page's Stop button does (the abort signal).
  const stopped = await page.evaluate(async (opts) => {
    const example = (globalThis as unknown as { contrastiveExample: ExampleGlobal }).contrastiveExample;
    const before = example.tf.memory().numTensors;
    const controller = new AbortController();
    try {
      await example.trainExample({ ...opts, signal: controller.signal, onProgress: (p) => void (p.epoch === 2 && p.step === 1 && controller.abort()) });
      return { error: 'not stopped', leaked: 0 };
    } catch (err) {
      return { error: (err as Error).name, leaked: example.tf.memory().numTensors - before };
    }
  }, { ...options, checkpoint: 'resume-stopped' });
  assert.deepEqual(stopped, { error: 'AbortError', leaked: 0 }, 'stopped by the signal, with no tensor left behind');

  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  const resumed = await trainInPage(page, { ...options, checkpoint: 'resume-stopped', resume: true });
  assert.equal(resumed.startEpoch, 1, 'resumed after the one finished epoch');
  assert.equal(resumed.losses.length, 8, 'ran epochs 2 and 3 only');
  assert.deepEqual(resumed.epochLosses, whole.epochLosses, 'the same history, epoch 1 from the checkpoint');
  assert.deepEqual(resumed.weights, whole.weights, 'bit for bit the weights of the uninterrupted run');
  await page.close();
});

test('indexedDbCheckpointStore in the page: read, replace, clear, and a failed write keeps the previous checkpoint', { skip }, async () => {
  const page = await openExample(server.url);
  const r = await page.evaluate(async () => {
    const { indexedDbCheckpointStore } = (globalThis as unknown as { contrastiveExample: ExampleGlobal }).contrastiveExample;
    const store = indexedDbCheckpointStore('store-test');
    const other = indexedDbCheckpointStore('store-test-other');
    const seen: unknown[] = [store.location, await store.read()];
    await store.write({ state: '{"a":1}', tensors: new Uint8Array([1, 2, 3]) });
    await other.write({ state: '{"b":2}', tensors: new Uint8Array(new ArrayBuffer(8), 2, 2).fill(9) });
    await store.write({ state: '{"a":2}', tensors: new Uint8Array([4, 5]) });
    const read = await store.read();
    seen.push(read && { state: read.state, tensors: Array.from(read.tensors) });
    let failure: unknown = null;
    try {
      // A symbol cannot be stored: the write fails before anything changes.
      await store.write({ state: Symbol('not cloneable') as unknown as string, tensors: new Uint8Array([6]) });
    } catch (err) {
      failure = { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message };
    }
    seen.push(failure);
    const kept = await store.read();
    seen.push(kept && { state: kept.state, tensors: Array.from(kept.tensors) });
    const o = await other.read();
    seen.push(o && { state: o.state, tensors: Array.from(o.tensors), bytes: o.tensors.buffer.byteLength });
    await store.clear();
    seen.push(await store.read(), (await other.read()) !== null);
    return seen;
  });
  const [location, empty, replaced, failure, kept, other, cleared, otherKept] = r as [string, null, unknown, { name: string; code: string; message: string }, unknown, unknown, null, boolean];
  assert.equal(location, 'indexeddb://store-test');
  assert.equal(empty, null);
  assert.deepEqual(replaced, { state: '{"a":2}', tensors: [4, 5] });
  assert.equal(failure.name, "ContrastiveError", failure.message);
  assert.equal(failure.code, 'STATE');
  assert.match(failure.message, /IndexedDB could not write indexeddb:\/\/store-test \(DataCloneError/);
  assert.deepEqual(kept, { state: '{"a":2}', tensors: [4, 5] }, 'the previous checkpoint is whole');
  assert.deepEqual(other, { state: '{"b":2}', tensors: [9, 9], bytes: 2 }, 'a view is stored as its own bytes only');
  assert.equal(cleared, null);
  assert.equal(otherKept, true, 'clear removes only its own checkpoint');
  await page.close();
});
