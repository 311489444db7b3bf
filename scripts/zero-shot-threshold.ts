/**
 * Where a calibrated threshold goes on unseen classes: embeds the validation
 * classes, the held-out classes and 6,000 training-class examples of the
 * Fashion-MNIST 0-4 -> 5-9 split (seed 42, validation classes 0.4, as
 * `train --preset zero-shot` splits it) with a bundle (or the untrained cnn read
 * under the head), and writes them with the run's validation and test pairs to
 * OUT for scripts/zero-shot-threshold.py, which compares threshold rules
 * (docs/results/zero-shot.md, round 3).
 *
 *   node --conditions=contrastive-source --import tsx scripts/zero-shot-threshold.ts BUNDLE_DIR|untrained OUT
 *   python3 scripts/zero-shot-threshold.py OUT [COHORT_SIZE]   (numpy: apt-get install python3-numpy)
 */
import { initBackend } from '../packages/node/src/engine/backend.js';
import { loadDataset } from '../packages/node/src/data/index.js';
import { loadBundle } from '../packages/node/src/models/bundle.js';
import type { LabelledDataset } from '../packages/contrastive/src/data/types.js';
import { drawHeldOutPairs } from '../packages/contrastive/src/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from '../packages/contrastive/src/train/choices.js';
import { SiameseNetwork } from '../packages/contrastive/src/models/index.js';
import { parseReadout } from '../packages/contrastive/src/models/readout.js';
import { buildEncoder } from '../packages/cli/src/jobs/run-training.js';
import { splitDataset, subsetDataset } from '../packages/contrastive/src/data/index.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';
import fs from 'node:fs';
const [bundleDir, out] = process.argv.slice(2);
const seed = 42;
await initBackend('auto');
const data = (await loadDataset('fashion-mnist')) as LabelledDataset;
const parts = splitDataset(data, { seed, holdoutClasses: [5, 6, 7, 8, 9], validationClasses: 0.4 });
const net = bundleDir !== 'untrained' ? (await loadBundle(bundleDir)).network : new SiameseNetwork(buildEncoder('cnn', data.inputShape, {}, seed), { normalize: true, readout: parseReadout('under-head') });
fs.mkdirSync(out, { recursive: true });
const valPairs = drawHeldOutPairs(parts.validation, HELD_OUT_PAIRS.validation, seed ^ HELD_OUT_PAIRS.validationSalt);
const testPairs = drawHeldOutPairs(parts.test, HELD_OUT_PAIRS.test, seed ^ HELD_OUT_PAIRS.testSalt);
const rng = new Rng(3);
const trainPick = Int32Array.from(rng.shuffle(Array.from({ length: parts.train.labels.length }, (_, i) => i)).slice(0, 6000)).sort();
const trainSub = subsetDataset(parts.train, trainPick);
for (const [name, d] of [['val', parts.validation], ['test', parts.test], ['train', trainSub]] as const) {
  const t0 = Date.now();
  const e = await net.embedBatched(d.x);
  fs.writeFileSync(`${out}/${name}.f32`, Buffer.from(e.buffer));
  fs.writeFileSync(`${out}/${name}.labels.i32`, Buffer.from(Int32Array.from(d.labels).buffer));
  console.log(name, d.labels.length, (Date.now() - t0) / 1000);
}
for (const [name, p] of [['valpairs', valPairs], ['testpairs', testPairs]] as const) {
  fs.writeFileSync(`${out}/${name}.json`, JSON.stringify({ i: Array.from(p.i), j: Array.from(p.j), labels: Array.from(p.labels) }));
}
console.log('dim', net.embeddingDim);
