import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, assertOneLineError } from '../support/cli.js';

test('train --validation-folds: fold records in metrics.json, the final model on every seen class, eval re-splits to the held-out classes', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-folds-'));
  const r = cli('train', '--holdout-classes', '7,8,9', '--validation-folds', '2', '--hidden', '16', '--epochs', '1', '--pairs-per-epoch', '300', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.validationFolds.k, 2);
  assert.deepEqual(m.validationFolds.folds.flatMap((f: { classes: number[] }) => f.classes).sort(), [0, 1, 2, 3, 4, 5, 6]);
  // the bundled MNIST digits: the final model trained on every seen digit, the test split is the held-out digits
  assert.equal(m.split.train + m.split.test, 10000);
  assert.equal(m.heldOutClasses.retrieval.queries, m.split.test);
  assert.equal(m.verification.threshold, m.validationFolds.calibration.threshold);
  const manifest = JSON.parse(readFileSync(path.join(out, 'model', 'manifest.json'), 'utf8'));
  assert.equal(manifest.training.split.validationFolds, 2);
  const ev = cli('eval', '--model', path.join(out, 'model'), '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout.trim().split('\n').at(-1)!) as { retrieval: { queries: number } };
  assert.equal(e.retrieval.queries, m.split.test);
});

test('train --validation-folds: what it cannot be combined with is one line', () => {
  assertOneLineError(cli('train', '--validation-folds', '2', '--epochs', '1'), /--validation-folds needs --holdout-classes/);
  assertOneLineError(cli('train', '--holdout-classes', '8,9', '--validation-folds', '2', '--validation-classes', '6,7'), /--validation-folds and --validation-classes are two ways/);
  assertOneLineError(cli('train', '--holdout-classes', '8,9', '--validation-folds', '1'), /--validation-folds.*expected an integer >= 2/);
  assertOneLineError(cli('train', '--holdout-classes', '8,9', '--validation-folds', '2', '--resume', '--out', os.tmpdir()), /--resume does not apply to --validation-folds/);
  assertOneLineError(cli('train', '--holdout-classes', '2,3,4,5,6,7,8,9', '--validation-folds', '2', '--epochs', '1', '--out', path.join(os.tmpdir(), `folds-${process.pid}`)), /--validation-folds 2 is too many for the 2 seen classes/);
});
