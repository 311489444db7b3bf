/**
 * faces:DIR is a dataset kind the faces package registers (as signatures:DIR is):
 * the generic loader reaches loadFaceDataset, and the jobs that split a dataset by
 * photo refuse a face dataset, naming the ones that split it by person.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset, DATASET_SPECS } from '../../packages/node/src/data/index.js';
import '../../packages/faces/src/index.js';
import { marginSweep } from '../../packages/cli/src/jobs/margin-sweep.js';
import { compareLosses } from '../../packages/cli/src/jobs/compare-losses.js';
import { refuseFaceDataset } from '../../packages/cli/src/jobs/face-train.js';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-face-kind-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

test('loadDataset(faces:DIR) runs the face loader registered by @contrastive/faces', async () => {
  assert.ok(DATASET_SPECS.includes('faces:DIR'));
  await assert.rejects(loadDataset(`faces:${path.join(tmp, 'absent')}`), /^ContrastiveError: loadFaceDataset: .*absent: no such folder/);
  await assert.rejects(loadDataset(`faces:${tmp}`), /loadFaceDataset: .* has no person sub-folder with images/);
  await assert.rejects(loadDataset('faces:'), /'faces:' needs an argument \(form faces:DIR\)/);
});

test('jobs that split by photo refuse faces:DIR before writing anything', async () => {
  const spec = `faces:${tmp}`;
  const said = /is a face dataset: it splits by person, which 'contrastive train --dataset faces:DIR' \(trainFaceModel\) and 'contrastive face calibrate' do/;
  await assert.rejects(marginSweep({ dataset: spec, out: path.join(tmp, 'm') }), (e: Error) => e.message.startsWith('margin: ') && said.test(e.message));
  await assert.rejects(compareLosses({ dataset: spec, out: path.join(tmp, 'c') }), (e: Error) => e.message.startsWith('compare: ') && said.test(e.message));
  assert.ok(!existsSync(path.join(tmp, 'm')) && !existsSync(path.join(tmp, 'c')));
  assert.throws(() => refuseFaceDataset(spec, 'eval'), /^ContrastiveError: eval: /);
  assert.doesNotThrow(() => refuseFaceDataset('mnist', 'eval'));
});
