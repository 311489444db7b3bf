/** Small generated datasets for tests. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import type { LabelledDataset } from '../../packages/contrastive/src/data/types.js';

const SIDE = 8;

/** A small IDX image set: 4 classes, each a noisy copy of its own 8x8 prototype. */
export async function writeIdxSet(dir: string, count: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const protos = Array.from({ length: 4 }, () => Array.from({ length: SIDE * SIDE }, () => rng.int(256)));
  const images = Buffer.alloc(16 + count * SIDE * SIDE);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(SIDE, 8);
  images.writeUInt32BE(SIDE, 12);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) {
    const c = i % 4;
    labels[8 + i] = c;
    for (let p = 0; p < SIDE * SIDE; p++) images[16 + i * SIDE * SIDE + p] = Math.max(0, Math.min(255, protos[c][p] + Math.round(rng.normal() * 40)));
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'train-images-idx3-ubyte'), images);
  await fs.writeFile(path.join(dir, 'train-labels-idx1-ubyte'), labels);
}

/** Gaussian clusters: `classes` classes of `perClass` points in `dim` dimensions. */
export function clusters(classes: number, perClass: number, dim: number, seed: number): LabelledDataset {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => rng.normal() * 2));
  const n = classes * perClass;
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const c = k % classes;
    labels[k] = c;
    for (let j = 0; j < dim; j++) x[k * dim + j] = centres[c][j] + rng.normal() * 0.7;
  }
  return { name: 'clusters', inputShape: [dim], x, labels, numClasses: classes };
}

/**
 * An image folder `dir/c<k>/<nnn>.png`: `classes` classes of `perClass` noisy RGB images of
 * `width` x `height`, each class around its own colour.
 */
export async function writeColourFolder(dir: string, classes: number, perClass: number, width: number, height: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (let c = 0; c < classes; c++) {
    await fs.mkdir(path.join(dir, `c${c}`), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(width * height * 3);
      for (let k = 0; k < px.length; k++) px[k] = Math.max(0, Math.min(255, Math.round(60 * c + (k % 3) * 20 + 40 * rng.normal())));
      await sharp(px, { raw: { width, height, channels: 3 } }).png().toFile(path.join(dir, `c${c}`, `${String(i).padStart(3, '0')}.png`));
    }
  }
}
