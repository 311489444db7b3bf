/**
 * `contrastive eval`: the figures of a run are reproduced from its bundle (the
 * re-split honours seed, fractions and held-out classes), the JSON has both
 * metric families with sane values, a pairs dataset gives verification only,
 * and bad input is one line on stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runTraining, type RunMetrics } from '../../packages/cli/src/jobs/run-training.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { loadMnist } from '../../packages/node/src/data/index.js';
import { cli, assertOneLineError } from '../support/cli.js';
import { saveBundle, readManifest, updateManifest } from '../../packages/node/src/models/bundle.js';

let tmp: string;
let model: string;
let metrics: RunMetrics;
let testSplitEval: ReturnType<typeof cli> | undefined;
/**
 * `eval --json` of the run's bundle on its test split, run once for the tests that read it. No
 * HTML report in this file: the report's default place and content are test/integration/report-browser's.
 */
const evalTestSplit = () => (testSplitEval ??= cli('eval', '--model', model, '--backend', 'wasm', '--json', '--no-report'));

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-eval-'));
  const run = await runTraining({ report: false,
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [64],
    embeddingDim: 16,
    holdoutClasses: [8, 9],
    backend: 'wasm',
    out: path.join(tmp, 'run'),
    train: { epochs: 1, pairsPerEpoch: 1000, seed: 7 }, // the figures' plumbing is the point: a short run has them all
  });
  model = run.bundleDir;
  metrics = run.metrics;
  run.network.dispose();
});

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('eval --json on the test split reproduces the run (same split with held-out classes, same pairs)', () => {
  const r = evalTestSplit();
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dataset, 'mnist');
  assert.equal(out.split, 'test');
  assert.deepEqual(out.runSplit, { seed: 7, validation: 0.1, test: 0.2, holdoutClasses: [8, 9], source: 'manifest' });
  assert.equal(out.examples, metrics.split.test);
  const v = out.verification;
  assert.equal(v.pairs, metrics.verification.pairs);
  assert.ok(Math.abs(v.auc - metrics.verification.auc) < 1e-9, `auc ${v.auc} vs ${metrics.verification.auc}`);
  assert.ok(Math.abs(v.eer - metrics.verification.eer) < 1e-9);
  assert.equal(v.threshold, metrics.verification.threshold);
  assert.ok(Math.abs(v.accuracy - metrics.verification.accuracy) < 1e-9);
  assert.deepEqual(v.tarAtFar, metrics.verification.tarAtFar);
  assert.equal(v.roc, undefined, 'no ROC unless --roc');
  assert.ok(metrics.retrieval);
  assert.ok(Math.abs(out.retrieval.precisionAt1 - metrics.retrieval.precisionAt1) < 1e-9);
  assert.ok(Math.abs(out.retrieval.mapAtR - metrics.retrieval.mapAtR) < 1e-9);
  assert.equal(out.retrieval.queries, metrics.retrieval.queries);
});

test('a cross-entropy bundle is scored by its stored head, as the run scored it', async () => {
  const run = await runTraining({ report: false,
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [32],
    embeddingDim: 8,
    backend: 'wasm',
    out: path.join(tmp, 'ce-run'),
    train: { loss: 'cross-entropy', epochs: 1, pairsPerEpoch: 1000, seed: 9 },
  });
  run.network.dispose();
  const r = cli('eval', '--model', run.bundleDir, '--backend', 'wasm', '--json', '--no-report');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(Math.abs(out.verification.auc - run.metrics.verification.auc) < 1e-9, `auc ${out.verification.auc} vs ${run.metrics.verification.auc}`);
  assert.ok(Math.abs(out.verification.accuracy - run.metrics.verification.accuracy) < 1e-9);
  assert.ok(Math.abs(out.retrieval.precisionAt1 - run.metrics.retrieval!.precisionAt1) < 1e-9);
});

test('eval --json --roc: both metric families with sane values and the ROC', () => {
  const r = cli('eval', '--model', model, '--backend', 'wasm', '--json', '--split', 'validation', '--pairs', '1000', '--pairs-seed', '3', '--roc', '--no-report');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.split, 'validation');
  assert.equal(out.examples, metrics.split.validation);
  const v = out.verification;
  assert.equal(v.pairs, 1000);
  assert.equal(v.positives + v.negatives, 1000);
  assert.ok(v.auc > 0.6 && v.auc <= 1, `auc ${v.auc}`);
  assert.ok(v.eer >= 0 && v.eer < 0.5, `eer ${v.eer}`);
  assert.ok(v.bestAccuracy >= v.accuracy, 'best accuracy is the best');
  assert.ok(v.accuracy > 0.5 && v.accuracy <= 1);
  assert.ok(v.tarAtFar['1e-3'] <= v.tarAtFar['1e-2'] && v.tarAtFar['1e-2'] <= v.tarAtFar['1e-1']);
  const m = out.retrieval;
  for (const k of ['precisionAt1', 'rPrecision', 'mapAtR']) assert.ok(m[k] > 0 && m[k] <= 1, `${k} ${m[k]}`);
  assert.equal(m.recallAtK['1'], m.precisionAt1);
  assert.ok(m.recallAtK['1'] <= m.recallAtK['5'] && m.recallAtK['5'] <= m.recallAtK['10']);
  assert.ok(m.mapAtR <= m.rPrecision + 1e-12);

  const roc = v.roc;
  assert.equal(roc.thresholds[0], '-Infinity', 'the accept-nothing point is written as a string');
  assert.equal(roc.fpr.length, roc.tpr.length);
  assert.equal(roc.fpr.length, roc.thresholds.length);
  assert.equal(roc.fpr[roc.fpr.length - 1], 1);
});

test('eval --split all evaluates every example; the table names both families', () => {
  const r = cli('eval', '--model', model, '--backend', 'wasm', '--split', 'all', '--pairs', '500', '--no-report');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /10000 examples/);
  for (const s of ['verification on 500 pairs', 'AUC', 'EER', "bundle's threshold", 'TAR at FAR=1e-3', 'precision@1', 'MAP@R', 'recall@10']) {
    assert.ok(r.stdout.includes(s), `table has '${s}':\n${r.stdout}`);
  }
});

test('a bundle without training.split falls back to the run metrics.json for held-out classes', async () => {
  const copy = path.join(tmp, 'old-run');
  await fs.cp(path.dirname(model), copy, { recursive: true });
  const dir = path.join(copy, 'model');
  const m = await readManifest(dir);
  const { split: _split, ...training } = m.training as Record<string, unknown>;
  await updateManifest(dir, { training: training as typeof m.training });
  const r = cli('eval', '--model', dir, '--backend', 'wasm', '--json', '--no-report');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.runSplit.holdoutClasses, [8, 9]);
  assert.equal(out.runSplit.source, 'metrics.json');
  assert.ok(Math.abs(out.verification.auc - metrics.verification.auc) < 1e-9);
});

test('a pairs: dataset gives verification only', async () => {
  const mnist = loadMnist();
  const dir = path.join(tmp, 'pairs');
  await fs.mkdir(dir);
  // rows of digits 0 (first block) and 1 (second block)
  const start1 = mnist.labels.indexOf(1);
  const rows = [0, 1, 2, 3, 4, 5, start1, start1 + 1, start1 + 2, start1 + 3, start1 + 4, start1 + 5];
  for (const i of rows) {
    const px = Buffer.from(Array.from(mnist.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
    await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path.join(dir, `${i}.png`));
  }
  const lines = ['a,b,label'];
  for (let p = 0; p < rows.length; p++) {
    for (let q = p + 1; q < rows.length; q++) lines.push(`${rows[p]}.png,${rows[q]}.png,${(p < 6) === (q < 6) ? 0 : 1}`);
  }
  await fs.writeFile(path.join(dir, 'pairs.csv'), lines.join('\n') + '\n');
  const r = cli('eval', '--model', model, '--backend', 'wasm', '--json', '--dataset', `pairs:${path.join(dir, 'pairs.csv')}`, '--split', 'all', '--no-report');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.retrieval, null);
  assert.equal(out.verification.pairs, lines.length - 1);
  assert.equal(out.verification.positives, 30);
  assert.ok(out.verification.auc > 0.5, `0s vs 1s separate: auc ${out.verification.auc}`);
});

test('eval errors: one line naming the problem', async () => {
  assertOneLineError(cli('eval', '--model', path.join(tmp, 'nope'), '--backend', 'wasm'), 'contrastive: error:', path.join(tmp, 'nope'), 'does not exist');
  assertOneLineError(cli('eval', '--model', model, '--backend', 'wasm', '--dataset', 'bogus'), "unknown dataset 'bogus'");
  assertOneLineError(cli('eval', '--model', model, '--split', 'holdout'), "'holdout'", 'train, validation, test, all');

  // a bundle whose input is 8x8 cannot take 28x28 MNIST digits
  const small = path.join(tmp, 'small');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [8, 8, 1], hidden: [8], embeddingDim: 4, seed: 1 }));
  await saveBundle(small, net);
  net.dispose();
  assertOneLineError(cli('eval', '--model', small, '--backend', 'wasm', '--dataset', 'mnist'), 'shape [28,28,1]', 'takes [8,8,1]');
  assertOneLineError(cli('eval', '--model', small, '--backend', 'wasm'), '--dataset is required');
});

test("eval's verification figures match an independent scoring: plain float64 distances and a pair-counting AUC", async () => {
  const { loadBundle } = await import('../../packages/node/src/models/bundle.js');
  const { splitDataset } = await import('../../packages/contrastive/src/data/index.js');
  const { drawHeldOutPairs } = await import('../../packages/contrastive/src/eval/held-out-pairs.js');
  const { HELD_OUT_PAIRS } = await import('../../packages/contrastive/src/train/choices.js');
  const r = evalTestSplit();
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout).verification;
  const { network } = await loadBundle(model);
  const { test: split } = splitDataset(loadMnist(), { seed: 7, validation: 0.1, test: 0.2, holdoutClasses: [8, 9] });
  const pairs = drawHeldOutPairs(split, v.pairs, 7 ^ HELD_OUT_PAIRS.testSalt);
  const emb = await network.embedBatched(split.x);
  const d = network.embeddingDim;
  const dist = Array.from(pairs.labels, (_, k) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (emb[pairs.i[k] * d + c] - emb[pairs.j[k] * d + c]) ** 2;
    return Math.sqrt(s);
  });
  // AUC = P(a dissimilar pair is farther than a similar one), ties counting one half.
  const pos = dist.filter((_, k) => pairs.labels[k] === 0).sort((a, b) => a - b);
  const neg = dist.filter((_, k) => pairs.labels[k] === 1);
  let wins = 0;
  for (const x of neg) {
    let lo = 0;
    let hi = pos.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pos[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    let eq = lo;
    while (eq < pos.length && pos[eq] === x) eq++;
    wins += lo + (eq - lo) / 2;
  }
  const auc = wins / (pos.length * neg.length);
  assert.ok(Math.abs(auc - v.auc) < 1e-4, `independent AUC ${auc} vs eval ${v.auc}`);
  const correct = dist.filter((x, k) => (x <= v.threshold ? 0 : 1) === pairs.labels[k]).length;
  assert.ok(Math.abs(correct / dist.length - v.accuracy) < 2e-3, `independent accuracy ${correct / dist.length} vs eval ${v.accuracy}`);
  network.dispose();
});
