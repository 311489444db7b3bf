import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, assertSameValues } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';
import { pairLossFromIndices } from '../../packages/contrastive/src/losses/index.js';
import { allPairsMiner } from '../../packages/contrastive/src/miners/pair-miners.js';
import { pairwiseDistanceMatrix } from '../../packages/contrastive/src/distances/index.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { CrossBatchMemory, crossBatchMemoryLoss } from '../../packages/contrastive/src/train/cross-batch-memory.js';
import { trainSiamese } from '../../packages/contrastive/src/train/trainer.js';
import { finiteDifference, randomRows, refDistance } from '../losses/reference.js';

const D = 3;
const MARGIN = 0.9;

/**
 * Brute force, float64: every ordered in-batch pair (i != j), every (batch, memory)
 * positive, every (batch, memory) negative closer than the margin; the mean of
 * ½D² (positives) and ½max(0, m - D)² (negatives) over all of them.
 */
function bruteForce(batch: number[][], labels: number[], memRows: number[][], memLabels: number[], posMargin = 0): number {
  const terms: number[] = [];
  const pos = (dd: number) => 0.5 * Math.max(0, dd - posMargin) ** 2;
  const neg = (dd: number) => 0.5 * Math.max(0, MARGIN - dd) ** 2;
  for (let i = 0; i < batch.length; i++) {
    for (let j = 0; j < batch.length; j++) {
      if (i === j) continue;
      const dd = refDistance(batch[i], batch[j], 'euclidean');
      terms.push(labels[i] === labels[j] ? pos(dd) : neg(dd));
    }
    for (let j = 0; j < memRows.length; j++) {
      const dd = refDistance(batch[i], memRows[j], 'euclidean');
      if (labels[i] === memLabels[j]) terms.push(pos(dd));
      else if (dd < MARGIN) terms.push(neg(dd));
    }
  }
  return terms.reduce((s, x) => s + x, 0) / terms.length;
}

test('CrossBatchMemory: a FIFO of the last `size` rows; clear empties it', () => {
  const m = new CrossBatchMemory(3, 2);
  m.push(Float32Array.from([0, 0, 1, 1]), [0, 1]);
  assert.equal(m.count, 2);
  m.push(Float32Array.from([2, 2, 3, 3]), [2, 3]);
  assert.equal(m.count, 3);
  const { rows, labels } = m.contents();
  // row 0 was dropped; the ring holds rows 1, 2, 3 (slot order)
  assert.deepEqual([...labels].sort(), [1, 2, 3]);
  for (let k = 0; k < 3; k++) assert.equal(rows[2 * k], labels[k]);
  m.clear();
  assert.equal(m.count, 0);
  assert.throws(() => m.push(new Float32Array(3), [0, 1]), ContrastiveError);
  assert.throws(() => new CrossBatchMemory(0, 2), ContrastiveError);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: cross-batch memory loss - value and batch gradient against a brute force on a tiny batch`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(4);
      const batch = randomRows(() => rng.next(), 5, D, 0.5);
      const labels = [0, 1, 0, 2, 1];
      const memRows = randomRows(() => rng.next(), 7, D, 0.5);
      const memLabels = [1, 0, 2, 2, 0, 1, 3];
      const memory = new CrossBatchMemory(16, D);
      memory.push(Float32Array.from(memRows.flat()), memLabels);
      const mined = allPairsMiner(pairwiseDistanceMatrix(Float32Array.from(batch.flat()), undefined, 'euclidean', D), labels);
      for (const posMargin of [0, 0.15]) {
        const expected = bruteForce(batch, labels, memRows, memLabels, posMargin);
        // the tiny batch has memory negatives on both sides of the margin, so the selection is tested
        const negD = memRows.flatMap((r, j) => batch.map((b, i) => (labels[i] !== memLabels[j] ? refDistance(b, r, 'euclidean') : NaN))).filter((x) => !Number.isNaN(x));
        assert.ok(negD.some((x) => x < MARGIN) && negD.some((x) => x > MARGIN));
        const opts = { margin: MARGIN, posMargin };
        const value = crossBatchMemoryLoss(tf.tensor2d(batch), labels, mined, memory, opts).dataSync()[0];
        assertClose([value], [expected], 1e-5, `loss, posMargin ${posMargin}`);
        const g = tf.grad((e: tf.Tensor) => crossBatchMemoryLoss(e as tf.Tensor2D, labels, mined, memory, opts))(tf.tensor2d(batch));
        const fd = finiteDifference((x) => bruteForce(x, labels, memRows, memLabels, posMargin), batch.map((r) => r.slice()));
        assertClose(g.dataSync(), fd, 1e-4, `gradient, posMargin ${posMargin}`);
      }
    });
  });

  test(`${backend}: with an empty memory the loss is exactly the in-batch pair loss`, async () => {
    await withBackend(backend, () => {
      const rng = new Rng(8);
      const batch = tf.tensor2d(randomRows(() => rng.next(), 6, D));
      const labels = [0, 0, 1, 1, 2, 2];
      const mined = allPairsMiner(pairwiseDistanceMatrix(batch.dataSync() as Float32Array, undefined, 'euclidean', D), labels);
      const a = crossBatchMemoryLoss(batch, labels, mined, new CrossBatchMemory(4, D), { margin: MARGIN }).dataSync()[0];
      const b = pairLossFromIndices(batch, mined, { margin: MARGIN }).dataSync()[0];
      assert.equal(a, b);
    });
  });
}

/** Gaussian clusters: `classes` classes of `perClass` points in 8 dimensions. */
function clusters(classes: number, perClass: number, seed: number): LabelledDataset {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: 8 }, () => rng.normal() * 2));
  const x = new Float32Array(classes * perClass * 8);
  const labels = Int32Array.from({ length: classes * perClass }, (_, k) => k % classes);
  labels.forEach((c, k) => centres[c].forEach((v, j) => (x[k * 8 + j] = v + rng.normal() * 0.7)));
  return { name: 'clusters', inputShape: [8], x, labels, numClasses: classes };
}

test('trainer: a memory (and a positive margin) train on mined batches deterministically; bad combinations are rejected', async () => {
  await withBackend('wasm', async () => {
    const train = clusters(6, 30, 1);
    const validation = clusters(6, 10, 2);
    const net = (): SiameseNetwork => new SiameseNetwork(mlpEncoder({ inputShape: [8], hidden: [16], embeddingDim: 4, seed: 3 }), { normalize: true });
    const cfg = { epochs: 2, batchSize: 16, seed: 5, validationPairs: 200, patience: 0, miner: 'all', margin: 0.5, posMargin: 0.05, memorySize: 64 };
    const a = net();
    const ra = await trainSiamese(a, { train, validation }, cfg);
    const b = net();
    await trainSiamese(b, { train, validation }, cfg);
    assertSameValues(a.getWeights()[0].dataSync(), b.getWeights()[0].dataSync());
    assert.ok(ra.history.every((r) => Number.isFinite(r.trainLoss)));
    assert.ok(ra.history[1].validation!.auc > 0.8, `validation AUC ${ra.history[1].validation!.auc}`);
    const rejects = async (over: object, re: RegExp): Promise<void> => {
      await assert.rejects(trainSiamese(net(), { train }, { ...cfg, ...over }), (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
    };
    await rejects({ miner: undefined }, /cross-batch memory needs the contrastive loss with an in-batch miner/);
    await rejects({ memorySize: 0, loss: 'triplet', miner: 'semi-hard' }, /\{ posMargin \} applies to the contrastive loss only, not the triplet loss/);
    await rejects({ posMargin: 0.6 }, /\{ posMargin: 0.6 \} must be below the margin \(0.5\)/);
  });
});
