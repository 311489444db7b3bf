/**
 * `contrastive serve` over a face model: POST /api/verify detects, describes
 * and compares the faces of two uploads as `contrastive face verify` does and
 * answers every box; a photo with no face, or several and no choice, is a 422
 * naming the field and listing the boxes; /api/model says it serves faces.
 * face-api runs are kept few: one app describes uploads afresh (no cache), the
 * other reads the test set's descriptor cache.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { createServeApp } from '../../packages/cli/src/serve/index.js';
import { FaceCache, pretrainedFaceModel, loadFaceModel, verifyFaces, PRETRAINED_FACE_CALIBRATION } from '../../packages/faces/src/index.js';
import { readManifest } from '../../packages/node/src/models/bundle.js';
import { trainFaceModel } from '../../packages/cli/src/jobs/face-train.js';
import { testFaceSet, samplePhotos, TEST_ENGINE, type TestFaceSet } from '../support/face-set.js';
import { cli } from '../support/cli.js';

const [photo1, photo2] = samplePhotos(); // 3 faces each
let set: TestFaceSet;
let tmp: string;
let blank: string; // a picture with no face
let fresh: FastifyInstance; // no descriptor cache: every upload goes through face-api
let cached: FastifyInstance;
let freshUrl: string;
let cachedUrl: string;

async function verify(base: string, a: string, b: string, fields: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const f = new FormData();
  for (const [field, file] of [['a', a], ['b', b]]) f.append(field, new Blob([new Uint8Array(await fs.readFile(file))], { type: 'image/jpeg' }), path.basename(file));
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  const res = await fetch(`${base}/api/verify`, { method: 'POST', body: f });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  await initBackend('wasm');
  set = await testFaceSet();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-faces-'));
  blank = path.join(tmp, 'blank.png');
  const px = Buffer.alloc(160 * 120 * 3, 0);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7) % 251; // a texture, nothing like a face
  await sharp(px, { raw: { width: 160, height: 120, channels: 3 } }).png().toFile(blank);
  fresh = await createServeApp({ faces: { model: pretrainedFaceModel(), cache: false } });
  freshUrl = await fresh.listen({ port: 0, host: '127.0.0.1' });
  cached = await createServeApp({ faces: { model: pretrainedFaceModel(), cache: new FaceCache(set.cacheDir) } });
  cachedUrl = await cached.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await fresh?.close();
  await cached?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('GET /api/model says it serves faces: the pretrained descriptor, its threshold, server-side only', async () => {
  const body = (await (await fetch(`${freshUrl}/api/model`)).json()) as any;
  assert.equal(body.manifest, null);
  assert.equal(body.faces.kind, 'pretrained descriptor');
  assert.equal(body.faces.threshold, PRETRAINED_FACE_CALIBRATION.threshold);
  assert.deepEqual(body.features, { verify: true, faces: true, embed: false, search: false, map: false, browser: false });
  const embed = await fetch(`${freshUrl}/api/embed`, { method: 'POST' });
  assert.equal(embed.status, 404);
});

test('POST /api/verify on two sample photos answers what `contrastive face verify --json` prints', async () => {
  const { status, json } = await verify(freshUrl, photo1, photo2, { faceA: '1', faceB: '0' });
  assert.equal(status, 200, JSON.stringify(json));
  const r = cli('face', 'verify', photo1, photo2, '--face-a', '1', '--face-b', '0', '--json', '--cache-dir', set.cacheDir);
  assert.equal(r.code, 0, r.stderr);
  // the CLI adds the detector and the threshold's warnings for a reader; the figures are the same
  const { detector, warnings, ...want } = JSON.parse(r.stdout);
  assert.match(detector, /^ssd detector/);
  assert.equal(warnings.length, 1);
  const { images, ...answer } = json;
  assert.deepEqual(answer, want);
  assert.deepEqual(Object.keys(json), ['distance', 'threshold', 'same', 'probability', 'faces', 'chosen', 'images']);
  assert.equal(json.faces.a.length, 3);
  assert.deepEqual(json.chosen, { a: 1, b: 0 });
  assert.deepEqual(images.a, { width: 1920, height: 1280 });
});

test('a photo with no face is a 422 naming the field; several faces without a choice a 422 listing the boxes; a threshold field applies', async () => {
  const none = await verify(cachedUrl, photo1, blank, { faceA: '0' });
  assert.equal(none.status, 422);
  assert.equal(none.json.code, 'NO_FACE');
  assert.equal(none.json.field, 'b');
  assert.deepEqual(none.json.faces, []);
  assert.match(none.json.error, /field 'b' \(blank\.png\): no face found \(160x120 image\)/);
  const several = await verify(cachedUrl, photo1, photo2);
  assert.equal(several.status, 422);
  assert.equal(several.json.code, 'SEVERAL_FACES');
  assert.equal(several.json.field, 'a');
  assert.equal(several.json.faces.length, 3);
  assert.deepEqual(Object.keys(several.json.faces[0]), ['x', 'y', 'width', 'height', 'score']);
  assert.deepEqual(several.json.image, { width: 1920, height: 1280 });
  assert.match(several.json.error, /field 'a' \(sample1\.jpg\): 3 faces found, choose one with field 'faceA' N \(left to right: 0: \d+,\d+ \d+x\d+ \(score [\d.]+\); 1: /);
  const outOfRange = await verify(cachedUrl, photo1, photo2, { faceA: '0', faceB: '7' });
  assert.equal(outOfRange.status, 422);
  assert.equal(outOfRange.json.code, 'NO_SUCH_FACE');
  assert.equal(outOfRange.json.field, 'b');
  const badChoice = await verify(cachedUrl, photo1, photo2, { faceA: '-1' });
  assert.equal(badChoice.status, 400);
  assert.match(badChoice.json.error, /field 'faceA' must be an integer >= 0/);
  const loose = await verify(cachedUrl, photo1, photo2, { faceA: '1', faceB: '0', threshold: '0.9' });
  assert.equal(loose.status, 200);
  assert.equal(loose.json.threshold, 0.9);
  assert.equal(loose.json.same, loose.json.distance <= 0.9);
  assert.equal((await verify(cachedUrl, photo1, photo2, { faceA: '1', faceB: '0', threshold: 'x' })).status, 400);
});

test('a face bundle: /api/model says so, and verify decides with its head and threshold as verifyFaces does', async () => {
  const out = path.join(tmp, 'run');
  const run = await trainFaceModel({ dir: set.dir, engine: TEST_ENGINE, cacheDir: set.cacheDir, out, report: false, skipNoFace: true, train: { epochs: 2, seed: 5 } });
  run.network.dispose();
  const model = await loadFaceModel(run.bundleDir);
  const app = await createServeApp({ faces: { model, manifest: await readManifest(run.bundleDir), cache: new FaceCache(set.cacheDir) } });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const info = (await (await fetch(`${base}/api/model`)).json()) as any;
    assert.equal(info.faces.kind, 'face bundle');
    assert.equal(info.manifest.format, 'contrastive-bundle');
    assert.equal(info.faces.threshold, model.threshold);
    const [a, b] = set.files.find((files) => files.every((f) => run.data.sources!.includes(f)))!;
    const { status, json } = await verify(base, a, b);
    assert.equal(status, 200, JSON.stringify(json));
    const want = await verifyFaces(a, b, { model, cache: new FaceCache(set.cacheDir) });
    assert.equal(json.distance, want.distance);
    assert.equal(json.threshold, want.threshold);
    assert.equal(json.same, want.same);
    assert.equal(json.probability, want.probability);
  } finally {
    await app.close();
    model.dispose();
  }
});

test('concurrent requests each get their own answer (they take turns on the face engine)', async () => {
  const [x, y] = [set.files[0][0], set.files[5][0]]; // plain 320-px crops of two faces, one face each
  const [xy, xBlank, yx] = await Promise.all([verify(freshUrl, x, y), verify(freshUrl, x, blank), verify(freshUrl, y, x)]);
  assert.equal(xy.status, 200, JSON.stringify(xy.json));
  assert.equal(xBlank.status, 422);
  assert.equal(xBlank.json.field, 'b');
  assert.equal(yx.status, 200, JSON.stringify(yx.json));
  assert.ok(Math.abs(xy.json.distance - yx.json.distance) < 1e-6, `${xy.json.distance} vs ${yx.json.distance}`);
  assert.deepEqual(xy.json.faces.a, yx.json.faces.b);
  const want = await verifyFaces(x, y, { cache: new FaceCache(set.cacheDir) });
  assert.ok(Math.abs(xy.json.distance - want.distance) < 1e-6);
});
