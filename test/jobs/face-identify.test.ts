import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadFaceEngine, describeFaces, verifyFaces, pretrainedFaceModel, type FaceEngine } from '../../packages/faces/src/index.js';
import { enrollFaces, identifyFace } from '../../packages/cli/src/jobs/face-identify.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { testFaceSet, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';

let set: TestFaceSet;
let engine: FaceEngine;
let tmp: string;
/** Identities whose three images all hold exactly one face for the test engine. */
let people: number[];

before(async () => {
  await initBackend('wasm');
  set = await testFaceSet();
  engine = await loadFaceEngine(TEST_ENGINE);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-face-index-'));
  people = [];
  for (let id = 0; id < set.files.length && people.length < 4; id++) {
    let ok = true;
    for (const f of set.files[id]) ok &&= (await describeFaces(f, { engine, cache: set.cache })).faces.length === 1;
    if (ok) people.push(id);
  }
});

after(() => fs.rm(tmp, { recursive: true, force: true }));

test('enrol three people, identify a new photo of one, and an unenrolled person as unknown', async () => {
  const index = path.join(tmp, 'people.sqlite');
  const opts = { engine, cache: set.cache };
  for (const id of people.slice(0, 3)) {
    const r = await enrollFaces(index, set.identities[id], set.files[id].slice(0, 2), opts);
    assert.equal(r.added.length, 2);
    assert.equal(r.enrolled, 2);
  }
  const who = await identifyFace(index, set.files[people[1]][2], { ...opts, k: 3 });
  assert.equal(who.name, set.identities[people[1]], `nearest ${JSON.stringify(who.neighbours)}`);
  assert.ok(who.distance <= who.threshold && who.probability! > 0.5);
  assert.equal(who.neighbours.length, 3);
  // The index ranks by the same Euclidean distance verification uses.
  const nearestFile = who.neighbours[0].source!;
  const v = await verifyFaces(set.files[people[1]][2], nearestFile, { model: pretrainedFaceModel(), engine, cache: set.cache });
  assert.ok(Math.abs(v.distance - who.distance) < 1e-5, `${v.distance} vs ${who.distance}`);
  assert.ok(who.neighbours[0].distance <= who.neighbours[1].distance);
  const stranger = await identifyFace(index, set.files[people[3]][0], opts);
  assert.equal(stranger.name, null, `a person never enrolled is unknown (distance ${stranger.distance})`);
  assert.ok(stranger.distance > stranger.threshold);
  // A lower threshold makes even a known person unknown.
  const strict = await identifyFace(index, set.files[people[1]][2], { ...opts, threshold: who.distance / 2 });
  assert.equal(strict.name, null);
});

test('enrolment is all or nothing; bad inputs give clear errors', async () => {
  const index = path.join(tmp, 'strict.sqlite');
  const opts = { engine, cache: set.cache };
  const [a, b] = set.files[people[0]];
  await enrollFaces(index, 'ann', [a], opts);
  await assert.rejects(enrollFaces(index, 'ann', [b, a], opts), /is enrolled already \(as 'ann'/);
  const text = path.join(tmp, 'notes.txt.jpg');
  await fs.writeFile(text, 'text');
  await assert.rejects(enrollFaces(index, 'ann', [b, text], opts), (e: Error) => e instanceof ContrastiveError && e.message.includes(text));
  const again = await enrollFaces(index, 'ann', [b], opts);
  assert.equal(again.enrolled, 2, 'the failed calls added nothing');
  await assert.rejects(enrollFaces(index, ' ', [b], opts), /name must be a non-empty string/);
  await assert.rejects(identifyFace(path.join(tmp, 'absent.sqlite'), a, opts), (e: Error) => e instanceof ContrastiveError && e.code === 'NOT_FOUND');
});

test('enrol photos without a face: an error naming each, nothing enrolled; skipNoFace enrols the others and lists the skipped', async () => {
  const index = path.join(tmp, 'blanks.sqlite');
  const opts = { engine, cache: set.cache };
  const blanks = [path.join(tmp, 'blank-1.png'), path.join(tmp, 'blank-2.png')];
  await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 120, g: 120, b: 120 } } }).png().toFile(blanks[0]);
  await sharp({ create: { width: 180, height: 180, channels: 3, background: { r: 60, g: 60, b: 60 } } }).png().toFile(blanks[1]);
  const [a, b] = set.files[people[2]];
  await assert.rejects(
    enrollFaces(index, 'cat', [a, blanks[0], b, blanks[1]], opts),
    (e: unknown) =>
      e instanceof ContrastiveError &&
      e.message.includes(`2 of 4 photos hold no face the tiny detector (input 320, min score 0.5, photos up to 1920 px) finds: ${blanks[0]}, ${blanks[1]}`) &&
      e.message.includes('nothing was enrolled; leave them out with --skip-no-face'),
  );
  await assert.rejects(fs.access(index), 'no index was created');
  const progress: number[] = [];
  const r = await enrollFaces(index, 'cat', [a, blanks[0], b, blanks[1]], { ...opts, skipNoFace: true, onProgress: (p) => progress.push(p.done) });
  assert.equal(r.added.length, 2);
  assert.deepEqual(r.skipped, blanks.map((file) => ({ file, reason: 'no face found' })));
  assert.deepEqual(progress, [1, 2, 3, 4]);
  assert.equal(r.detector, 'tiny detector (input 320, min score 0.5, photos up to 1920 px)');
  assert.match(r.warnings[0], /augmented crops of six sample photos/);
  await assert.rejects(enrollFaces(index, 'cat', blanks, { ...opts, skipNoFace: true }), /2 of 2 photos hold no face .*nothing to enrol/);
  const who = await identifyFace(index, set.files[people[2]][2], opts);
  assert.equal(who.detector, r.detector);
  assert.equal(who.name === null, who.probability! < 0.5, 'the verdict and p(same) agree');
});

test('face calibrate on your own people: identity-disjoint threshold, p = 0.5 at it, warnings on few people', async () => {
  const { calibrateFaces } = await import('../../packages/cli/src/jobs/face-calibrate.js');
  const r = await calibrateFaces(set.dir, { engine, cache: set.cache, skipNoFace: true, onProgress: () => undefined });
  assert.equal(r.model, 'pretrained');
  assert.equal(r.written, null);
  assert.equal(r.previousThreshold, 0.4749);
  assert.ok(r.identities >= 20 && r.folds.length === 5, `${r.identities} people, ${r.folds.length} folds`);
  assert.ok(r.accuracy > 0.9 && r.threshold > 0.2 && r.threshold < 0.8, `accuracy ${r.accuracy} at ${r.threshold}`);
  assert.ok(Math.abs(r.platt.b + r.platt.a * r.threshold) < 1e-9);
  assert.equal(r.detector, 'tiny detector (input 320, min score 0.5, photos up to 1920 px)');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.images + r.skipped.length, set.files.flat().length);
  // four people: a threshold, and the warning that four people say little
  const few = path.join(tmp, 'four-people');
  for (const id of people.slice(0, 4)) {
    await fs.mkdir(path.join(few, set.identities[id]), { recursive: true });
    for (const f of set.files[id]) await fs.copyFile(f, path.join(few, set.identities[id], path.basename(f)));
  }
  const small = await calibrateFaces(few, { engine, cache: set.cache });
  assert.equal(small.identities, 4);
  assert.equal(small.folds.length, 2, 'two people a fold');
  assert.match(small.warnings[0], /calibrated on 4 people and \d+ same-person and \d+ different-person pairs \(fewer than 20/);
});
