import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import {
  loadFaceEngine, describeFaces, detectFaces, chooseFace, verifyFaces, calibrateFaceThreshold, pretrainedFaceModel,
  FaceCache, PRETRAINED_FACE_CALIBRATION, type FaceEngine,
} from '../../packages/faces/src/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { testFaceSet, samplePhotos, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';

let set: TestFaceSet;
let engine: FaceEngine;
let x: Float32Array;
let labels: Int32Array;
let tmp: string;

before(async () => {
  await initBackend('wasm');
  set = await testFaceSet();
  engine = await loadFaceEngine(TEST_ENGINE);
  const rows: number[] = [];
  const desc: number[] = [];
  for (let id = 0; id < set.files.length; id++) {
    for (const file of set.files[id]) {
      const found = await describeFaces(file, { engine, cache: set.cache });
      if (found.faces.length === 1) {
        rows.push(id);
        desc.push(...found.faces[0].descriptor);
      }
    }
  }
  labels = Int32Array.from(rows);
  x = Float32Array.from(desc);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-faces-'));
});

function dist(i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < 128; c++) s += (x[i * 128 + c] - x[j * 128 + c]) ** 2;
  return Math.sqrt(s);
}


after(() => fs.rm(tmp, { recursive: true, force: true }));

test('the SSD detector finds the 22 faces of the six sample photos', () => {
  assert.deepEqual(set.sampleFaces, [3, 3, 3, 4, 5, 4]);
  assert.equal(set.identities.length, 22);
});

test('the tiny detector finds exactly one face in nearly every augmented crop', () => {
  const images = set.files.flat().length;
  assert.ok(labels.length >= 0.8 * images, `${labels.length} of ${images} crops described`);
  assert.ok(new Set(labels).size >= 20, 'almost every identity keeps an image');
});

test('descriptors are stable under augmentation and apart across people', () => {
  const same: number[] = [];
  const diff: number[] = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) (labels[i] === labels[j] ? same : diff).push(dist(i, j));
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(same) < 0.3, `mean same-face distance ${mean(same)}`);
  assert.ok(mean(diff) > 0.6, `mean different-face distance ${mean(diff)}`);
  // The calibrated default accepts fewer different people than the customary 0.6.
  const at = (t: number): number => diff.filter((d) => d <= t).length;
  assert.ok(at(PRETRAINED_FACE_CALIBRATION.threshold) < at(0.6), `false accepts ${at(PRETRAINED_FACE_CALIBRATION.threshold)} vs ${at(0.6)} at 0.6`);
  const tar = same.filter((d) => d <= PRETRAINED_FACE_CALIBRATION.threshold).length / same.length;
  assert.ok(tar > 0.9, `true accept rate at the default threshold ${tar}`);
});

test('identity-disjoint calibration on this set agrees with the shipped default', () => {
  const cal = calibrateFaceThreshold(x, labels, { folds: 5, seed: 3 });
  assert.equal(cal.folds.length, 5);
  assert.ok(cal.accuracy > 0.9, `held-out accuracy ${cal.accuracy}`);
  assert.ok(Math.abs(cal.threshold - PRETRAINED_FACE_CALIBRATION.threshold) < 0.12, `threshold ${cal.threshold} vs default ${PRETRAINED_FACE_CALIBRATION.threshold}`);
  assert.ok(cal.platt.a > 0, 'p(same) falls with the distance');
  // the fit passes through 0.5 at the threshold: the verdict and p(same) never disagree
  assert.ok(Math.abs(cal.platt.b + cal.platt.a * cal.threshold) < 1e-9, `p(same | threshold) = 0.5: a ${cal.platt.a}, b ${cal.platt.b}`);
  assert.equal(cal.pairs.similar, cal.pairs.dissimilar);
  assert.equal(cal.identities, new Set(labels).size);
  assert.deepEqual(cal.warnings, [], `${cal.identities} people and ${cal.pairs.similar} pairs of each kind are enough`);
  // four people, as a face run's validation split holds: the calibration says it rests on too few
  const four = new Set([...new Set(labels)].slice(0, 4));
  const few = Array.from(labels.keys()).filter((i) => four.has(labels[i]));
  const small = calibrateFaceThreshold(Float32Array.from(few.flatMap((i) => Array.from(x.subarray(i * 128, (i + 1) * 128)))), Int32Array.from(few, (i) => labels[i]), { folds: 2 });
  assert.equal(small.identities, 4);
  assert.equal(small.warnings.length, 1);
  assert.match(small.warnings[0], /^the threshold was calibrated on 4 people and \d+ same-person and \d+ different-person pairs \(fewer than 20 people or 20 pairs of each kind\).*face calibrate --dataset faces:DIR/);
  // Same seed, same answer.
  assert.deepEqual(calibrateFaceThreshold(x, labels, { folds: 5, seed: 3 }), cal);
  assert.throws(() => calibrateFaceThreshold(x, labels, { folds: 100 }), /folds must be an integer in \[2, \d+\]/);
});

test('the cache returns the stored descriptors, keyed by content and pipeline', async () => {
  const file = set.files[0][0];
  const cache = new FaceCache(path.join(tmp, 'cache'));
  const first = await describeFaces(file, { engine, cache });
  assert.equal(first.cached, false);
  const copy = path.join(tmp, 'renamed.jpg');
  await fs.copyFile(file, copy);
  const second = await describeFaces(copy, { engine, cache });
  assert.equal(second.cached, true, 'same bytes under another name hit the cache');
  assert.deepEqual(second.faces, first.faces);
  const other = await describeFaces(copy, { engine, cache, maxSide: 256 });
  assert.equal(other.cached, false, 'another pipeline setting is another entry');
});

test('verifyFaces: same identity accepted, another rejected, boxes reported', async () => {
  const model = pretrainedFaceModel({ pipeline: TEST_ENGINE });
  const [a0, a1] = set.files[0];
  const same = await verifyFaces(a0, a1, { model, engine, cache: set.cache });
  assert.equal(same.same, true, `distance ${same.distance}`);
  assert.equal(same.threshold, PRETRAINED_FACE_CALIBRATION.threshold);
  assert.ok(same.probability! > 0.5);
  assert.equal(same.faces.a.length, 1);
  const other = await verifyFaces(a0, set.files[5][0], { model, engine, cache: set.cache });
  assert.equal(other.same, false, `distance ${other.distance}`);
  assert.ok(other.probability! < 0.5);
});

test('bad inputs: no face, several faces, not an image, tiny image, missing file', async () => {
  const grey = path.join(tmp, 'grey.png');
  await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 120, g: 120, b: 120 } } }).png().toFile(grey);
  const tiny = path.join(tmp, 'tiny.png');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(tiny);
  const text = path.join(tmp, 'notes.jpg');
  await fs.writeFile(text, 'not a photo');
  const face = set.files[0][0];
  const opts = { model: pretrainedFaceModel({ pipeline: TEST_ENGINE }), engine, cache: false as const };
  await assert.rejects(verifyFaces(grey, face, opts), (e: Error) => e instanceof ContrastiveError && e.message.includes(grey) && /no face found/.test(e.message));
  await assert.rejects(verifyFaces(tiny, face, opts), (e: Error) => e instanceof ContrastiveError && e.message.includes(tiny) && /too small/.test(e.message));
  await assert.rejects(verifyFaces(text, face, opts), (e: Error) => e instanceof ContrastiveError && e.message.includes(text) && /not a readable image/.test(e.message));
  await assert.rejects(verifyFaces(path.join(tmp, 'none.jpg'), face, opts), (e: Error) => e instanceof ContrastiveError && e.code === 'NOT_FOUND');
  // Several faces: the choice is required, and the message lists the boxes.
  const photo = samplePhotos()[0];
  const found = await describeFaces(photo, { engine: await loadFaceEngine(), cache: set.cache });
  assert.throws(() => chooseFace(found, undefined, '--face-a'), (e: Error) => /3 faces found, choose one with --face-a N/.test(e.message) && e.message.includes(photo) && /0: \d+,\d+ \d+x\d+/.test(e.message));
  assert.throws(() => chooseFace(found, 3, '--face-a'), /--face-a 3 is out of range: 3 faces found/);
  assert.equal(chooseFace(found, 2).box.x, found.faces[2].box.x);
  assert.ok(found.faces[0].box.x < found.faces[1].box.x && found.faces[1].box.x < found.faces[2].box.x, 'faces are numbered left to right');
});

test('detectFaces works on an image in memory', async () => {
  const { data, info } = await sharp(set.files[1][0]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const boxes = await detectFaces({ data: new Uint8Array(data), width: info.width, height: info.height }, { engine });
  assert.equal(boxes.length, 1);
  assert.ok(boxes[0].score >= 0.5 && boxes[0].width > 40);
  await assert.rejects(detectFaces({ data: new Uint8Array(10), width: 5, height: 5 }, { engine }), /image.data has 10 bytes/);
});
