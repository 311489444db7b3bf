import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend } from '../support/helpers.js';
import { contrastiveLoss } from '../../packages/contrastive/src/losses/index.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { SiameseNetwork, cnnEncoder, mlpEncoder, type Encoder } from '../../packages/contrastive/src/models/index.js';

/**
 * A toy pair task: points from 4 Gaussian clusters; pairs from one cluster are
 * similar (label 0), from two clusters dissimilar (label 1).
 */
function clusterPairs(count: number, shape: number[], seed: number): { x1: tf.Tensor; x2: tf.Tensor; labels: number[] } {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const centres = Array.from({ length: 4 }, () => Array.from({ length: size }, () => rng.normal()));
  const point = (c: number) => centres[c].map((v) => v + 0.3 * rng.normal());
  const a: number[] = [];
  const b: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const ca = rng.int(4);
    const similar = i % 2 === 0;
    const cb = similar ? ca : (ca + 1 + rng.int(3)) % 4;
    a.push(...point(ca));
    b.push(...point(cb));
    labels.push(similar ? 0 : 1);
  }
  return { x1: tf.tensor(a, [count, ...shape]), x2: tf.tensor(b, [count, ...shape]), labels };
}

/** Trains `encoder` as a Siamese network with Adam; returns the loss before and after. */
function trainLosses(encoder: Encoder, shape: number[], steps: number, pairs: number): { first: number; last: number } {
  const net = new SiameseNetwork(encoder);
  const { x1, x2, labels } = clusterPairs(pairs, shape, 1);
  const optimizer = tf.train.adam(0.01);
  const lossOf = (training: boolean) => contrastiveLoss(net.embed(x1, { training }), net.embed(x2, { training }), labels, { margin: 1 }) as tf.Scalar;
  const first = tf.tidy(() => lossOf(false).dataSync()[0]);
  for (let step = 0; step < steps; step++) {
    const cost = optimizer.minimize(() => lossOf(true), true, net.trainableWeights);
    assert.ok(Number.isFinite(cost!.dataSync()[0]), `step ${step}: loss is not finite`);
    cost!.dispose();
  }
  const last = tf.tidy(() => lossOf(false).dataSync()[0]);
  tf.dispose([x1, x2]);
  optimizer.dispose();
  net.dispose();
  return { first, last };
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`a tiny Siamese MLP's contrastive loss falls when trained for a few steps (${backend})`, async () => {
    await withBackend(backend, () => {
      const { first, last } = trainLosses(mlpEncoder({ inputShape: [8], hidden: [16], embeddingDim: 4, seed: 1 }), [8], 30, 64);
      assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
    });
  });

  test(`a tiny Siamese CNN's contrastive loss falls when trained for a few steps (${backend})`, async () => {
    await withBackend(backend, () => {
      const cnn = cnnEncoder({ inputShape: [8, 8, 1], filters: [4], dense: 8, embeddingDim: 3, seed: 1 });
      const { first, last } = trainLosses(cnn, [8, 8, 1], 15, 16);
      assert.ok(last < 0.7 * first, `loss ${first} -> ${last}`);
    });
  });
}
