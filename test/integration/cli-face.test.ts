import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, assertOneLineError } from '../support/cli.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { testFaceSet, samplePhotos, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';
import { trainFaceModel } from '../../packages/cli/src/jobs/face-train.js';

// The sample photos' descriptors (default SSD pipeline) are in the test set's cache, so each run is mostly start-up.
let set: TestFaceSet;
let tmp: string;
const [photo1, photo2] = samplePhotos();

before(async () => {
  await initBackend('wasm');
  set = await testFaceSet();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-cli-face-'));
});

after(() => fs.rm(tmp, { recursive: true, force: true }));

test('face verify: JSON verdict with every box; the same face is the same, two people differ', () => {
  const same = cli('face', 'verify', photo1, photo1, '--face-a', '1', '--face-b', '1', '--json', '--cache-dir', set.cacheDir);
  assert.equal(same.code, 0, same.stderr);
  const r = JSON.parse(same.stdout);
  assert.deepEqual(Object.keys(r).slice(0, 5), ['distance', 'threshold', 'same', 'probability', 'faces']);
  assert.equal(r.same, true);
  assert.ok(r.distance < 1e-6);
  assert.equal(r.threshold, 0.4749);
  assert.equal(r.faces.a.length, 3);
  assert.deepEqual(Object.keys(r.faces.a[0]), ['x', 'y', 'width', 'height', 'score']);
  const diff = cli('face', 'verify', photo1, photo1, '--face-a', '0', '--face-b', '2', '--cache-dir', set.cacheDir);
  assert.equal(diff.code, 0, diff.stderr);
  // the detector beside the figures; the default threshold's origin beside the verdict
  const m = /^different people: distance \d\.\d{4} > threshold 0\.4749, p\(same\) (\d\.\d{4}) \(A face 0 of 3, B face 2 of 3; pretrained descriptor, ssd detector \(min confidence 0\.5, photos up to 1920 px\)\)\n$/.exec(diff.stdout);
  assert.ok(m, diff.stdout);
  assert.ok(Number(m[1]) < 0.5, 'different people: p(same) below one half');
  assert.match(diff.stderr, /^warning: the default face threshold 0\.4749 was calibrated on augmented crops of six sample photos.*contrastive face calibrate --dataset faces:DIR'\n$/);
  assert.equal(r.detector, 'ssd detector (min confidence 0.5, photos up to 1920 px)');
  assert.equal(r.warnings.length, 1);
});

test('face verify: several faces without a choice, or not an image: one line each', () => {
  assertOneLineError(cli('face', 'verify', photo1, photo2, '--cache-dir', set.cacheDir), photo1, '3 faces found, choose one with --face-a N', /0: \d+,\d+ \d+x\d+ \(score/);
  assertOneLineError(cli('face', 'verify', 'package.json', photo2, '--face-b', '0', '--cache-dir', set.cacheDir), 'package.json: not a readable image');
});

test('face enroll and identify: a known face by name, another as unknown', () => {
  const index = path.join(tmp, 'people.sqlite');
  const e = cli('face', 'enroll', '--index', index, '--name', 'left-one', photo1, '--face', '0', '--cache-dir', set.cacheDir);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /^enrolled 1 face of left-one \(1 in all\) in .*people\.sqlite, which holds 1; faces found by the ssd detector \(min confidence 0\.5, photos up to 1920 px\)\n$/);
  const known = cli('face', 'identify', '--index', index, photo1, '--face', '0', '--json', '--cache-dir', set.cacheDir);
  assert.equal(known.code, 0, known.stderr);
  assert.equal(JSON.parse(known.stdout).name, 'left-one');
  const unknown = cli('face', 'identify', '--index', index, photo1, '--face', '2', '--cache-dir', set.cacheDir);
  assert.equal(unknown.code, 0, unknown.stderr);
  assert.match(unknown.stdout, /^unknown \(nearest: left-one\): distance \d\.\d{4} > threshold 0\.4749/);
  assertOneLineError(cli('face', 'identify', '--index', path.join(tmp, 'absent.sqlite'), photo1, '--face', '0', '--cache-dir', set.cacheDir), 'absent.sqlite');
});

test('face verify --model RUN: a face bundle (here its run directory) decides with its own pipeline and threshold', async () => {
  const out = path.join(tmp, 'run');
  const run = await trainFaceModel({ dir: set.dir, engine: TEST_ENGINE, cacheDir: set.cacheDir, out, report: false, skipNoFace: true, train: { epochs: 2, seed: 5 } });
  run.network.dispose();
  const [a, b] = set.files.find((files) => files.every((f) => run.data.sources!.includes(f)))!;
  const r = cli('face', 'verify', a, b, '--model', out, '--json', '--cache-dir', set.cacheDir);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.threshold, run.metrics.verification.threshold);
  assert.ok(Number.isFinite(v.distance) && v.probability !== null);
  assert.equal(v.same, v.probability >= 0.5, 'the verdict and p(same) agree');
  assert.match(v.detector, /^tiny detector \(input 320/);
  assert.match(v.warnings[0], /was calibrated on \d+ people/, 'a head calibrated on a few validation people says so');
  assertOneLineError(cli('face', 'verify', a, b, '--model', out, '--detector', 'ssd'), '--detector applies to the pretrained descriptor only');
  // the generic commands point to the face commands
  assertOneLineError(cli('eval', '--model', out), `eval: ${path.join(out, 'model')} is a face bundle`, `face verify --model ${path.join(out, 'model')}`, 'face calibrate');
});
