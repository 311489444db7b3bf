import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
