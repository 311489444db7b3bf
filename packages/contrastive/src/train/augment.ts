/**
 * Image augmentations for training batches, seeded: random affine warps
 * (rotation, scaling, shear: the classic recipe for small digit and letter
 * sets), shift (see `shiftImages`), horizontal flip and random erasing
 * (Zhong et al. 2020). They make an
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

/**
 * Ranges of a random affine warp about the image centre; each image draws its
 * own rotation, scale and shear uniformly within them. 0 (or leaving a range
 * out) keeps that part fixed.
 * @group Training
 */
export interface AffineAugmentation {
  /** Rotation by up to this many degrees either way, in [0, 180]. */
  rotate?: number;
  /** Zoom by a factor in [1 - scale, 1 + scale], scale in [0, 1). */
  scale?: number;
  /** Horizontal shear by up to this many degrees either way, in [0, 60]. */
  shear?: number;
}

/** Which augmentations to apply to each training image. */
export interface ImageAugmentation {
  /** Random affine warp (applied first); undefined = none. */
  affine?: AffineAugmentation;
  /** Random shift by up to this many pixels along each axis (0 = none). */
  shift: number;
  /** Mirror each image left-right with probability 1/2. */
  flip: boolean;
  /** Probability of erasing one random rectangle (2-20 % of the area, aspect 0.3-3.3) with uniform noise in [0, 1]. */
  erase: number;
}

/**
 * Warps one image by the 2x2 matrix `m` = [m00, m01, m10, m11] about its centre:
 * the pixel at (x, y) (x right, y down, relative to the centre) moves to
 * (m00 x + m01 y, m10 x + m11 y). Each output pixel is read from the inverse-mapped
 * source point by bilinear interpolation, zero outside the image, so values stay
 * within the input's range and the identity matrix copies exactly. `src` and `dst`
 * hold one image [height, width, channels] each and must not overlap.
 */
export function warpAffine(src: Float32Array, dst: Float32Array, shape: readonly number[], m: readonly [number, number, number, number]): void {
  const [h, w, c] = shape;
  const det = m[0] * m[3] - m[1] * m[2];
  check(Number.isFinite(det) && det !== 0, 'warpAffine', `the matrix ${JSON.stringify(m)} is singular`);
  // inverse matrix: where each output pixel comes from
  const i00 = m[3] / det;
  const i01 = -m[1] / det;
  const i10 = -m[2] / det;
  const i11 = m[0] / det;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    const ry = y - cy;
    for (let x = 0; x < w; x++) {
      const rx = x - cx;
      const sx = i00 * rx + i01 * ry + cx;
      const sy = i10 * rx + i11 * ry + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        // the four neighbours (fx, fy in [0, 1)), each skipped when outside the image or weighted 0
        if (y0 >= 0 && y0 < h) {
          if (x0 >= 0 && x0 < w) v += (1 - fx) * (1 - fy) * src[(y0 * w + x0) * c + ch];
          if (x0 + 1 < w && x0 + 1 >= 0 && fx > 0) v += fx * (1 - fy) * src[(y0 * w + x0 + 1) * c + ch];
        }
        if (y0 + 1 >= 0 && y0 + 1 < h && fy > 0) {
          if (x0 >= 0 && x0 < w) v += (1 - fx) * fy * src[((y0 + 1) * w + x0) * c + ch];
          if (x0 + 1 >= 0 && x0 + 1 < w && fx > 0) v += fx * fy * src[((y0 + 1) * w + x0 + 1) * c + ch];
        }
        dst[o + ch] = v;
      }
    }
  }
}

const DEG = Math.PI / 180;

/**
 * The warp matrix of `rotate` degrees (counter-clockwise as displayed, with y
 * pointing down), a zoom by `scale` and a horizontal shear of `shear` degrees:
 * rotation . shear . zoom.
 */
export function affineMatrix(rotate: number, scale: number, shear: number): [number, number, number, number] {
  const cos = Math.cos(rotate * DEG);
  const sin = Math.sin(rotate * DEG);
  const t = Math.tan(shear * DEG);
  // R = [[cos, sin], [-sin, cos]] (y down), Sh = [[1, t], [0, 1]], S = scale * I
  return [cos * scale, (cos * t + sin) * scale, -sin * scale, (-sin * t + cos) * scale];
}

/**
 * Warps each of the `n` images of `buf` by its own random affine transform drawn
 * within `ranges` (three draws per image, in the order rotation, scale, shear), in place.
 */
export function affineImages(buf: Float32Array, n: number, shape: readonly number[], ranges: AffineAugmentation, rng: RandomSource): void {
  const size = shape[0] * shape[1] * shape[2];
  const src = new Float32Array(size);
  const rotate = ranges.rotate ?? 0;
  const scale = ranges.scale ?? 0;
  const shear = ranges.shear ?? 0;
  for (let k = 0; k < n; k++) {
    const m = affineMatrix(rotate * (2 * rng.next() - 1), 1 + scale * (2 * rng.next() - 1), shear * (2 * rng.next() - 1));
    const img = buf.subarray(k * size, (k + 1) * size);
    src.set(img);
    warpAffine(src, img, shape, m);
  }
}

/** Whether `a` changes anything. */
function affineIsOn(a: AffineAugmentation | undefined): a is AffineAugmentation {
  return a !== undefined && ((a.rotate ?? 0) > 0 || (a.scale ?? 0) > 0 || (a.shear ?? 0) > 0);
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
 * it does nothing. Randomness is drawn from `rng` in a fixed order (affine,
 * shift, flip, erase), so the same seed gives the same batches.
 *
 * @throws ContrastiveError for a negative shift, an erase probability outside
 *   [0, 1], affine ranges out of bounds, or augmentation of inputs that are not images [height, width, channels].
 */
export function imageAugmenter(aug: ImageAugmentation, shape: readonly number[], rng: RandomSource): ((buf: Float32Array, rows: number) => void) | undefined {
  const fn = 'train';
  check(Number.isInteger(aug.shift) && aug.shift >= 0, fn, `augment shift must be a non-negative integer, got ${aug.shift}`);
  check(Number.isFinite(aug.erase) && aug.erase >= 0 && aug.erase <= 1, fn, `augment erase must be a probability in [0, 1], got ${aug.erase}`);
  const affine = aug.affine;
  if (affine !== undefined) checkAffine(affine, fn);
  if (aug.shift === 0 && !aug.flip && aug.erase === 0 && !affineIsOn(affine)) return undefined;
  check(shape.length === 3, fn, `image augmentation needs inputs [height, width, channels]; examples have shape ${JSON.stringify(shape)}`);
  return (buf, rows) => {
    // the warp first, so that a shift or an erased patch is not warped; drawn only when on, so runs without it are unchanged
    if (affineIsOn(affine)) affineImages(buf, rows, shape, affine, rng);
    if (aug.shift > 0) shiftImages(buf, rows, shape, aug.shift, rng);
    if (aug.flip) flipImages(buf, rows, shape, rng);
    if (aug.erase > 0) eraseImages(buf, rows, shape, aug.erase, rng);
  };
}

/** The ranges' bounds (the schema's rule, again for configs built by hand). */
export const AFFINE_RULE = 'must be { rotate?, scale?, shear? }: rotate degrees in [0, 180], scale in [0, 1), shear degrees in [0, 60]';

/** Whether `a` is a valid {@link AffineAugmentation}. */
export function isAffineAugmentation(a: unknown): a is AffineAugmentation {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return false;
  const r = a as Record<string, unknown>;
  const within = (key: string, ok: (n: number) => boolean) => r[key] === undefined || (typeof r[key] === 'number' && Number.isFinite(r[key]) && ok(r[key]));
  return (
    Object.keys(r).every((k) => k === 'rotate' || k === 'scale' || k === 'shear') &&
    within('rotate', (n) => n >= 0 && n <= 180) &&
    within('scale', (n) => n >= 0 && n < 1) &&
    within('shear', (n) => n >= 0 && n <= 60)
  );
}

function checkAffine(a: AffineAugmentation, fn: string): void {
  check(isAffineAugmentation(a), fn, `augment affine ${AFFINE_RULE}, got ${JSON.stringify(a)}`);
}
