/**
 * loadDataset's result type follows its spec, so callers write no casts: a
 * LabelledDataset for mnist, fashion-mnist, idx:, folder: and signatures:, a
 * PairDataset for pairs:, the union for a spec held in a string. The type half is
 * checked by the type-check of the tests (`tsc -p tsconfig.json`); the run half
 * uses the result as the README does, straight into a split and an encoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../packages/node/src/data/load.js';
import { splitDataset, type LabelledDataset, type PairDataset } from '../../packages/contrastive/src/data/index.js';
import { cnnEncoder } from '../../packages/contrastive/src/models/index.js';

/** Never called: the assignments are what the type-check verifies. */
export async function resultTypesFollowTheSpec(spec: string, dir: string): Promise<void> {
  const mnist: LabelledDataset = await loadDataset('mnist');
  const fashion: LabelledDataset = await loadDataset('fashion-mnist', { split: 'test' });
  const idx: LabelledDataset = await loadDataset(`idx:${dir}`);
  const folder: LabelledDataset = await loadDataset(`folder:${dir}`, { width: 32, height: 32 });
  const signatures: LabelledDataset = await loadDataset(`signatures:${dir}`);
  const pairs: PairDataset = await loadDataset(`pairs:${dir}/pairs.csv`);
  const either: LabelledDataset | PairDataset = await loadDataset(spec);
  // @ts-expect-error a spec held in a string may name either kind
  const notKnown: LabelledDataset = await loadDataset(spec);
  // @ts-expect-error pairs: has no class labels
  const notLabelled: LabelledDataset = await loadDataset(`pairs:${dir}/pairs.csv`);
  void [mnist, fashion, idx, folder, signatures, pairs, either, notKnown, notLabelled];
}

test("loadDataset('mnist') goes straight into splitDataset and cnnEncoder, no cast", async () => {
  const data = await loadDataset('mnist');
  const { train } = splitDataset(data, { seed: 1 });
  assert.ok(train.labels.length > 0);
  const encoder = cnnEncoder({ inputShape: data.inputShape, filters: [2], dense: 0, embeddingDim: 4 });
  assert.deepEqual(encoder.spec.inputShape, [28, 28, 1]);
  encoder.model.dispose();
});
