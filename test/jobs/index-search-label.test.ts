/**
 * `index search --label`: labels are compared exactly; a label no item
 * carries is an error listing the index's labels (and the one that differs
 * only in case), not an empty answer that reads as "no neighbours".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { searchIndexByVectors } from '../../packages/cli/src/jobs/index-search.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';

let tmp = '';
let file = '';
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'index-label-'));
  file = path.join(tmp, 'clothes.db');
  const items = ['Sneaker', 'Sneaker', 'Bag', 'Ankle boot'].map((label, i) => ({ id: `item ${i}`, label, vector: [i, 1, 0] }));
  await EmbeddingIndex.build(file, { dim: 3, model: { hash: 'label-test' } }, (ix) => ix.add(items));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

test('index search --label: a label in the index restricts the answer', async () => {
  const [a] = await searchIndexByVectors({ index: file, vectors: [{ name: '--vector', values: [0, 1, 0] }], label: 'Sneaker', k: 5 });
  assert.deepEqual(a.results.map((h) => h.label), ['Sneaker', 'Sneaker']);
});

test("index search --label sneaker (stored as 'Sneaker'): an error naming the index's labels and the near match", async () => {
  await assert.rejects(
    searchIndexByVectors({ index: file, vectors: [{ name: '--vector', values: [0, 1, 0] }], label: 'sneaker' }),
    (e: unknown) =>
      e instanceof ContrastiveError &&
      e.code === 'NOT_FOUND' &&
      /no item of .*clothes\.db has the label 'sneaker' \(labels are compared exactly: did you mean 'Sneaker'\?\); its labels: Sneaker \(2\), Ankle boot \(1\), Bag \(1\)/.test(e.message),
  );
  await assert.rejects(searchIndexByVectors({ index: file, vectors: [{ name: '--vector', values: [0, 1, 0] }], label: 'Coat' }), /has the label 'Coat'; its labels: Sneaker/);
});
