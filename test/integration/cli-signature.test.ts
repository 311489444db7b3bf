/**
 * `contrastive signature demo | generate | verify` and `train --dataset
 * signatures:DIR`, end to end on a tiny synthetic set: the demo's --json
 * fields, verify's distance against the library's, the threshold decision,
 * and one-line errors for bad input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { preprocessSignature, readSignatureFile, signaturePreprocessingSchema } from '../../packages/signatures/src/index.js';
import { cli, assertOneLineError } from '../support/cli.js';
import { loadBundle, saveBundle } from '../../packages/node/src/models/bundle.js';
import sharp from 'sharp';

const FIXTURES = fileURLToPath(new URL('../fixtures/signatures/', import.meta.url));
// The demo and generate share the generator: same seed and sizes, same signatures.
const SIZES = ['--writers', '12', '--genuine', '6', '--forgeries', '3', '--seed', '5'];
let tmp: string;
let model: string;
let set: string;
let demo: Record<string, unknown>;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-signature-'));
  model = path.join(tmp, 'model');
  set = path.join(tmp, 'set');
  const r = cli('signature', 'demo', ...SIZES, '--test-writers', '4', '--validation-writers', '2', '--length', '32', '--pairs', '800', '--epochs', '3', '--references', '2', '--backend', 'wasm', '--out', model, '--json');
  assert.equal(r.code, 0, r.stderr);
  demo = JSON.parse(r.stdout);
  const g = cli('signature', 'generate', '--out', set, ...SIZES);
  assert.equal(g.code, 0, g.stderr);
});

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const file = (writer: number, kind: 'genuine' | 'forged', n: number): string =>
  path.join(set, `w${String(writer).padStart(3, '0')}`, kind, `${String(n).padStart(3, '0')}.txt`);

function verify(...args: string[]): { distance: number; threshold: number; genuine: boolean; probability: number } {
  const r = cli('signature', 'verify', '--model', model, '--backend', 'wasm', '--json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('signature demo --json prints exactly the six figures, EERs in [0, 1]', () => {
  assert.deepEqual(Object.keys(demo).sort(), ['dtwRandomEer', 'dtwSkilledEer', 'randomEer', 'skilledEer', 'writersTest', 'writersTrain']);
  assert.equal(demo.writersTrain, 8);
  assert.equal(demo.writersTest, 4);
  for (const k of ['skilledEer', 'randomEer', 'dtwSkilledEer', 'dtwRandomEer']) {
    const v = demo[k] as number;
    assert.ok(v >= 0 && v <= 1, `${k} = ${v}`);
  }
});

test('signature verify --json: the mean distance to the references, as the library computes it', async () => {
  const refs = [file(1, 'genuine', 1), file(1, 'genuine', 2)];
  const q = file(1, 'genuine', 3);
  const r = verify(...refs, q);
  assert.deepEqual(Object.keys(r).sort(), ['distance', 'genuine', 'probability', 'threshold']);
  assert.equal(r.genuine, r.distance <= r.threshold);
  assert.ok(r.probability >= 0 && r.probability <= 1);

  await initBackend('wasm');
  const { network, manifest } = await loadBundle(model);
  const p = signaturePreprocessingSchema.parse((manifest.input.preprocessing as { rawInput: unknown }).rawInput);
  const rows = await Promise.all([q, ...refs].map(async (f) => preprocessSignature(await readSignatureFile(f), p).data));
  const x = new Float32Array(rows.length * rows[0].length);
  rows.forEach((row, k) => x.set(row, k * row.length));
  const emb = await network.embedBatched(x);
  const dim = network.embeddingDim;
  const dist = (a: number, b: number): number => Math.sqrt(Array.from({ length: dim }, (_, k) => (emb[a * dim + k] - emb[b * dim + k]) ** 2).reduce((s, v) => s + v, 0));
  assert.ok(Math.abs(r.distance - (dist(0, 1) + dist(0, 2)) / 2) < 1e-5, `${r.distance} vs library`);
  assert.equal(r.threshold, manifest.threshold);

  // Writer-dependent: the same mean divided by the distance between the two references, against the stored threshold.
  const wd = verify('--writer-dependent', ...refs, q);
  assert.ok(Math.abs(wd.distance - (dist(0, 1) + dist(0, 2)) / 2 / dist(1, 2)) < 1e-4, `${wd.distance} vs library`);
  const stored = (manifest.metrics.signature as { writerDependent: { references: number; threshold: number } }).writerDependent;
  assert.equal(stored.references, 2);
  assert.equal(wd.threshold, stored.threshold);
  assert.equal(wd.genuine, wd.distance <= wd.threshold);
  assert.equal(wd.probability, null);
  network.dispose();
});

test('signature verify: --threshold decides; another writer is farther than the writer itself', () => {
  const refs = [file(2, 'genuine', 1), file(2, 'genuine', 2), file(2, 'genuine', 3)];
  assert.equal(verify('--threshold', '1e9', ...refs, file(7, 'genuine', 1)).genuine, true);
  assert.equal(verify('--threshold', '0', ...refs, file(2, 'genuine', 4)).genuine, false);
  const own = verify(...refs, file(2, 'genuine', 5)).distance;
  const other = verify(...refs, file(9, 'genuine', 1)).distance;
  assert.ok(own < other, `own writer ${own} < other writer ${other}`);
  // Text output: one line with the decision.
  const text = cli('signature', 'verify', '--model', model, '--backend', 'wasm', ...refs, file(2, 'forged', 1));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^(genuine|forged): mean distance [\d.e-]+ to 3 reference\(s\) (<=|>) threshold/);
});

test('signature verify: bad input is one line naming the problem', async () => {
  assertOneLineError(cli('signature', 'verify', '--model', model, file(1, 'genuine', 1)), 'at least one REFERENCE');
  assertOneLineError(cli('signature', 'verify', '--model', model, '--writer-dependent', file(1, 'genuine', 1), file(1, 'genuine', 2)), 'at least 2 references');
  assertOneLineError(cli('signature', 'verify', '--model', model, file(1, 'genuine', 1), path.join(tmp, 'nope.txt')), 'nope.txt', 'no such file');
  assertOneLineError(cli('signature', 'verify', '--model', model, file(1, 'genuine', 1), path.join(FIXTURES, 'bad', 'truncated.txt')), 'truncated.txt', 'truncated');
  assertOneLineError(cli('signature', 'verify', '--model', model, file(1, 'genuine', 1), path.join(FIXTURES, 'bad', 'non-numeric.txt')), 'line 3', 'not a number');
  // a scan given to a model of pen trajectories says so (not "expected the number of points, got '\x89PNG'")
  const scan = path.join(tmp, 'scan.png');
  await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 250, g: 250, b: 250 } } }).png().toFile(scan);
  assertOneLineError(cli('signature', 'verify', '--model', model, file(1, 'genuine', 1), scan), 'scan.png: a PNG image, not an online signature', 'trained on signature images');
  await initBackend('wasm');
  const plain = path.join(tmp, 'mlp');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [4], embeddingDim: 2, seed: 1 }));
  await saveBundle(plain, net, { threshold: 1 });
  net.dispose();
  assertOneLineError(cli('signature', 'verify', '--model', plain, file(1, 'genuine', 1), file(1, 'genuine', 2)), 'not trained on signatures');
});

test('train --dataset signatures:DIR --encoder sequence: writer-independent split, EER per forgery kind in metrics.json', async () => {
  const out = path.join(tmp, 'run');
  const r = cli('train', '--dataset', `signatures:${set}`, '--encoder', 'sequence', '--epochs', '1', '--pairs-per-epoch', '300', '--backend', 'wasm', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const metrics = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.ok(metrics.signature.skilledEer >= 0 && metrics.signature.skilledEer <= 1);
  assert.ok(metrics.signature.pairs.skilled > 0 && metrics.signature.pairs.random > 0);
  const manifest = JSON.parse(await fs.readFile(path.join(out, 'model', 'manifest.json'), 'utf8'));
  assert.equal(manifest.input.preprocessing.rawInput.kind, 'online-signature');
  // eval of the bundle: the same test writers and pairs give the EER of each forgery kind the run reported
  const ev = cli('eval', '--model', out, '--backend', 'wasm', '--no-report');
  assert.equal(ev.code, 0, ev.stderr);
  const skilled = /\n {2}skilled EER +(\d\.\d{4}) +AUC/.exec(ev.stdout);
  const random = /\n {2}random EER +(\d\.\d{4}) +AUC/.exec(ev.stdout);
  assert.ok(skilled && random, ev.stdout);
  assert.equal(skilled[1], metrics.signature.skilledEer.toFixed(4));
  assert.equal(random[1], metrics.signature.randomEer.toFixed(4));
  assert.match(ev.stdout, new RegExp(`forgeries \\(${metrics.signature.pairs.genuine} genuine, ${metrics.signature.pairs.skilled} skilled-forgery, ${metrics.signature.pairs.random} random-forgery pairs\\)`));
  // The bundle verifies signature files directly.
  const v = cli('signature', 'verify', '--model', path.join(out, 'model'), '--backend', 'wasm', '--json', file(3, 'genuine', 1), file(3, 'genuine', 2));
  assert.equal(v.code, 0, v.stderr);
  // A training run stores no writer-dependent threshold.
  const refs = [file(3, 'genuine', 1), file(3, 'genuine', 2), file(3, 'genuine', 3)];
  assertOneLineError(cli('signature', 'verify', '--model', path.join(out, 'model'), '--writer-dependent', ...refs), 'no writer-dependent threshold');
});
