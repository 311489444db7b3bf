/** Pair construction for signatures, writer-disjoint splits and the forgery metrics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PAIR_KIND,
  signaturePairs,
  evaluationPairs,
  forgeryMetrics,
  writerDependentScores,
  type SignatureLabels,
} from '../../packages/signatures/src/index.js';

/** 5 writers; writer w has 4 genuine then 2 forged signatures, except writer 4 (3 genuine, no forgeries). */
function labels(): SignatureLabels {
  const writer: number[] = [];
  const forged: number[] = [];
  for (let w = 0; w < 5; w++) {
    const g = w === 4 ? 3 : 4;
    const f = w === 4 ? 0 : 2;
    for (let k = 0; k < g; k++) (writer.push(w), forged.push(0));
    for (let k = 0; k < f; k++) (writer.push(w), forged.push(1));
  }
  return { writer: Int32Array.from(writer), forged: Uint8Array.from(forged) };
}

test('every pair is what its kind says; counts follow positiveFraction and skilledShare', () => {
  const L = labels();
  const p = signaturePairs(L, { count: 1000, positiveFraction: 0.4, skilledShare: 0.25, seed: 3 });
  const count = { genuine: 0, skilled: 0, random: 0 };
  for (let k = 0; k < 1000; k++) {
    const [i, j] = [p.i[k], p.j[k]];
    if (p.kind[k] === PAIR_KIND.genuine) {
      count.genuine++;
      assert.ok(i !== j && L.writer[i] === L.writer[j] && !L.forged[i] && !L.forged[j], `genuine pair ${k}`);
      assert.equal(p.labels[k], 0);
    } else if (p.kind[k] === PAIR_KIND.skilled) {
      count.skilled++;
      assert.ok(L.writer[i] === L.writer[j] && !L.forged[i] && L.forged[j] === 1, `skilled pair ${k}`);
      assert.equal(p.labels[k], 1);
    } else {
      count.random++;
      assert.ok(L.writer[i] !== L.writer[j] && !L.forged[i] && !L.forged[j], `random pair ${k}`);
      assert.equal(p.labels[k], 1);
    }
  }
  assert.deepEqual(count, { genuine: 400, skilled: 150, random: 450 });
});

test('same seed same pairs, another seed other pairs; the kinds come out shuffled', () => {
  const L = labels();
  const a = signaturePairs(L, { count: 200, seed: 1 });
  const b = signaturePairs(L, { count: 200, seed: 1 });
  const c = signaturePairs(L, { count: 200, seed: 2 });
  assert.deepEqual([a.i, a.j, a.kind], [b.i, b.j, b.kind]);
  assert.notDeepEqual(a.i, c.i);
  assert.notEqual(a.kind.slice(0, 100).filter((k) => k === 0).length, 100);
});

test('impossible requests are named', () => {
  const noForgeries: SignatureLabels = { writer: Int32Array.from([0, 0, 1, 1]), forged: new Uint8Array(4) };
  assert.throws(() => signaturePairs(noForgeries, { count: 10, seed: 1 }), /skilled-forgery pairs need .* \(set skilledShare 0\)/);
  assert.doesNotThrow(() => signaturePairs(noForgeries, { count: 10, skilledShare: 0, seed: 1 }));
  const oneWriter: SignatureLabels = { writer: Int32Array.from([0, 0, 0]), forged: Uint8Array.from([0, 0, 1]) };
  assert.throws(() => signaturePairs(oneWriter, { count: 10, seed: 1 }), /random-forgery pairs need genuine signatures of two writers; there are 1/);
  const single: SignatureLabels = { writer: Int32Array.from([0, 1]), forged: new Uint8Array(2) };
  assert.throws(() => signaturePairs(single, { count: 10, skilledShare: 0, seed: 1 }), /similar pairs need a writer with at least two genuine/);
  assert.throws(() => signaturePairs(labels(), { count: 10, skilledShare: 1.5, seed: 1 }), /skilledShare must be in \[0, 1\]/);
});

test('evaluation pairs: all genuine pairs and all genuine x forgery pairs of each writer, k random per genuine', () => {
  const L = labels();
  const p = evaluationPairs(L, { randomPerGenuine: 2, seed: 1 });
  const n = (kind: number): number => p.kind.filter((k) => k === kind).length;
  assert.equal(n(PAIR_KIND.genuine), 4 * 6 + 3); // C(4,2) x 4 writers + C(3,2)
  assert.equal(n(PAIR_KIND.skilled), 4 * 4 * 2);
  assert.equal(n(PAIR_KIND.random), 2 * (4 * 4 + 3));
  for (let k = 0; k < p.kind.length; k++) if (p.kind[k] === PAIR_KIND.random) assert.notEqual(L.writer[p.i[k]], L.writer[p.j[k]]);
});

test('forgeryMetrics: EER per forgery kind and rates at a threshold, by hand', () => {
  // genuine 0.1 0.2 0.3 0.4; skilled 0.35 0.5; random 0.8 0.9
  const distances = [0.1, 0.2, 0.3, 0.4, 0.35, 0.5, 0.8, 0.9];
  const kind = Uint8Array.from([0, 0, 0, 0, 1, 1, 2, 2]);
  const m = forgeryMetrics({ distances, kind }, 0.3);
  assert.equal(m.randomEer, 0);
  assert.ok(m.skilledEer > 0 && m.skilledEer < 0.5, `skilled EER ${m.skilledEer}`);
  assert.equal(m.frr, 0.25);
  assert.equal(m.farSkilled, 0);
  assert.equal(m.farRandom, 0);
  assert.deepEqual(m.pairs, { genuine: 4, skilled: 2, random: 2 });
  assert.equal(forgeryMetrics({ distances, kind }, 0.45).farSkilled, 0.5);
  assert.throws(() => forgeryMetrics({ distances: [0.1], kind: Uint8Array.from([1]) }), /no genuine pairs/);
});

test('writer-dependent scores: k references per writer, the rest questioned, normalised by the references spread', () => {
  const L = labels();
  // Signature "positions": genuine of writer w near 100 w, forgeries at 100 w + 10; distances are |pos_i - pos_j|.
  const pos = Array.from(L.writer, (w, i) => 100 * w + (L.forged[i] ? 10 : (i % 4) * 0.5));
  const s = writerDependentScores(L, (i, j) => Math.abs(pos[i] - pos[j]), { references: 2, seed: 1 });
  const n = (kind: number): number => s.kind.filter((k) => k === kind).length;
  assert.equal(n(PAIR_KIND.genuine), 4 * 2 + 1);
  assert.equal(n(PAIR_KIND.skilled), 4 * 2);
  const m = forgeryMetrics(s);
  assert.equal(m.skilledEer, 0, JSON.stringify(m));
  assert.equal(m.randomEer, 0, JSON.stringify(m));
  // A writer's scores scale with 1 / (mean distance among its references): doubling every distance changes nothing.
  const doubled = writerDependentScores(L, (i, j) => 2 * Math.abs(pos[i] - pos[j]), { references: 2, seed: 1 });
  assert.deepEqual(Array.from(doubled.distances), Array.from(s.distances));
  assert.throws(() => writerDependentScores(L, () => 0, { references: 4, seed: 1 }), /no writer has more than 4 genuine/);
});
