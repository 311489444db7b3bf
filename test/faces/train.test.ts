import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { describeFaces, loadFaceDataset, loadFaceEngine, loadFaceModel, verifyFaces, PRETRAINED_FACE_CALIBRATION } from '../../packages/faces/src/index.js';
import { trainFaceModel, splitIdentities } from '../../packages/cli/src/jobs/face-train.js';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';

import { testFaceSet, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';
import { readManifest } from '../../packages/node/src/models/bundle.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import sharp from 'sharp';

let set: TestFaceSet;
let tmp: string;

before(async () => {
  await initBackend('wasm');
  set = await testFaceSet();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-face-train-'));
});

after(() => fs.rm(tmp, { recursive: true, force: true }));

test('faces:DIR: one identity per folder, descriptors as examples, faceless images reported', async () => {
  const engine = await loadFaceEngine(TEST_ENGINE);
  const data = await loadFaceDataset(set.dir, { engine, cache: set.cache, skipNoFace: true });
  assert.deepEqual(data.inputShape, [128]);
  assert.equal(data.classNames!.length, data.numClasses);
  assert.equal(data.labels.length + data.skipped.length, set.files.flat().length, 'every image is used or reported');
  for (const s of data.skipped) assert.match(s.reason, /no face found|faces found/);
  assert.equal(data.pipeline.detector, 'tiny');
  const split = splitIdentities(data, { seed: 1, validationFraction: 0.2, testFraction: 0.2 });
  const people = (d: { labels: Int32Array }): Set<number> => new Set(d.labels);
  const [tr, va, te] = [people(split.train), people(split.validation), people(split.test)];
  for (const p of va) assert.ok(!tr.has(p) && !te.has(p), 'no person in two splits');
  for (const p of te) assert.ok(!tr.has(p));
  assert.equal(tr.size + va.size + te.size, data.numClasses);
  await assert.rejects(loadFaceDataset(path.join(tmp, 'absent'), { engine }), /no such folder/);
});

test('a photo without a face: an error naming every such photo after all are described; skipNoFace leaves them out and lists them', async () => {
  const engine = await loadFaceEngine(TEST_ENGINE);
  // three people whose photos each hold one face, and a blank photo in two of their folders
  const dir = path.join(tmp, 'with-blanks');
  const blank = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 120, g: 120, b: 120 } } }).png().toBuffer();
  let people = 0;
  for (let id = 0; id < set.files.length && people < 3; id++) {
    const files = set.files[id].slice(0, 2);
    const ok = (await Promise.all(files.map((f) => describeFaces(f, { engine, cache: set.cache })))).every((r) => r.faces.length === 1);
    if (!ok) continue;
    const folder = path.join(dir, `person-${people}`);
    await fs.mkdir(folder, { recursive: true });
    for (const f of files) await fs.copyFile(f, path.join(folder, path.basename(f)));
    if (people < 2) await fs.writeFile(path.join(folder, 'zz-blank.png'), blank);
    people++;
  }
  const seen: number[] = [];
  await assert.rejects(
    loadFaceDataset(dir, { engine, cache: set.cache, onImage: (done) => seen.push(done) }),
    (e: unknown) =>
      e instanceof ContrastiveError &&
      e.code === 'INVALID_DATA' &&
      e.message.includes('2 of 8 photos hold no face the tiny detector (input 320, min score 0.5) finds: ') &&
      e.message.includes(path.join(dir, 'person-0', 'zz-blank.png')) &&
      e.message.includes(path.join(dir, 'person-1', 'zz-blank.png')) &&
      e.message.includes('leave them out with { skipNoFace: true }'),
  );
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8], 'every photo was described before the error');
  const data = await loadFaceDataset(dir, { engine, cache: set.cache, skipNoFace: true });
  assert.equal(data.labels.length, 6);
  assert.deepEqual(data.skipped, [0, 1].map((p) => ({ file: path.join(dir, `person-${p}`, 'zz-blank.png'), reason: 'no face found' })));
});

test('training a head on faces:DIR writes a face bundle measured on unseen people beside the raw descriptor', async () => {
  const out = path.join(tmp, 'run');
  const progress: { task: string; done: number; total: number }[] = [];
  const run = await trainFaceModel({ dir: set.dir, engine: TEST_ENGINE, cacheDir: set.cacheDir, out, skipNoFace: true, train: { epochs: 6, seed: 3 }, onProgress: (p) => progress.push(p) });
  const f = run.metrics.faces;
  // describing the photos (minutes on a first run) is reported photo by photo
  const photos = set.files.flat().length;
  assert.deepEqual(progress.map((p) => p.done), Array.from({ length: photos }, (_, k) => k + 1));
  assert.ok(progress.every((p) => p.task === 'describing photos' && p.total === photos));
  // every figure names the detector; a threshold calibrated on a handful of validation people says so
  assert.equal(f.detector, 'tiny detector (input 320, min score 0.5, photos up to 1920 px)');
  assert.equal(f.warnings.length, 1);
  assert.match(f.warnings[0], new RegExp(`^the head's threshold was calibrated on ${f.people.validation} people( and \\d+ same-person and \\d+ different-person pairs)? \\(fewer than 20 people or 20 pairs of each kind\\)`));
  assert.ok(f.people.test >= 2 && f.people.validation >= 2 && f.people.train >= 2);
  for (const s of [f.head, f.descriptor]) {
    assert.ok(s.auc > 0.8 && s.auc <= 1, `AUC ${s.auc}`);
    assert.ok(s.accuracy > 0.6, `accuracy ${s.accuracy}`);
    assert.ok(s.threshold > 0);
  }
  assert.equal(f.descriptorAtDefault.threshold, PRETRAINED_FACE_CALIBRATION.threshold);
  assert.equal(run.metrics.verification.accuracy, f.head.accuracy);
  const metrics = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(run.reportFile, path.join(out, 'report.html'));
  assert.match(await fs.readFile(run.reportFile!, 'utf8'), /raw descriptor, same pairs/);
  assert.equal(metrics.faces.descriptor.auc, f.descriptor.auc);
  // The bundle records the whole pipeline, the threshold and the Platt fit.
  const manifest = await readManifest(run.bundleDir);
  const training = manifest.training as unknown as { facePipeline: { detector: string; tinyInputSize: number }; facePipelineId: string };
  assert.equal(training.facePipeline.detector, 'tiny');
  assert.match(training.facePipelineId, /^face-api@1\.7\.15\/tiny-face-detector/);
  assert.ok(manifest.threshold! > 0 && manifest.calibration!.probability!.a > 0);
  // p(same) = 0.5 at the threshold: a face bundle's verdict and probability never disagree
  const p = manifest.calibration!.probability!;
  assert.ok(Math.abs(p.b + p.a * manifest.threshold!) < 1e-9, `a ${p.a}, b ${p.b}, threshold ${manifest.threshold}`);
  assert.equal((manifest.calibration as { identities?: number }).identities, f.people.validation);
  // The bundle verifies photos with the pipeline it records.
  const model = await loadFaceModel(run.bundleDir);
  try {
    assert.equal(model.pipeline.detector, 'tiny');
    const testPerson = set.files.find((files) => files.some((file) => run.data.sources!.includes(file)))!;
    const r = await verifyFaces(testPerson[0], testPerson[1], { model, cache: set.cache });
    assert.equal(r.threshold, manifest.threshold);
    assert.ok(Number.isFinite(r.distance) && r.probability !== null);
    assert.equal(r.same, r.probability! >= 0.5, `verdict ${r.same} and p(same) ${r.probability} agree`);
    assert.match(r.detector, /^tiny detector/);
    assert.deepEqual(r.warnings, model.warnings, 'the bundle warns wherever it decides');
    assert.match(r.warnings[0], /the threshold of .* was calibrated on \d+ people/);
  } finally {
    model.dispose();
    run.network.dispose();
  }
  await assert.rejects(loadFaceModel(path.join(tmp, 'nothing')), /does not exist/);
});

test('runTraining dispatches faces:DIR and refuses options that do not apply', async () => {
  await assert.rejects(runTraining({ dataset: `faces:${set.dir}`, holdoutClasses: [1] }), /splits by person/);
  await assert.rejects(runTraining({ dataset: `faces:${set.dir}`, encoder: 'cnn' }), /\{ encoder: 'cnn' \} does not apply/);
  await assert.rejects(runTraining({ dataset: `faces:${set.dir}`, out: path.join(tmp, 'y'), train: { loss: 'triplet' } }), /\{ loss: 'triplet' \} is not offered for faces:DIR/);
  await assert.rejects(runTraining({ dataset: `faces:${path.join(tmp, 'absent')}`, out: path.join(tmp, 'x') }), /no such folder/);
  assert.ok(!existsSync(path.join(tmp, 'x', 'model')));
});
