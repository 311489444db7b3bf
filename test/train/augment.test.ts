import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { eraseImages, flipImages, imageAugmenter } from '../../packages/contrastive/src/train/augment.js';

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
