import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { affineImages, affineMatrix, eraseImages, flipImages, imageAugmenter, warpAffine } from '../../packages/contrastive/src/train/augment.js';

const always = { int: (n: number) => n - 1, next: () => 0.5 };

test('flipImages mirrors each row of each channel', () => {
  // two 2x3 images with 2 channels: value = 100 * image + 10 * x + channel (+ 50 * y)
  const shape = [2, 3, 2];
  const buf = new Float32Array(2 * 12);
  for (let k = 0; k < 2; k++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 2; c++) buf[k * 12 + (y * 3 + x) * 2 + c] = 100 * k + 50 * y + 10 * x + c;
  const out = buf.slice();
  flipImages(out, 2, shape, always);
  for (let k = 0; k < 2; k++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 2; c++) {
    assert.equal(out[k * 12 + (y * 3 + x) * 2 + c], 100 * k + 50 * y + 10 * (2 - x) + c);
  }
  flipImages(out, 2, shape, always);
  assert.deepEqual(out, buf);
});

test('eraseImages: p = 1 noises one rectangle of 2-20 % of each image and nothing else; p = 0 changes nothing', () => {
  const shape = [28, 28, 1];
  const rng = new Rng(3);
  for (let trial = 0; trial < 50; trial++) {
    const buf = new Float32Array(784).fill(-1);
    eraseImages(buf, 1, shape, 1, rng);
    const changed: Array<[number, number]> = [];
    buf.forEach((v, i) => {
      if (v !== -1) {
        assert.ok(v >= 0 && v < 1);
        changed.push([Math.floor(i / 28), i % 28]);
      }
    });
    const ys = changed.map(([y]) => y);
    const xs = changed.map(([, x]) => x);
    const h = Math.max(...ys) - Math.min(...ys) + 1;
    const w = Math.max(...xs) - Math.min(...xs) + 1;
    assert.equal(changed.length, h * w, 'a filled rectangle');
    assert.ok(h * w >= 0.015 * 784 && h * w <= 0.25 * 784, `area ${h * w}`);
  }
  const buf = new Float32Array(784).fill(-1);
  eraseImages(buf, 1, shape, 0, rng);
  assert.ok(buf.every((v) => v === -1));
});

test('imageAugmenter: none when nothing is on, the same batches from the same seed, errors name the option', () => {
  assert.equal(imageAugmenter({ shift: 0, flip: false, erase: 0 }, [4], new Rng(1)), undefined);
  const run = (seed: number): Float32Array => {
    const buf = Float32Array.from({ length: 8 * 784 }, (_, i) => (i % 97) / 97);
    imageAugmenter({ shift: 2, flip: true, erase: 0.5 }, [28, 28, 1], new Rng(seed))!(buf, 8);
    return buf;
  };
  assert.deepEqual(run(4), run(4));
  assert.notDeepEqual(run(4), run(5));
  const throwsWith = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
  throwsWith(() => imageAugmenter({ shift: 0, flip: true, erase: 0 }, [784], new Rng(1)), /image augmentation needs inputs \[height, width, channels\]/);
  throwsWith(() => imageAugmenter({ shift: 0, flip: false, erase: 1.5 }, [28, 28, 1], new Rng(1)), /augment erase must be a probability/);
});

/** A [h, w, c] image of distinct values in (0, 1]. */
function ramp(shape: readonly number[]): Float32Array {
  const n = shape[0] * shape[1] * shape[2];
  return Float32Array.from({ length: n }, (_, i) => (i + 1) / n);
}

test('warpAffine: the identity matrix copies exactly, every channel', () => {
  for (const shape of [[28, 28, 1], [5, 7, 3]]) {
    const src = ramp(shape);
    const dst = new Float32Array(src.length).fill(-1);
    warpAffine(src, dst, shape, [1, 0, 0, 1]);
    assert.deepEqual(dst, src);
    warpAffine(src, dst, shape, affineMatrix(0, 1, 0));
    assert.deepEqual(dst, src);
  }
});

test('warpAffine: a 90-degree rotation moves a known pixel counter-clockwise about the centre', () => {
  // 5x5, centre (2, 2): the pixel at x = 4, y = 1 (2 right, 1 up of the centre) goes to x = 1, y = 0 (1 left, 2 up)
  const shape = [5, 5, 2];
  const src = new Float32Array(50);
  src[(1 * 5 + 4) * 2 + 0] = 1;
  src[(1 * 5 + 4) * 2 + 1] = 0.5;
  const dst = new Float32Array(50);
  warpAffine(src, dst, shape, affineMatrix(90, 1, 0));
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const at = x === 1 && y === 0;
      assert.ok(Math.abs(dst[(y * 5 + x) * 2] - (at ? 1 : 0)) < 1e-9, `channel 0 at x=${x}, y=${y}: ${dst[(y * 5 + x) * 2]}`);
      assert.ok(Math.abs(dst[(y * 5 + x) * 2 + 1] - (at ? 0.5 : 0)) < 1e-9, `channel 1 at x=${x}, y=${y}`);
    }
  }
  // four quarter turns give the image back; a zoom of 2 takes the pixel next to the centre twice as far
  let img = ramp([5, 5, 1]);
  const start = img.slice();
  for (let i = 0; i < 4; i++) {
    const next = new Float32Array(25);
    warpAffine(img, next, [5, 5, 1], affineMatrix(90, 1, 0));
    img = next;
  }
  start.forEach((v, i) => assert.ok(Math.abs(img[i] - v) < 1e-6));
  const dot = new Float32Array(25);
  dot[2 * 5 + 3] = 1; // x = 3, y = 2: one right of the centre
  const zoomed = new Float32Array(25);
  warpAffine(dot, zoomed, [5, 5, 1], affineMatrix(0, 2, 0));
  assert.equal(zoomed[2 * 5 + 4], 1); // x = 4: two right
  // a 30-degree shear lands between pixels: the interpolation keeps values within the source's range
  const sheared = new Float32Array(25);
  warpAffine(ramp([5, 5, 1]), sheared, [5, 5, 1], affineMatrix(0, 1, 30));
  assert.ok(sheared.every((v) => v >= 0 && v <= 1));
  assert.throws(() => warpAffine(dot, zoomed, [5, 5, 1], [1, 1, 1, 1]), (e: unknown) => e instanceof ContrastiveError && /singular/.test(e.message));
});

test('affineImages: zero ranges change nothing; each image draws its own warp, within range, seeded', () => {
  const shape = [28, 28, 1];
  const batch = new Float32Array(4 * 784);
  for (let k = 0; k < 4; k++) batch.set(ramp(shape), k * 784);
  const same = batch.slice();
  affineImages(same, 4, shape, { rotate: 0, scale: 0, shear: 0 }, new Rng(1));
  assert.deepEqual(same, batch);
  const warp = (seed: number): Float32Array => {
    const b = batch.slice();
    affineImages(b, 4, shape, { rotate: 15, scale: 0.1, shear: 10 }, new Rng(seed));
    return b;
  };
  const a = warp(7);
  assert.deepEqual(a, warp(7));
  assert.notDeepEqual(a, warp(8));
  assert.notDeepEqual(a.subarray(0, 784), a.subarray(784, 1568), 'each image its own warp');
  assert.ok(a.every((v) => v >= 0 && v <= 1));
});

test('imageAugmenter: affine ranges are checked, and an affine-only augmenter warps', () => {
  const throwsWith = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
  throwsWith(() => imageAugmenter({ shift: 0, flip: false, erase: 0, affine: { rotate: 200 } }, [28, 28, 1], new Rng(1)), /augment affine must be \{ rotate\?, scale\?, shear\? \}/);
  throwsWith(() => imageAugmenter({ shift: 0, flip: false, erase: 0, affine: { scale: 1 } }, [28, 28, 1], new Rng(1)), /scale in \[0, 1\)/);
  throwsWith(() => imageAugmenter({ shift: 0, flip: false, erase: 0, affine: { rotate: 5, zoom: 1 } as never }, [28, 28, 1], new Rng(1)), /augment affine/);
  throwsWith(() => imageAugmenter({ shift: 0, flip: false, erase: 0, affine: { rotate: 5 } }, [784], new Rng(1)), /image augmentation needs inputs/);
  assert.equal(imageAugmenter({ shift: 0, flip: false, erase: 0, affine: {} }, [28, 28, 1], new Rng(1)), undefined);
  const buf = ramp([28, 28, 1]);
  imageAugmenter({ shift: 0, flip: false, erase: 0, affine: { rotate: 20 } }, [28, 28, 1], new Rng(2))!(buf, 1);
  assert.notDeepEqual(buf, ramp([28, 28, 1]));
});
