/**
 * The JSON API of `contrastive serve` over real HTTP on 127.0.0.1: verify and
 * embed answer what the library answers, the bundle and page assets are served
 * (wasm as application/wasm), and bad requests (oversized uploads, non-images,
 * missing fields, non-multipart bodies) get clear 4xx JSON while concurrent
 * requests each get their own right answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { verifyPair, readPairInput } from '../../packages/cli/src/jobs/verify-pair.js';
import { createServeApp } from '../../packages/cli/src/serve/index.js';
import { loadBrowserBundle } from '../../packages/contrastive/src/models/browser-bundle.js';
import * as tf from '@tensorflow/tfjs';
import { serveFixture, type ServeFixture } from './fixture.js';
import { buildIndexFromDataset } from '../../packages/cli/src/jobs/index-build.js';
import { searchIndexWith } from '../../packages/cli/src/jobs/index-search.js';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { bundleIdentity } from '../../packages/node/src/embed/bundle-identity.js';
import { assertClose } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';

let tmp: string;
let fx: ServeFixture;
let app: FastifyInstance;
let small: FastifyInstance; // 4,000-byte upload cap
let url: string;
let smallUrl: string;
let three: [string, string]; // two PNGs of 3s
let seven: string;
let index: EmbeddingIndex;
let indexFile: string;

async function form(parts: Record<string, string | { bytes: Uint8Array; type: string; name?: string }>): Promise<FormData> {
  const f = new FormData();
  for (const [field, v] of Object.entries(parts)) {
    if (typeof v === 'string' && !v.endsWith('.png')) f.append(field, v);
    else if (typeof v === 'string') f.append(field, new Blob([await fs.readFile(v)], { type: 'image/png' }), path.basename(v));
    else f.append(field, new Blob([new Uint8Array(v.bytes)], { type: v.type }), v.name ?? 'upload');
  }
  return f;
}

async function post(base: string, route: string, body: FormData | string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${route}`, { method: 'POST', body, headers });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-api-'));
  fx = await serveFixture(tmp);
  const r3 = fx.rowOf(3);
  three = [await fx.png(r3), await fx.png(fx.rowOf(3, r3 + 1))];
  seven = await fx.png(fx.rowOf(7));
  indexFile = path.join(tmp, 'test.sqlite');
  await buildIndexFromDataset({ model: fx.bundleDir, dataset: 'mnist', split: 'test', out: indexFile, engine: 'tfjs' });
  index = await EmbeddingIndex.open(indexFile, { model: await bundleIdentity(fx.bundleDir) });
  app = await createServeApp({ bundle: fx.bundle, index, map: { count: 40 } });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  small = await createServeApp({ bundle: fx.bundle, maxUploadBytes: 4000, map: false });
  smallUrl = await small.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app?.close();
  await small?.close();
  await index?.close();
  fx?.bundle.network.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('GET /api/model answers the public manifest: no loader options or local paths', async () => {
  const res = await fetch(`${url}/api/model`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as any;
  assert.equal(body.manifest.format, 'contrastive-bundle');
  assert.equal(body.manifest.threshold, fx.bundle.manifest.threshold);
  assert.deepEqual(body.manifest.input, fx.bundle.manifest.input);
  assert.deepEqual(Object.keys(body.manifest.training).sort(), ['dataset', 'epochs', 'seed']);
  assert.deepEqual(body.features, { verify: true, embed: true, search: true, map: true, browser: true });
  assert.deepEqual(body.index, { items: 2000, distance: 'euclidean', where: 'test.sqlite' });
});

test('POST /api/verify answers what verifyPair answers for the same files', async () => {
  for (const [a, b] of [three, [three[0], seven]]) {
    const { status, json } = await post(url, '/api/verify', await form({ a, b }));
    assert.equal(status, 200);
    const want = await verifyPair(fx.bundle, { kind: 'file', path: a }, { kind: 'file', path: b });
    assert.deepEqual(Object.keys(json).sort(), ['distance', 'probability', 'same', 'score', 'threshold']);
    assert.equal(json.distance, want.distance);
    assert.equal(json.same, want.same);
    assert.equal(json.probability, want.probability);
  }
  const overridden = await post(url, '/api/verify', await form({ a: three[0], b: seven, threshold: '100' }));
  assert.equal(overridden.json.threshold, 100);
  assert.equal(overridden.json.same, true);
});

test('POST /api/embed answers one normalised embedding per image, as the library embeds them', async () => {
  const { status, json } = await post(url, '/api/embed', await form({ image: three[0] }));
  assert.equal(status, 200);
  assert.equal(json.dim, 16);
  assert.equal(json.embeddings.length, 1);
  const f = new FormData();
  for (const file of [three[0], seven]) f.append('image', new Blob([await fs.readFile(file)], { type: 'image/png' }), path.basename(file));
  const two = await post(url, '/api/embed', f);
  assert.equal(two.json.embeddings.length, 2);
  const x = await readPairInput(fx.bundle, { kind: 'file', path: seven });
  assertClose(two.json.embeddings[1], await fx.bundle.network.embedBatched(x), 1e-6, 'embedding');
  assert.ok(Math.abs(Math.hypot(...two.json.embeddings[0]) - 1) < 1e-5, 'unit norm');
});

test('missing fields, empty files and a bad threshold are 400s naming the field', async () => {
  const noB = await post(url, '/api/verify', await form({ a: three[0] }));
  assert.equal(noB.status, 400);
  assert.equal(noB.json.code, 'MISSING_FIELD');
  assert.match(noB.json.error, /'b'/);
  const empty = await post(url, '/api/verify', await form({ a: three[0], b: { bytes: new Uint8Array(0), type: 'image/png' } }));
  assert.equal(empty.status, 400);
  assert.match(empty.json.error, /'b' is an empty file/);
  const twice = new FormData();
  for (const file of [three[0], three[1], seven]) twice.append(file === seven ? 'b' : 'a', new Blob([await fs.readFile(file)], { type: 'image/png' }), 'x.png');
  assert.equal((await post(url, '/api/verify', twice)).json.code, 'DUPLICATE_FIELD');
  const bad = await post(url, '/api/verify', await form({ a: three[0], b: seven, threshold: 'abc' }));
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /threshold/);
  const noImage = await post(url, '/api/embed', await form({}));
  assert.equal(noImage.status, 400);
  assert.match(noImage.json.error, /missing image field 'image'/);
});

test('parts an endpoint does not take are 400s naming them, refused before their bytes are kept', async () => {
  const note = await post(url, '/api/embed', await form({ image: three[0], note: 'hello' }));
  assert.equal(note.status, 400);
  assert.equal(note.json.code, 'UNKNOWN_FIELD');
  assert.match(note.json.error, /unexpected field 'note': this endpoint takes file image/);
  const other = await post(url, '/api/embed', await form({ image: three[0], other: seven }));
  assert.equal(other.json.code, 'UNKNOWN_FIELD');
  assert.match(other.json.error, /'other'/);
  // What the issue saw: verify took 62 parts it never used. Now the third file is refused as it starts.
  const many = await form({ a: three[0], b: seven });
  for (let i = 0; i < 60; i++) many.append(`x${i}`, new Blob([new Uint8Array(1000)], { type: 'image/png' }), 'x.png');
  const refused = await post(url, '/api/verify', many);
  assert.equal(refused.status, 400);
  assert.match(refused.json.error, /unexpected file field 'x0': this endpoint takes files a, b and field threshold/);
  const twice = await form({ a: three[0], b: seven, threshold: '1' });
  twice.append('threshold', '2');
  assert.equal((await post(url, '/api/verify', twice)).json.code, 'DUPLICATE_FIELD');
});

test('JSON search takes only its documented form: k a JSON integer in 1..100, no unknown keys; text/plain is a 415', async () => {
  const x = await readPairInput(fx.bundle, { kind: 'file', path: seven });
  const embedding = Array.from(await fx.bundle.network.embedBatched(x));
  const json = (body: unknown) => post(url, '/api/search', JSON.stringify(body), { 'content-type': 'application/json' });
  for (const k of [[3], true, '3', 3.5, 0, 101, null]) {
    const r = await json({ embedding, k });
    assert.equal(r.status, 400, `k ${JSON.stringify(k)}`);
    assert.equal(r.json.code, 'INVALID_FIELD');
    assert.match(r.json.error, /field 'k' must be an integer in 1\.\.100, got /);
  }
  assert.equal((await json({ embedding, k: 3 })).json.results.length, 3);
  const extra = await json({ embedding, k: 3, limit: 5 });
  assert.equal(extra.status, 400);
  assert.equal(extra.json.code, 'UNKNOWN_FIELD');
  assert.match(extra.json.error, /unexpected field 'limit'/);
  for (const label of [7, ['7'], 'x'.repeat(300)]) assert.equal((await json({ embedding, label })).status, 400, `label ${String(label).slice(0, 9)}`);
  for (const bad of [[...embedding.slice(0, 15), '1'], [...embedding.slice(0, 15), null], embedding.slice(0, 15), 'abc']) {
    const r = await json({ embedding: bad });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /'embedding' must be 16 finite numbers/);
  }
  assert.equal((await json([embedding])).status, 400);
  const multipartK = await post(url, '/api/search', await form({ image: seven, k: '3.0' }));
  assert.equal(multipartK.status, 400);
  // The README says 415 for a body that is not multipart (or JSON here): text/plain was a 400.
  const text = await post(url, '/api/search', JSON.stringify({ embedding }), { 'content-type': 'text/plain' });
  assert.equal(text.status, 415);
  assert.equal(text.json.code, 'UNSUPPORTED_MEDIA_TYPE');
  assert.equal((await post(url, '/api/verify', 'a=1', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await post(url, '/api/embed', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
});

test('a long field is refused without being echoed: errors repeat at most a few dozen characters', async () => {
  const long = 'x'.repeat(3 * 1024 * 1024);
  const r = await post(url, '/api/verify', await form({ a: three[0], b: seven, threshold: long }));
  assert.equal(r.status, 413);
  assert.equal(r.json.code, 'FIELD_TOO_LARGE');
  assert.ok(JSON.stringify(r.json).length < 300, `answer of ${JSON.stringify(r.json).length} characters`);
  const bad = await post(url, '/api/verify', await form({ a: three[0], b: seven, threshold: `${'9'.repeat(900)}x` }));
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.length < 200, bad.json.error);
  assert.match(bad.json.error, /field 'threshold' must be a finite number, got '9{40}\.\.\. \(901 characters\)'/);
  const control = await post(url, '/api/verify', await form({ a: three[0], b: seven, threshold: '1\u001b[2J' }));
  assert.match(control.json.error, /\\u001b\[2J/);
});

test('a body that is not multipart is a 415; a non-image part a 415; undecodable bytes a 422 naming the field', async () => {
  const json = await post(url, '/api/verify', JSON.stringify({ a: 1 }), { 'content-type': 'application/json' });
  assert.equal(json.status, 415);
  assert.match(json.json.error, /multipart\/form-data/);
  const text = await post(url, '/api/verify', await form({ a: three[0], b: { bytes: new TextEncoder().encode('hello'), type: 'text/plain', name: 'notes.txt' } }));
  assert.equal(text.status, 415);
  assert.match(text.json.error, /'b' \(notes\.txt\) has content type text\/plain/);
  const junk = await post(url, '/api/verify', await form({ a: { bytes: new Uint8Array(300).fill(7), type: 'image/png', name: 'junk.png' }, b: seven }));
  assert.equal(junk.status, 422);
  assert.match(junk.json.error, /field 'a' \(junk\.png\): cannot decode image/);
});

test('an upload over the cap is a 413 and the server goes on answering', async () => {
  const rng = new Rng(3);
  const noise = Buffer.from(Array.from({ length: 96 * 96 }, () => rng.int(256)));
  const big = await sharp(noise, { raw: { width: 96, height: 96, channels: 1 } }).png().toBuffer();
  assert.ok(big.length > 4000);
  const r = await post(smallUrl, '/api/verify', await form({ a: { bytes: big, type: 'image/png', name: 'big.png' }, b: seven }));
  assert.equal(r.status, 413);
  assert.match(r.json.error, /larger than the 4000-byte limit/);
  const ok = await post(smallUrl, '/api/verify', await form({ a: three[0], b: seven }));
  assert.equal(ok.status, 200);
});

test('concurrent verify requests each get their own answer', async () => {
  const pairs: Array<[string, string]> = [three, [three[0], seven], [seven, three[1]], [seven, seven]];
  const want = await Promise.all(pairs.map(async ([a, b]) => (await post(url, '/api/verify', await form({ a, b }))).json));
  const jobs = Array.from({ length: 16 }, (_, k) => pairs[k % pairs.length]);
  const got = await Promise.all(jobs.map(async ([a, b]) => post(url, '/api/verify', await form({ a, b }))));
  got.forEach((r, k) => {
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, want[k % pairs.length]);
  });
});

test('the bundle files, vendor scripts and wasm are served locally; nothing else of the disk', async () => {
  const weights = await fetch(`${url}/bundle/weights.bin`);
  assert.deepEqual(Buffer.from(await weights.arrayBuffer()), await fs.readFile(path.join(fx.bundleDir, 'weights.bin')));
  for (const bad of ['/bundle/..%2Fmetrics.json', '/bundle/history.json', '/vendor/../package.json', '/lib/cli/main.js', '/lib/errors.js', '/nope.html']) {
    const res = await fetch(`${url}${bad}`);
    assert.equal(res.status, 404, bad);
  }
  const wasm = await fetch(`${url}/vendor/tfjs-backend-wasm-simd.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  const page = await (await fetch(`${url}/`)).text();
  assert.doesNotMatch(page, /https?:\/\//, 'the page loads nothing from another host');
  const loader = await (await fetch(`${url}/lib/models/browser-bundle.js`)).text();
  assert.match(loader, /export \{[^}]*\bloadBrowserBundle\b/);
  assert.doesNotMatch(loader, /: Promise<|interface /, 'served as JavaScript');
  // One bundled module: TF.js is its only import; the error type and the calibration's Platt formula are inside, once.
  assert.deepEqual([...new Set(loader.match(/^import .*$/gm)?.map((line) => line.replace(/^.* from /, '')))], ['"@tensorflow/tfjs";']);
  assert.match(loader, /class extends Error[\s\S]*this\.name = "ContrastiveError"/);
  assert.equal(loader.match(/Math\.exp\(-Math\.abs\(/g)?.length, 1, 'one copy of the Platt formula: util/platt.ts');
  assert.match(loader, /function plattSame\(/);
  assert.match(await (await fetch(`${url}/lib/tfjs.js`)).text(), /export const \{[^}]*\bloadLayersModel\b/);
});

test('the embedding map: seeded points with classes and rows verify reads, PNG thumbnails', async () => {
  const res = await fetch(`${url}/api/map`);
  const map = (await res.json()) as any;
  assert.equal(map.points.length, 40);
  assert.equal(map.method, 'umap');
  assert.ok(map.points.every((p: any) => Number.isFinite(p.x) && Number.isFinite(p.y) && /^mnist:test:\d+$/.test(p.row)));
  const row = Number(map.points[3].row.split(':')[2]);
  assert.equal(map.points[3].label, fx.test.labels[row]);
  const png = await fetch(`${url}/api/map/3.png`);
  assert.equal(png.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
  assert.deepEqual([meta.width, meta.height], [28, 28]);
  assert.equal((await fetch(`${url}/api/map/40.png`)).status, 404);
  assert.equal((await fetch(`${smallUrl}/api/map`)).status, 404);
});

test('loadBrowserBundle (fetching from the server) verifies as the CLI does; raw model.json outputs do not', async () => {
  const bundle = await loadBrowserBundle(`${url}/bundle`);
  try {
    const rgba = async (file: string) => {
      const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, data: new Uint8Array(data) };
    };
    for (const [a, b] of [three, [three[0], seven]]) {
      const got = await bundle.verify(await rgba(a), await rgba(b));
      const want = await verifyPair(fx.bundle, { kind: 'file', path: a }, { kind: 'file', path: b });
      assert.ok(Math.abs(got.distance - want.distance) < 1e-5, `${got.distance} vs ${want.distance}`);
      assert.equal(got.same, want.same);
      assert.ok(Math.abs((got.probability as number) - (want.probability as number)) < 1e-5);
    }
    // Why the loader exists: the raw model.json on 0..255 pixels, unnormalised, answers on another scale.
    const shape = fx.bundle.manifest.input.shape as number[];
    const [xa, xb] = await Promise.all(three.map((file) => readPairInput(fx.bundle, { kind: 'file', path: file })));
    const out = tf.tidy(() => {
      const x = tf.mul(tf.tensor([...xa, ...xb], [2, ...shape]), 255);
      const e = bundle.model.predict(x) as tf.Tensor2D;
      return tf.norm(tf.sub(e.slice(0, 1), e.slice(1, 1))).dataSync()[0];
    });
    const loaded = await bundle.verify(await rgba(three[0]), await rgba(three[1]));
    assert.ok(out > 5 * loaded.distance, `raw ${out} vs loaded ${loaded.distance}`);
  } finally {
    bundle.dispose();
  }
  await assert.rejects(loadBrowserBundle(`${url}/nowhere`), /manifest\.json answered HTTP 404/);
});

test('POST /api/search: an image, or an embedding from the browser, answers what contrastive index search answers', async () => {
  const want = (await searchIndexWith({ index: indexFile, model: fx.bundleDir, queries: [{ kind: 'file', path: seven }], k: 5, engine: 'tfjs' }))[0].results;
  const byImage = await post(url, '/api/search', await form({ image: seven, k: '5' }));
  assert.equal(byImage.status, 200);
  assert.deepEqual(byImage.json.results.map((h: any) => h.id), want.map((h) => h.id));
  assertClose(byImage.json.results.map((h: any) => h.distance), want.map((h) => h.distance), 1e-6, 'distances');
  assert.deepEqual(Object.keys(byImage.json.results[0]).sort(), ['distance', 'id', 'label', 'source']);
  assert.equal(byImage.json.mode, 'exact');
  const x = await readPairInput(fx.bundle, { kind: 'file', path: seven });
  const embedding = Array.from(await fx.bundle.network.embedBatched(x));
  const byEmbedding = await post(url, '/api/search', JSON.stringify({ embedding, k: 5 }), { 'content-type': 'application/json' });
  assert.deepEqual(byEmbedding.json, byImage.json);
  const sevens = await post(url, '/api/search', JSON.stringify({ embedding, k: 3, label: '7' }), { 'content-type': 'application/json' });
  assert.ok(sevens.json.results.every((h: any) => h.label === '7'));
});

test('search errors: bad k, wrong embedding size, no image, no index', async () => {
  const badK = await post(url, '/api/search', await form({ image: seven, k: '0' }));
  assert.equal(badK.status, 400);
  assert.match(badK.json.error, /'k' must be an integer in 1\.\.100/);
  const short = await post(url, '/api/search', JSON.stringify({ embedding: [1, 2, 3] }), { 'content-type': 'application/json' });
  assert.equal(short.status, 400);
  assert.match(short.json.error, /16 finite numbers/);
  assert.equal((await post(url, '/api/search', await form({ k: '3' }))).json.code, 'MISSING_FIELD');
  const none = await post(smallUrl, '/api/search', await form({ image: seven }));
  assert.equal(none.status, 404);
  assert.match(none.json.error, /--index/);
});

test('GET /api/picture draws an index item named by its id, and nothing else', async () => {
  const hit = (await post(url, '/api/search', await form({ image: three[0], k: '1' }))).json.results[0];
  const res = await fetch(`${url}/api/picture?id=${encodeURIComponent(hit.id)}`);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.deepEqual([meta.width, meta.height], [28, 28]);
  assert.equal((await fetch(`${url}/api/picture?id=${encodeURIComponent(seven)}`)).status, 404);
  assert.equal((await fetch(`${url}/api/picture`)).status, 400);
});
