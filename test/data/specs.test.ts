/** Dataset specs with paths are recorded absolute, so a bundle names its data from any directory. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteDatasetSpec, datasetKind } from '../../packages/node/src/data/specs.js';

test('absoluteDatasetSpec resolves folder:, idx: and pairs: paths; mnist and fashion-mnist stay as they are', () => {
  assert.equal(absoluteDatasetSpec('folder:digits', '/work/x'), 'folder:/work/x/digits');
  assert.equal(absoluteDatasetSpec('idx:../data', '/work/x'), 'idx:/work/data');
  assert.equal(absoluteDatasetSpec('pairs:/abs/p.csv', '/work/x'), 'pairs:/abs/p.csv');
  assert.equal(absoluteDatasetSpec('mnist', '/work/x'), 'mnist');
  assert.equal(absoluteDatasetSpec('fashion-mnist', '/work/x'), 'fashion-mnist');
  assert.equal(absoluteDatasetSpec('folder:', '/work/x'), 'folder:');
  assert.equal(datasetKind('folder:a:b'), 'folder');
});
