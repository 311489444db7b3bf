import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, assertOneLineError } from '../support/cli.js';

// No HTML reports here (an embedding map each): what they hold is test/integration/report-browser's.

interface Metrics {
  encoder: string;
  holdoutClasses: number[];
  validationClasses: number[];
  split: { train: number; validation: number; test: number };
  verification: { accuracy: number; bestAccuracy: number; threshold: number };
  heldOutClasses?: { verification: { accuracy: number; bestAccuracy: number; threshold: number; auc: number }; retrieval: { mapAtR: number; queries: number } };
}

const readMetrics = (out: string): Metrics => JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Metrics;

test('train --validation-classes: class-disjoint split, held-out-class figures at the validation threshold, eval re-splits the same way', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-zero-shot-'));
  // The split and the figures' plumbing are the point, not the encoder: the mlp trains in a fraction of the cnn's time.
  const r = cli('train', '--holdout-classes', '8,9', '--validation-classes', '6,7', '--encoder', 'mlp', '--epochs', '1', '--pairs-per-epoch', '600',
    '--miner', 'all', '--memory-size', '512', '--pos-margin', '0.05', '--out', out, '--no-report', '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = readMetrics(out);
  assert.deepEqual(m.holdoutClasses, [8, 9]);
  assert.deepEqual(m.validationClasses, [6, 7]);
  // the bundled MNIST digits: 10,000 examples, every one in exactly one split
  assert.equal(m.split.train + m.split.validation + m.split.test, 10000);
  const held = m.heldOutClasses!;
  assert.equal(held.retrieval.queries, m.split.test); // test = the held-out classes only
  assert.equal(held.verification.threshold, m.verification.threshold);
  assert.ok(held.verification.bestAccuracy >= held.verification.accuracy);
  assert.ok(held.verification.auc > 0.5, `held-out AUC ${held.verification.auc}`);
  const manifest = JSON.parse(readFileSync(path.join(out, 'model', 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.training.split.validationClasses, [6, 7]);
  // eval re-makes the run's class-disjoint validation split
  const ev = cli('eval', '--model', path.join(out, 'model'), '--split', 'validation', '--no-report', '--json');
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout.trim().split('\n').at(-1)!) as { examples?: number; verification: { pairs: number } }).verification.pairs > 0, true);
});

test('train --preset zero-shot: the preset fills the options not given; errors are one line', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-preset-'));
  const r = cli('train', '--preset', 'zero-shot', '--encoder', 'mlp', '--holdout-classes', '8,9', '--epochs', '1', '--pairs-per-epoch', '400', '--out', out, '--no-report', '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = readMetrics(out);
  assert.equal(m.encoder, 'mlp'); // given explicitly: wins over the preset's cnn
  assert.equal(m.validationClasses.length, 3); // the preset's 0.4 of the 8 classes not held out
  assertOneLineError(cli('train', '--validation-classes', '6,7', '--epochs', '1'), /--validation-classes needs --holdout-classes/);
  assertOneLineError(cli('train', '--holdout-classes', '8,9', '--validation-classes', '7,9', '--epochs', '1'), /class 9 is also a held-out class/);
  assertOneLineError(cli('train', '--holdout-classes', '9', '--validation-classes', '7,8', '--epochs', '1'), /at least 2 holdoutClasses/);
  assertOneLineError(cli('train', '--preset', 'fast'), /fast/);
  assertOneLineError(cli('train', '--memory-size', '64', '--epochs', '1'), /a cross-batch memory needs the contrastive loss with an in-batch miner \(--memory-size adds pairs to the ones --miner mines\)/);
});
