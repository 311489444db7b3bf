/** The synthetic signature generator, the writer-disjoint split, the dataset and the signatures:DIR layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { loadDataset } from '../../packages/node/src/data/index.js';
import {
  syntheticSignatures,
  onlineSignatureDataset,
  signaturePreprocessing,
  splitSignatureWriters,
  signatureTrainingSplit,
  loadSignatures,
  writeSignatureSet,
  isSignatureDataset,
  dtwDistance,
  PAIR_KIND,
  type SignatureDataset,
} from '../../packages/signatures/src/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/signatures/', import.meta.url));

test('same seed, same signatures; counts, writers and kinds as asked', () => {
  const a = syntheticSignatures({ writers: 3, genuine: 4, forgeries: 2, seed: 9 });
  const b = syntheticSignatures({ writers: 3, genuine: 4, forgeries: 2, seed: 9 });
  assert.equal(a.samples.length, 18);
  assert.deepEqual(a.writers, ['w001', 'w002', 'w003']);
  assert.deepEqual(a.samples.map((s) => [s.writer, s.forged]).slice(0, 6), [[0, false], [0, false], [0, false], [0, false], [0, true], [0, true]]);
  for (let k = 0; k < a.samples.length; k++) assert.deepEqual(a.samples[k].trajectory, b.samples[k].trajectory);
  const c = syntheticSignatures({ writers: 3, genuine: 4, forgeries: 2, seed: 10 });
  assert.notDeepEqual(a.samples[0].trajectory.x, c.samples[0].trajectory.x);
  assert.throws(() => syntheticSignatures({ writers: 0 }), /writers must be a positive integer/);
});

test('tablet-like signals: 100 Hz, pen lifts between strokes, pressure in 0..1023; forgeries slower than genuine', () => {
  const set = syntheticSignatures({ writers: 8, genuine: 6, forgeries: 6, seed: 2 });
  const duration = { genuine: 0, forged: 0 };
  for (const s of set.samples) {
    const t = s.trajectory;
    assert.ok(t.x.length > 20);
    for (let k = 1; k < t.t.length; k++) assert.equal(t.t[k] - t.t[k - 1], 10);
    assert.ok(t.pressure.every((p) => p >= 0 && p <= 1023));
    assert.ok(t.penDown.some((d) => d === 1));
    duration[s.forged ? 'forged' : 'genuine'] += t.t[t.t.length - 1];
  }
  assert.ok(set.samples.some((s) => s.trajectory.penDown.some((d) => d === 0)), 'some writers lift the pen');
  assert.ok(duration.forged > 1.1 * duration.genuine, `forgeries slower: ${JSON.stringify(duration)}`);
});

test('DTW on the preprocessed features: skilled forgeries harder than random ones, both far from chance', () => {
  const set = syntheticSignatures({ writers: 6, genuine: 5, forgeries: 5, seed: 4 });
  const data = onlineSignatureDataset('synthetic', set, signaturePreprocessing({ length: 32 }));
  const size = 32 * 6;
  const row = (i: number): Float32Array => data.x.subarray(i * size, (i + 1) * size);
  const mean = { genuine: 0, skilled: 0, random: 0 };
  const n = { genuine: 0, skilled: 0, random: 0 };
  const { writer, forged } = data.signature;
  for (let i = 0; i < writer.length; i++) {
    if (forged[i]) continue;
    for (let j = i + 1; j < writer.length; j++) {
      const kind = writer[i] !== writer[j] ? (forged[j] ? undefined : 'random') : forged[j] ? 'skilled' : 'genuine';
      if (!kind) continue;
      mean[kind] += dtwDistance(row(i), row(j), 6);
      n[kind]++;
    }
  }
  const m = { genuine: mean.genuine / n.genuine, skilled: mean.skilled / n.skilled, random: mean.random / n.random };
  assert.ok(m.genuine < m.skilled && m.skilled < m.random, JSON.stringify(m));
});

test('writer split: disjoint writers, each writer whole in one part; training split pairs carry kinds', () => {
  const set = syntheticSignatures({ writers: 10, genuine: 4, forgeries: 2, seed: 1 });
  const data = onlineSignatureDataset('s', set, signaturePreprocessing({ length: 16 }));
  assert.ok(isSignatureDataset(data));
  assert.deepEqual(data.inputShape, [16, 6]);
  const parts = splitSignatureWriters(data, { validation: 2, test: 0.3, seed: 5 });
  const writers = (d: SignatureDataset): Set<number> => new Set(d.signature.writer);
  assert.equal(writers(parts.validation).size, 2);
  assert.equal(writers(parts.test).size, 3);
  assert.equal(writers(parts.train).size, 5);
  for (const [a, b] of [['train', 'test'], ['train', 'validation'], ['validation', 'test']] as const) {
    for (const w of writers(parts[a])) assert.ok(!writers(parts[b]).has(w), `writer ${w} in ${a} and ${b}`);
  }
  assert.equal(parts.train.labels.length + parts.validation.labels.length + parts.test.labels.length, 60);
  assert.throws(() => splitSignatureWriters(data, { validation: 5, test: 5, seed: 1 }), /leave none of the 10 writers for training/);
  const s = signatureTrainingSplit(data, { validation: 2, test: 3, seed: 5, pairs: 100 });
  assert.equal(s.train.labels.length, 100);
  assert.equal(s.train.a.length, 100);
  assert.equal(s.train.x.length, parts.train.x.length, 'the training writers\' signatures, shared by the pairs, not copied per pair');
  assert.ok(s.test.kind.includes(PAIR_KIND.skilled) && s.test.kind.includes(PAIR_KIND.random));
});

test('signatures:DIR reads the writer/genuine/forged layout in mixed formats, and SVC2004 flat folders', async () => {
  const data = await loadDataset('signatures:' + path.join(FIXTURES, 'layout'), { sequenceLength: 8 });
  assert.ok(isSignatureDataset(data));
  assert.deepEqual(data.signature.writers, ['alice', 'bob']);
  assert.deepEqual(Array.from(data.signature.writer), [0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(data.signature.forged), [1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(data.labels), [2, 2, 0, 0, 0, 1, 1]);
  assert.deepEqual(data.inputShape, [8, 6]);
  assert.ok(data.x.every((v) => Number.isFinite(v)));
  const svc = await loadSignatures(path.join(FIXTURES, 'svc2004'), { preprocessing: { length: 4 } });
  assert.deepEqual(svc.signature.writers, ['U1', 'U2']);
  assert.deepEqual(Array.from(svc.signature.forged), [0, 1, 0, 0]);
});

test('signatures:DIR errors name the folder or file', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sig-layout-'));
  try {
    await assert.rejects(loadSignatures(path.join(tmp, 'missing')), (e: unknown) => e instanceof ContrastiveError && e.code === 'NOT_FOUND');
    await fs.mkdir(path.join(tmp, 'a', 'forged'), { recursive: true });
    await fs.copyFile(path.join(FIXTURES, 'task1.txt'), path.join(tmp, 'a', 'forged', '1.txt'));
    await assert.rejects(loadSignatures(tmp), /writer .*a has no genuine signature/);
    await fs.mkdir(path.join(tmp, 'a', 'genuine'));
    await fs.copyFile(path.join(FIXTURES, 'bad', 'truncated.txt'), path.join(tmp, 'a', 'genuine', '1.txt'));
    await assert.rejects(loadSignatures(tmp), /genuine.1\.txt: truncated/);
    await fs.mkdir(path.join(tmp, 'a', 'extra'));
    await assert.rejects(loadSignatures(tmp), /a writer folder holds only genuine\/ and forged\//);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('offline signatures (CEDAR-style images) load through the image decoder; written sets read back', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sig-offline-'));
  try {
    for (const [w, kind, grey] of [['x', 'genuine', 10], ['x', 'forged', 200], ['y', 'genuine', 90]] as const) {
      await fs.mkdir(path.join(tmp, 'img', w, kind), { recursive: true });
      await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toFile(path.join(tmp, 'img', w, kind, 'a.png'));
    }
    const img = await loadSignatures(path.join(tmp, 'img'), { image: { width: 8, height: 4, channels: 1 } });
    assert.deepEqual(img.inputShape, [4, 8, 1]);
    assert.equal(img.signature.preprocessing, null);
    assert.deepEqual(Array.from(img.signature.forged), [1, 0, 0]);
    assert.ok(Math.abs(img.x[0] - 200 / 255) < 0.01);

    const set = syntheticSignatures({ writers: 2, genuine: 2, forgeries: 1, seed: 3 });
    await writeSignatureSet(path.join(tmp, 'written'), set);
    const back = await loadSignatures(path.join(tmp, 'written'), { preprocessing: { length: 8 } });
    const direct = onlineSignatureDataset('d', set, signaturePreprocessing({ length: 8 }));
    assert.deepEqual(Array.from(back.signature.writer), Array.from(direct.signature.writer).sort());
    assert.equal(back.x.length, direct.x.length);

    // Offline: the same set drawn as images (dark ink on white) loads as an image dataset.
    await writeSignatureSet(path.join(tmp, 'drawn'), set, { format: 'png', render: { width: 60, height: 30 } });
    const drawn = await loadSignatures(path.join(tmp, 'drawn'), { image: { width: 60, height: 30, channels: 1, fit: 'fill' } });
    assert.deepEqual(drawn.inputShape, [30, 60, 1]);
    assert.equal(drawn.labels.length, 6);
    const first = drawn.x.subarray(0, 60 * 30);
    const ink = first.filter((v) => v < 0.5).length;
    assert.ok(ink > 30 && ink < 0.5 * first.length, `some ink, mostly paper: ${ink} dark pixels`);
    assert.equal(drawn.x[0], 1, 'the corner is paper');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
