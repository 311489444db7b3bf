/**
 * One formula: every implementation of the contrastive loss (the TF.js-ops path, the mined
 * pairs, the fused TypeScript pass on cpu, the compiled pass on wasm, the loss on precomputed
 * distances, the training diagnostics) equals contrastivePairLoss, the per-pair formula
 * written once in losses/pair-loss.ts, under every convention, margin and positive margin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose } from '../support/helpers.js';
import { contrastiveLoss, contrastiveLossFromDistance, pairLossFromIndices, contrastivePairLoss, CONVENTIONS, type ContrastiveConvention } from '../../packages/contrastive/src/losses/index.js';
import { pairDiagnostics } from '../../packages/contrastive/src/train/diagnostics.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { randomRows, refDistance } from './reference.js';

const SIMILAR_LABEL: Record<ContrastiveConvention, number> = { hadsell: 0, tfa: 1, 'keras-io': 0 };
const SCALE: Record<ContrastiveConvention, number> = { hadsell: 0.5, tfa: 1, 'keras-io': 1 };

test('contrastivePairLoss: the formula by hand', () => {
  // similar: s * max(0, D - m+)^2; dissimilar: s * max(0, m - D)^2
  assert.equal(contrastivePairLoss(0.6, true, { margin: 1 }), 0.5 * 0.36);
  assert.equal(contrastivePairLoss(0.6, false, { margin: 1 }), 0.5 * (0.4 * 0.4));
  assert.equal(contrastivePairLoss(1.2, false, { margin: 1 }), 0);
  assert.equal(contrastivePairLoss(0.2, true, { margin: 1, posMargin: 0.3 }), 0);
  assert.ok(Math.abs(contrastivePairLoss(0.5, true, { margin: 1, posMargin: 0.3, scale: 1 }) - 0.04) < 1e-15);
  assert.equal(contrastivePairLoss(0, false, { margin: 2, scale: 1 }), 4);
  assert.equal(contrastivePairLoss(0, true, { margin: 2 }), 0);
});

/** Pairs with every regime: identical rows (D = 0), inside and beyond the margin, both labels. */
function pairs(seed: number): { e1: number[][]; e2: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const n = 48;
  const e1 = randomRows(() => rng.next(), n, 7, 0.6);
  const e2 = randomRows(() => rng.next(), n, 7, 0.6);
  for (let i = 0; i < n; i += 6) e2[i] = [...e1[i]];
  const y = Array.from({ length: n }, (_, i) => (i * 7 + seed) % 3 === 0 ? 1 : 0);
  return { e1, e2, y };
}

const SETTINGS = CONVENTIONS.flatMap((convention) => [0.7, 1.5].flatMap((margin) => [0, 0.25].map((posMargin) => ({ convention, margin, posMargin }))));

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: every path of contrastiveLoss and the mined and distance forms equal the reference formula`, async () => {
    await withBackend(backend, () => {
      for (const s of SETTINGS) {
        const { e1, e2, y } = pairs(s.margin * 10 + s.posMargin * 100);
        const dist = e1.map((a, i) => refDistance(a, e2[i], 'euclidean'));
        const similar = y.map((l) => l === SIMILAR_LABEL[s.convention]);
        const expected = dist.map((d, i) => contrastivePairLoss(d, similar[i], { margin: s.margin, posMargin: s.posMargin, scale: SCALE[s.convention] }));
        const what = `${backend} ${JSON.stringify(s)}`;
        tf.tidy(() => {
          const a = tf.tensor2d(e1);
          const b = tf.tensor2d(e2);
          for (const implementation of ['fused', 'ops'] as const) {
            const perPair = contrastiveLoss(a, b, y, { ...s, implementation, reduction: 'none' });
            assertClose(perPair.dataSync(), expected, 1e-5, `${what} ${implementation}`);
          }
          const fromDistance = contrastiveLossFromDistance(y, tf.tensor1d(dist), { ...s, reduction: 'none' });
          assertClose(fromDistance.dataSync(), expected, 1e-5, `${what} from distances`);
          // The mined form: rows of both sides stacked, positives and negatives as index tuples.
          const stacked = tf.concat([a, b]) as tf.Tensor2D;
          const n = y.length;
          const pos = y.flatMap((_, i) => (similar[i] ? [i] : []));
          const neg = y.flatMap((_, i) => (similar[i] ? [] : [i]));
          const at = (rows: number[], shift = 0): Int32Array => Int32Array.from(rows, (i) => i + shift);
          const mined = pairLossFromIndices(stacked, { a1: at(pos), p: at(pos, n), a2: at(neg), n: at(neg, n) }, { ...s, reduction: 'none' });
          assertClose(mined.dataSync(), [...pos, ...neg].map((i) => expected[i]), 1e-5, `${what} mined`);
        });
      }
    });
  });
}

test('the training diagnostics use the same formula: their loss is the mean contrastive loss of the pairs, positive margin and convention included', () => {
  for (const s of SETTINGS) {
    const { e1, e2, y } = pairs(3);
    const dist = e1.map((a, i) => refDistance(a, e2[i], 'euclidean'));
    // The diagnostics read labels the library's way (0 similar) whatever the convention.
    const labels01 = y.map((l) => (l === SIMILAR_LABEL[s.convention] ? 0 : 1));
    const diag = pairDiagnostics(dist, labels01, s.margin, { posMargin: s.posMargin, convention: s.convention });
    const trained = tf.tidy(() => contrastiveLossFromDistance(y, tf.tensor1d(dist), { ...s, reduction: 'mean' }).dataSync()[0]);
    assert.ok(Math.abs(diag.loss - trained) < 1e-5 * Math.max(1, trained), `${JSON.stringify(s)}: diagnostics ${diag.loss} vs loss ${trained}`);
  }
});
