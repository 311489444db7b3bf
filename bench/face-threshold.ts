/**
 * Calibrates the default threshold of the pretrained face descriptor
 * (src/faces/pretrained.ts) on the augmented sample face set, with
 * identity-disjoint 5-fold cross-validation, and prints the constants.
 *
 *   node --conditions=contrastive-source --import tsx bench/face-threshold.ts [--per-identity 6] [--detector ssd|tiny]
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildFaceSet } from '../test/support/face-set.js';
import { loadFaceEngine, describeFaces, calibrateFaceThreshold, FaceCache, type FaceDetectorName } from '../packages/faces/src/index.js';

const { values } = parseArgs({ options: { 'per-identity': { type: 'string', default: '6' }, detector: { type: 'string', default: 'ssd' }, seed: { type: 'string', default: '1' } } });
const per = Number(values['per-identity']);
const seed = Number(values.seed);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'face-threshold-'));
const cache = new FaceCache(path.join(dir, 'cache'));
const t0 = performance.now();
const set = await buildFaceSet({ dir: path.join(dir, 'set'), perIdentity: per, seed, engine: await loadFaceEngine(), cache });
const engine = await loadFaceEngine({ detector: values.detector as FaceDetectorName });
const rows: number[] = [];
const desc: number[] = [];
let missed = 0;
let images = 0;
for (let id = 0; id < set.files.length; id++) {
  for (const file of set.files[id]) {
    images++;
    const found = await describeFaces(file, { engine, cache });
    if (found.faces.length !== 1) {
      missed++;
      continue;
    }
    rows.push(id);
    desc.push(...found.faces[0].descriptor);
  }
}
const labels = Int32Array.from(rows);
const x = Float32Array.from(desc);
const cal = calibrateFaceThreshold(x, labels, { folds: 5, seed });
// The customary threshold of face-api on the same pairs, for comparison.
let fa = 0;
let neg = 0;
for (let a = 0; a < labels.length; a++) for (let b = a + 1; b < labels.length; b++) {
  if (labels[a] === labels[b]) continue;
  let s = 0;
  for (let c = 0; c < 128; c++) s += (x[a * 128 + c] - x[b * 128 + c]) ** 2;
  neg++;
  if (Math.sqrt(s) <= 0.6) fa++;
}
console.log(JSON.stringify({
  engine: engine.id,
  identities: set.identities.length,
  images,
  describedImages: labels.length,
  noOrSeveralFaces: missed,
  threshold: cal.threshold,
  platt: cal.platt,
  kfoldAccuracy: cal.accuracy,
  folds: cal.folds,
  pairs: cal.pairs,
  falseAcceptsAt06: `${fa} of ${neg} different-identity pairs`,
  seconds: Math.round((performance.now() - t0) / 1000),
}, null, 1));
await fs.rm(dir, { recursive: true, force: true });
