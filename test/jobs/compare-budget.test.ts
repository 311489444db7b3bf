/** The compare footnote names only the losses that ran. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBudget } from '../../packages/cli/src/jobs/compare-losses.js';

test('compareBudget describes the triplet loss only when it ran, and a mined contrastive loss as mined', () => {
  const only = compareBudget(['contrastive'], undefined, 3, 'one pair per training example', null, 128);
  assert.doesNotMatch(only, /triplet/);
  assert.match(only, /^3 epochs: one pair per training example \(two images per pair\) per epoch in batches of 128 pairs for contrastive$/);
  const all = compareBudget(['contrastive', 'triplet', 'cross-entropy'], undefined, 1, '500 pairs', 500, 64);
  assert.match(all, /^1 epoch: 500 pairs \(1000 images\) per epoch in batches of 64 pairs for contrastive and cross-entropy; the same number of images per epoch in m-per-class batches of about 128 images for triplet, mining triplets \(triplet loss\) inside each batch$/);
  const mined = compareBudget(['contrastive'], 'semi-hard', 2, '500 pairs', 500, 64);
  assert.match(mined, /^2 epochs: 1000 images per epoch in m-per-class batches of about 128 images for contrastive, mining pairs \(contrastive loss\) inside each batch$/);
});
