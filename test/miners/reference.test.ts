import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import {
  allPairsMiner,
  hardNegativePairMiner,
  semiHardPairMiner,
  pairMarginMiner,
  allTripletsMiner,
  batchHardTripletMiner,
  semiHardTripletMiner,
  createPairMiner,
  createTripletMiner,
  minedPairsToIndexPairs,
  type PairIndices,
  type TripletIndices,
} from '../../packages/contrastive/src/miners/index.js';

// Tiny random batches. Points on a coarse integer grid make many distances tie;
// the asymmetric variant checks that no miner assumes D(i, j) = D(j, i).
interface Batch {
  d: Float32Array;
  labels: Int32Array;
  n: number;
  dist(i: number, j: number): number;
}
function randomBatch(seed: number, symmetric: boolean): Batch {
  const r = new Rng(seed);
  const n = 2 + r.int(9);
  const classes = 1 + r.int(4);
  const labels = Int32Array.from({ length: n }, () => r.int(classes));
  const pts = Array.from({ length: n }, () => [r.int(3), r.int(3)]);
  const d = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      d[i * n + j] = symmetric ? Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]) : r.int(4) * 0.5;
    }
  }
  return { d, labels, n, dist: (i, j) => d[i * n + j] };
}
const batches: Batch[] = [];
for (let s = 1; s <= 40; s++) batches.push(randomBatch(s, s % 3 !== 0));

type Pair = [number, number];
const pairsOf = (a: Int32Array, b: Int32Array): Pair[] => Array.from(a, (x, k) => [x, b[k]] as Pair);
const tripletsOf = (t: TripletIndices): number[][] => Array.from(t.anchor, (x, k) => [x, t.positive[k], t.negative[k]]);

// Independent references: plain nested loops over (i, j) in row-major order.
function refPairs(b: Batch): { pos: Pair[]; neg: Pair[] } {
  const pos: Pair[] = [];
  const neg: Pair[] = [];
  for (let i = 0; i < b.n; i++)
    for (let j = 0; j < b.n; j++) {
      if (i === j) continue;
      (b.labels[i] === b.labels[j] ? pos : neg).push([i, j]);
    }
  return { pos, neg };
}
function refTriplets(b: Batch): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < b.n; a++)
    for (let p = 0; p < b.n; p++)
      for (let x = 0; x < b.n; x++)
        if (a !== p && b.labels[a] === b.labels[p] && b.labels[a] !== b.labels[x]) out.push([a, p, x]);
  return out;
}
function checkPairs(got: PairIndices, pos: Pair[], neg: Pair[], what: string): void {
  assert.deepEqual(pairsOf(got.a1, got.p), pos, `${what}: positives`);
  assert.deepEqual(pairsOf(got.a2, got.n), neg, `${what}: negatives`);
}

test('allPairsMiner: every ordered same-class pair (no self pairs) and every different-class pair', () => {
  for (const [k, b] of batches.entries()) {
    const { pos, neg } = refPairs(b);
    checkPairs(allPairsMiner(b.d, b.labels), pos, neg, `batch ${k}`);
  }
  // hand-made: labels [0, 0, 1]
  const got = allPairsMiner(new Float32Array(9), [0, 0, 1]);
  assert.deepEqual(pairsOf(got.a1, got.p), [[0, 1], [1, 0]]);
  assert.deepEqual(pairsOf(got.a2, got.n), [[0, 2], [1, 2], [2, 0], [2, 1]]);
});

test('hardNegativePairMiner: as many negatives as positives, smallest distances, ties by (row, column)', () => {
  for (const [k, b] of batches.entries()) {
    const { pos, neg } = refPairs(b);
    // reference: repeatedly take the minimum remaining negative (selection, not sorting)
    const left = neg.slice();
    const chosen: Pair[] = [];
    while (chosen.length < pos.length && left.length > 0) {
      let best = 0;
      for (let q = 1; q < left.length; q++) if (b.dist(...left[q]) < b.dist(...left[best])) best = q;
      chosen.push(left.splice(best, 1)[0]);
    }
    checkPairs(hardNegativePairMiner(b.d, b.labels), pos, chosen, `batch ${k}`);
  }
});

test('semiHardPairMiner: negatives with D(a,p) < D(a,n) < D(a,p) + margin for some positive of the anchor', () => {
  for (const margin of [0.5, 1, 2]) {
    for (const [k, b] of batches.entries()) {
      const { pos, neg } = refPairs(b);
      const want = neg.filter(([a, x]) =>
        pos.some(([a1, p]) => a1 === a && b.dist(a, p) < b.dist(a, x) && b.dist(a, x) < b.dist(a, p) + margin),
      );
      checkPairs(semiHardPairMiner(b.d, b.labels, { margin }), pos, want, `batch ${k} margin ${margin}`);
      checkPairs(createPairMiner('semi-hard', { margin })(b.d, b.labels), pos, want, `registry batch ${k}`);
    }
  }
});

test('pairMarginMiner: positives with D > posMargin, negatives with D < negMargin', () => {
  for (const [posMargin, negMargin] of [[0, 1], [0.5, 1.5], [1, 0.5]]) {
    for (const [k, b] of batches.entries()) {
      const { pos, neg } = refPairs(b);
      checkPairs(
        pairMarginMiner(b.d, b.labels, { posMargin, negMargin }),
        pos.filter((q) => b.dist(...q) > posMargin),
        neg.filter((q) => b.dist(...q) < negMargin),
        `batch ${k}`,
      );
    }
  }
  // defaults: posMargin 0, negMargin = margin
  const b = batches[0];
  const { pos, neg } = refPairs(b);
  checkPairs(
    createPairMiner('pair-margin', { margin: 2 })(b.d, b.labels),
    pos.filter((q) => b.dist(...q) > 0),
    neg.filter((q) => b.dist(...q) < 2),
    'defaults',
  );
});

test('allTripletsMiner: every (anchor, positive, negative) in lexicographic order', () => {
  for (const [k, b] of batches.entries()) {
    assert.deepEqual(tripletsOf(allTripletsMiner(b.d, b.labels)), refTriplets(b), `batch ${k}`);
  }
  // m examples per class: N (m - 1) (N - m) triplets
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2];
  assert.equal(allTripletsMiner(new Float32Array(81), labels).anchor.length, 9 * 2 * 6);
});

test('batchHardTripletMiner: per anchor the farthest positive and the closest negative, ties to the lower index', () => {
  for (const [k, b] of batches.entries()) {
    const want: number[][] = [];
    for (let a = 0; a < b.n; a++) {
      const ps = refTriplets(b).filter((t) => t[0] === a).map((t) => t[1]);
      const xs = refTriplets(b).filter((t) => t[0] === a).map((t) => t[2]);
      if (ps.length === 0 || xs.length === 0) continue;
      const maxP = Math.max(...ps.map((p) => b.dist(a, p)));
      const minX = Math.min(...xs.map((x) => b.dist(a, x)));
      want.push([a, Math.min(...ps.filter((p) => b.dist(a, p) === maxP)), Math.min(...xs.filter((x) => b.dist(a, x) === minX))]);
    }
    assert.deepEqual(tripletsOf(batchHardTripletMiner(b.d, b.labels)), want, `batch ${k}`);
    assert.deepEqual(tripletsOf(createTripletMiner('hard')(b.d, b.labels)), want, `registry batch ${k}`);
  }
});

test('semiHardTripletMiner: D(a,p) < D(a,n) < D(a,p) + margin', () => {
  for (const margin of [0.5, 1, 3]) {
    for (const [k, b] of batches.entries()) {
      const want = refTriplets(b).filter(([a, p, x]) => b.dist(a, p) < b.dist(a, x) && b.dist(a, x) < b.dist(a, p) + margin);
      assert.deepEqual(tripletsOf(semiHardTripletMiner(b.d, b.labels, { margin })), want, `batch ${k}`);
      assert.deepEqual(tripletsOf(createTripletMiner('semi-hard', { margin })(b.d, b.labels)), want, `registry ${k}`);
    }
  }
});

test('semi-hard pair negatives are exactly the negatives of semi-hard triplets', () => {
  for (const b of batches) {
    const t = semiHardTripletMiner(b.d, b.labels, { margin: 1 });
    const fromTriplets = new Set(Array.from(t.anchor, (a, k) => `${a},${t.negative[k]}`));
    const pm = semiHardPairMiner(b.d, b.labels, { margin: 1 });
    assert.deepEqual(new Set(Array.from(pm.a2, (a, k) => `${a},${pm.n[k]}`)), fromTriplets);
  }
});

test('minedPairsToIndexPairs: positives labelled 0 then negatives labelled 1', () => {
  const got = minedPairsToIndexPairs(allPairsMiner(new Float32Array(9), [0, 0, 1]));
  assert.deepEqual(Array.from(got.i), [0, 1, 0, 1, 2, 2]);
  assert.deepEqual(Array.from(got.j), [1, 0, 2, 2, 0, 1]);
  assert.deepEqual(Array.from(got.labels), [0, 0, 1, 1, 1, 1]);
});

test('miners: bad input throws ContrastiveError naming the function and the problem', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);
  assert.throws(() => allPairsMiner(new Float32Array(8), [0, 1, 2]), is(/allPairsMiner: distances has 8 values but labels has 3 entries/));
  assert.throws(() => batchHardTripletMiner(new Float32Array(4), [0, 0.5]), is(/batchHardTripletMiner: labels\[1\] is 0.5/));
  assert.throws(() => hardNegativePairMiner(Float32Array.from([0, NaN, 1, 0]), [0, 1]), is(/row 0, column 1\) is NaN/));
  assert.throws(() => semiHardPairMiner(new Float32Array(4), [0, 1], { margin: -1 }), is(/margin must be a finite number >= 0/));
  assert.throws(() => createPairMiner('hardest'), is(/unknown pair miner 'hardest', expected one of 'all', 'hard-negative', 'semi-hard', 'pair-margin'/));
  assert.throws(() => createTripletMiner('semihard'), is(/unknown triplet miner 'semihard', expected one of 'all', 'hard', 'semi-hard'/));
  assert.throws(() => createPairMiner('pair-margin', { negMargin: NaN }), is(/negMargin must be a finite number/));
});

test('miners: empty and single-class batches give empty results, not errors', () => {
  const empty = allPairsMiner(new Float32Array(0), []);
  assert.equal(empty.a1.length + empty.a2.length, 0);
  const one = batchHardTripletMiner(new Float32Array(9), [3, 3, 3]);
  assert.equal(one.anchor.length, 0);
  const hn = hardNegativePairMiner(new Float32Array(4), [0, 1]);
  assert.equal(hn.a2.length, 0, 'no positives -> no negatives');
});
