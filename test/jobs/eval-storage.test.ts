/**
 * Scoring a saved bundle on a folder: set reads it through an example store
 * (float32, uint8, or streamed from disk), and the figures do not depend on
 * which: eval, calibrate and embed give the same numbers with each, and the
 * commands take --storage and --cache-mb.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { evaluateBundle, calibrateBundle, openBundle } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { onePassLoadOptions } from '../../packages/cli/src/jobs/bundle-split.js';
import { embedInputs } from '../../packages/cli/src/jobs/embed.js';
import { cli } from '../support/cli.js';
import { writeColourFolder } from '../support/data.js';

const W = 8;
const H = 8;
const CLASSES = 4;
const PER_CLASS = 20;
let root: string;
let dir: string;
let bundleDir: string;

before(async () => {
  await initBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-eval-storage-'));
  dir = path.join(root, 'set');
  await writeColourFolder(dir, CLASSES, PER_CLASS, W, H, 7);
  const network = new SiameseNetwork(mlpEncoder({ inputShape: [H, W, 3], hidden: [16], embeddingDim: 6, seed: 2 }), { normalize: true });
  bundleDir = path.join(root, 'bundle');
  await saveBundle(bundleDir, network);
  network.dispose();
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const spec = (): string => `folder:${dir}`;

test('a folder: set is streamed by default when scored once, unless the call chooses a storage or bad images are skipped', async () => {
  const b = await openBundle(bundleDir);
  try {
    assert.deepEqual(onePassLoadOptions(b, spec()), { width: W, height: H, channels: 3, storage: 'stream', cacheBytes: 0 });
    assert.equal(onePassLoadOptions(b, spec(), { storage: 'uint8' }).storage, 'uint8');
    assert.equal(onePassLoadOptions(b, spec(), { cacheBytes: 1024 }).cacheBytes, 1024);
    assert.equal(onePassLoadOptions(b, spec(), { skipBadImages: true }).storage, undefined);
    assert.equal(onePassLoadOptions(b, 'mnist').storage, undefined);
    // a run that skipped bad images: its split needs every image decoded, so streaming is refused, naming where that came from
    const skipped = { ...b, manifest: { ...b.manifest, training: { dataset: spec(), load: { skipBadImages: true } } } } as unknown as typeof b;
    assert.equal(onePassLoadOptions(skipped, spec()).storage, undefined);
    assert.equal(onePassLoadOptions(skipped, spec(), { storage: 'uint8' }).storage, 'uint8');
    assert.throws(() => onePassLoadOptions(skipped, spec(), { storage: 'stream' }), /training run left out undecodable images .*manifest\.json.*choose \{ storage: 'uint8' \}/);
  } finally {
    b.network.dispose();
  }
});

test('eval, calibrate and embed give the same figures with float32, uint8 and streamed storage', async () => {
  const storages = [{ storage: 'float32' as const }, { storage: 'uint8' as const }, { storage: 'stream' as const, cacheBytes: 0 }, {}];
  const evals = [];
  const thresholds = [];
  const embeddings = [];
  const b = await openBundle(bundleDir);
  try {
    for (const load of storages) {
      const report = path.join(root, `report-${load.storage ?? 'default'}.html`);
      const r = await evaluateBundle(b, spec(), { split: 'all', pairs: 300, load, report });
      const html = await fs.readFile(report, 'utf8');
      evals.push({ verification: r.verification, retrieval: r.retrieval, examples: r.examples, gridImages: html.match(/data:image\/png;base64/g)?.length ?? 0 });
      embeddings.push((await embedInputs(b, { dataset: spec(), load })).embeddings);
    }
    // after the evaluations: calibrating stores a threshold in the bundle, which eval then reports
    for (const load of storages) thresholds.push((await calibrateBundle(b, spec(), { split: 'all', pairs: 300, load })).threshold);
  } finally {
    b.network.dispose();
  }
  assert.equal(evals[0].examples, CLASSES * PER_CLASS);
  assert.ok(evals[0].gridImages > 0, 'the float32 report has its neighbour grid');
  for (let k = 1; k < storages.length; k++) {
    const what = JSON.stringify(storages[k]);
    assert.deepEqual(evals[k], evals[0], what);
    assert.equal(thresholds[k], thresholds[0], what);
    assert.deepEqual(embeddings[k], embeddings[0], what);
  }
});

test('eval, calibrate, embed and index build take --storage and --cache-mb; --cache-mb without streaming is refused', () => {
  for (const args of [['eval'], ['calibrate'], ['embed'], ['index', 'build']]) {
    const r = cli(...args, '--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--storage <kind>/, args.join(' '));
    assert.match(r.stdout, /--cache-mb <n>/, args.join(' '));
  }
  const bad = cli('eval', '--model', bundleDir, '--dataset', spec(), '--storage', 'uint8', '--cache-mb', '8');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--cache-mb applies to --storage stream/);
  const notFolder = cli('eval', '--model', bundleDir, '--dataset', 'mnist', '--storage', 'stream');
  assert.equal(notFolder.code, 1);
  assert.match(notFolder.stderr, /--storage applies to folder: datasets/);
});

test('compare and margin with a streamed folder score held-out and validation rows through the store: the figures of float32', async () => {
  const { compareLosses } = await import('../../packages/cli/src/jobs/compare-losses.js');
  const { marginSweep } = await import('../../packages/cli/src/jobs/margin-sweep.js');
  const train = { epochs: 1, pairsPerEpoch: 32, batchSize: 16, validationPairs: 40 };
  const common = { dataset: spec(), backend: 'cpu' as const, hidden: [8], embeddingDim: 4, testPairs: 60, report: false as const };
  const scores = [];
  const validation = [];
  for (const storage of ['float32', 'stream'] as const) {
    const load = { width: W, height: H, channels: 3 as const, storage };
    const c = await compareLosses({ ...common, load, losses: ['contrastive'], holdoutClasses: [2, 3], out: path.join(root, `compare-${storage}`), train });
    scores.push(c.rows.map((r) => ({ verification: r.verification, retrieval: r.retrieval })));
    const m = await marginSweep({ ...common, load, margins: [0.5], out: path.join(root, `margin-${storage}`), train });
    validation.push(m.rows.map((r) => r.validation));
  }
  assert.equal(scores[0][0].retrieval?.queries, 2 * PER_CLASS, 'scored on the held-out classes only');
  assert.deepEqual(scores[1], scores[0]);
  assert.ok(typeof validation[0][0].mapAtR === 'number');
  assert.deepEqual(validation[1], validation[0]);
});
