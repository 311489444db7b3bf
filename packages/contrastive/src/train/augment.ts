/**
 * Image augmentations for training batches, seeded: shift (see `shiftImages`),
 * horizontal flip and random erasing (Zhong et al. 2020). They make an
 * embedding lean on shape rather than on exact pixel positions, which matters
 * most for classes never seen in training. Flips suit clothing, faces and
 * natural images, not digits, letters or signatures.
 */
import { check } from '../errors.js';
import { shiftImages } from './batches.js';

/** A seeded source of randomness (the trainer's `Rng`). */
interface RandomSource {
  int(n: number): number;
  next(): number;
}

/** Which augmentations to apply to each training image. */
export interface ImageAugmentation {
  /** Random shift by up to this many pixels along each axis (0 = none). */
  shift: number;
  /** Mirror each image left-right with probability 1/2. */
  flip: boolean;
  /** Probability of erasing one random rectangle (2-20 % of the area, aspect 0.3-3.3) with uniform noise in [0, 1]. */
  erase: number;
}

/** Mirrors each of the `n` images of `buf` ([height, width, channels], row-major) left-right with probability 1/2, in place. */
export function flipImages(buf: Float32Array, n: number, shape: readonly number[], rng: RandomSource): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  for (let k = 0; k < n; k++) {
    if (rng.int(2) === 0) continue;
    const base = k * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w >> 1; x++) {
        const l = base + (y * w + x) * c;
        const r = base + (y * w + (w - 1 - x)) * c;
        for (let ch = 0; ch < c; ch++) {
          const t = buf[l + ch];
          buf[l + ch] = buf[r + ch];
          buf[r + ch] = t;
        }
      }
    }
  }
}

/**
 * Random erasing: with probability `p`, one rectangle of each image is replaced
 * by uniform noise in [0, 1] (area 2-20 % of the image, aspect ratio 0.3-3.3,
 * as Zhong et al.), in place.
 */
export function eraseImages(buf: Float32Array, n: number, shape: readonly number[], p: number, rng: RandomSource): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  for (let k = 0; k < n; k++) {
    if (rng.next() >= p) continue;
    const area = (0.02 + 0.18 * rng.next()) * h * w;
    const aspect = Math.exp(Math.log(0.3) + (Math.log(3.3) - Math.log(0.3)) * rng.next());
    const eh = Math.max(1, Math.min(h, Math.round(Math.sqrt(area * aspect))));
    const ew = Math.max(1, Math.min(w, Math.round(Math.sqrt(area / aspect))));
    const y0 = rng.int(h - eh + 1);
    const x0 = rng.int(w - ew + 1);
    for (let y = y0; y < y0 + eh; y++) {
      for (let i = (y * w + x0) * c, end = (y * w + x0 + ew) * c; i < end; i++) buf[k * size + i] = rng.next();
    }
  }
}

/**
 * The in-place batch augmenter for `aug` on images of `shape`, or undefined when
 * it does nothing. Randomness is drawn from `rng` in a fixed order (shift, flip,
 * erase), so the same seed gives the same batches.
 *
 * @throws ContrastiveError for a negative shift, an erase probability outside
 *   [0, 1], or augmentation of inputs that are not images [height, width, channels].
 */
export function imageAugmenter(aug: ImageAugmentation, shape: readonly number[], rng: RandomSource): ((buf: Float32Array, rows: number) => void) | undefined {
  const fn = 'train';
  check(Number.isInteger(aug.shift) && aug.shift >= 0, fn, `augment shift must be a non-negative integer, got ${aug.shift}`);
  check(Number.isFinite(aug.erase) && aug.erase >= 0 && aug.erase <= 1, fn, `augment erase must be a probability in [0, 1], got ${aug.erase}`);
  if (aug.shift === 0 && !aug.flip && aug.erase === 0) return undefined;
  check(shape.length === 3, fn, `image augmentation needs inputs [height, width, channels]; examples have shape ${JSON.stringify(shape)}`);
  return (buf, rows) => {
    if (aug.shift > 0) shiftImages(buf, rows, shape, aug.shift, rng);
    if (aug.flip) flipImages(buf, rows, shape, rng);
    if (aug.erase > 0) eraseImages(buf, rows, shape, aug.erase, rng);
  };
}
