/**
 * A folder too small for the split: the error names the part, the classes too
 * small to reach it and the size a class needs, instead of the pair sampler's
 * "labels hold no class".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { checkHeldOutParts, splitDataset } from '../../packages/contrastive/src/data/index.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

let tmp = '';
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'small-split-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

/** A dataset of classes with these sizes (one value per example). */
function classes(sizes: number[], names?: string[]): LabelledDataset {
  const labels = Int32Array.from(sizes.flatMap((n, c) => Array<number>(n).fill(c)));
  return { name: 'folder:/data/shoes', inputShape: [1], x: Float32Array.from(labels), labels, numClasses: sizes.length, ...(names ? { classNames: names } : {}) };
}

test('checkHeldOutParts: enough examples per class passes; a short class is named with the size it needs', () => {
  const big = classes([20, 20]);
  checkHeldOutParts(big, splitDataset(big, { seed: 1 }));
  const small = classes([3, 40], ['sandal', 'boot']);
  assert.throws(
    () => checkHeldOutParts(small, splitDataset(small, { seed: 1 }), 'runTraining'),
    (e: unknown) =>
      e instanceof ContrastiveError &&
      e.code === 'INVALID_DATA' &&
      e.message.startsWith("runTraining: 'folder:/data/shoes' is too small for its validation split (0.1 of each class): it holds examples of one class only ('boot')") &&
      e.message.includes('a class needs 5+ examples to reach it and 15+ to give a same-class pair') &&
      e.message.includes("short: 'sandal' (3 examples, 0 in validation)"),
  );
  // both classes reach validation but neither with two examples: no similar pair there
  const thin = classes([6, 6]);
  assert.throws(() => checkHeldOutParts(thin, splitDataset(thin, { seed: 1 })), /validation split \(0\.1 of each class\): no class has two examples in it.*short: '0' \(6 examples, 1 in validation\), '1' \(6 examples, 1 in validation\)/);
  // the test part, at its own fraction
  const tiny = classes([15, 15]);
  assert.throws(() => checkHeldOutParts(tiny, splitDataset(tiny, { seed: 1, validation: 0.2, test: 0.05 })), /too small for its test split \(0\.05 of each class\).*needs 10\+ examples to reach it and 30\+/);
});

test('train on a folder of 3 images per class: one clear error naming the classes, before any training', async () => {
  const dir = path.join(tmp, 'folder');
  for (const c of ['cat', 'dog']) {
    await fs.mkdir(path.join(dir, c), { recursive: true });
    for (let i = 0; i < 3; i++) await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: c === 'cat' ? 0 : 200, b: 90 } } }).png().toFile(path.join(dir, c, `${i}.png`));
  }
  await assert.rejects(
    runTraining({ dataset: `folder:${dir}`, out: path.join(tmp, 'run'), backend: 'wasm', report: false, train: { epochs: 1 } }),
    (e: unknown) =>
      e instanceof ContrastiveError &&
      /is too small for its validation split \(0\.1 of each class\): it holds no example\. .*short: 'cat' \(3 examples, 0 in validation\), 'dog' \(3 examples, 0 in validation\)\. Add examples to those classes/.test(e.message) &&
      !/labels hold no class/.test(e.message),
  );
});
