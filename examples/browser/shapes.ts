/**
 * The example's data, made in the page: small grey images of eight outline and solid shapes
 * (the classes), each drawn at a random position, size, rotation, stroke width and contrast,
 * with pixel noise. Seeded, so every page load (and the test) sees the same images. No
 * network: the page needs nothing but its own files.
 */
import { Rng, type LabelledDataset } from 'contrastive';

/** The classes, by label. */
export const SHAPE_NAMES = ['ring', 'disc', 'square', 'diagonal cross', 'plus', 'horizontal bar', 'vertical bar', 'triangle'] as const;

/** Options of {@link shapesDataset}. */
export interface ShapesOptions {
  /** Images per class. */
  perClass: number;
  /** Side of the square images, in pixels. */
  size: number;
  /** Seed of every random choice. */
  seed: number;
}

type Vec = [number, number];

const length = (x: number, y: number): number => Math.hypot(x, y);

/** Signed distance of p to an axis-aligned box of half-sides (bx, by): negative inside. */
function box([x, y]: Vec, bx: number, by: number): number {
  const dx = Math.abs(x) - bx;
  const dy = Math.abs(y) - by;
  return length(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0);
}

/** Distance of p to the segment a-b. */
function segment([x, y]: Vec, [ax, ay]: Vec, [bx, by]: Vec): number {
  const [px, py, ex, ey] = [x - ax, y - ay, bx - ax, by - ay];
  const h = Math.min(1, Math.max(0, (px * ex + py * ey) / (ex * ex + ey * ey)));
  return length(px - ex * h, py - ey * h);
}

/** Signed distance of p to an upright equilateral triangle of circumradius r. */
function triangle([x, y]: Vec, r: number): number {
  const k = Math.sqrt(3);
  let px = Math.abs(x) - (r * k) / 2;
  let py = -y + r / 2;
  if (px + k * py > 0) [px, py] = [(px - k * py) / 2, (-k * px - py) / 2];
  px -= Math.min(0, Math.max(-r * k, px));
  return -length(px, py) * Math.sign(py);
}

/** Signed distance (in shape units, the shape spans about [-0.8, 0.8]) of class `c` at p; w is half the stroke width. */
function shapeDistance(c: number, p: Vec, w: number): number {
  switch (c) {
    case 0: return Math.abs(length(p[0], p[1]) - 0.65) - w;
    case 1: return length(p[0], p[1]) - 0.65;
    case 2: return Math.abs(box(p, 0.6, 0.6)) - w;
    case 3: return Math.min(segment(p, [-0.6, -0.6], [0.6, 0.6]), segment(p, [-0.6, 0.6], [0.6, -0.6])) - w;
    case 4: return Math.min(segment(p, [-0.75, 0], [0.75, 0]), segment(p, [0, -0.75], [0, 0.75])) - w;
    case 5: return box(p, 0.8, w + 0.05);
    case 6: return box(p, w + 0.05, 0.8);
    default: return Math.abs(triangle([p[0], p[1] + 0.1], 0.75)) - w;
  }
}

/**
 * `perClass` images of each of the {@link SHAPE_NAMES} classes, [size, size, 1] floats in
 * [0, 1], in random order: a {@link LabelledDataset} the trainer takes as it is.
 */
export function shapesDataset({ perClass, size, seed }: ShapesOptions): LabelledDataset {
  const rng = new Rng(seed);
  const classes = SHAPE_NAMES.length;
  const count = perClass * classes;
  const order = rng.shuffle(Array.from({ length: count }, (_, i) => i % classes));
  const x = new Float32Array(count * size * size);
  const labels = new Int32Array(order);
  const pixel = 2 / size; // one pixel in image units ([-1, 1] across)
  for (let n = 0; n < count; n++) {
    const c = labels[n];
    const scale = 0.6 + 0.3 * rng.next();
    const angle = (rng.next() - 0.5) * 0.5;
    const [cx, cy] = [(rng.next() - 0.5) * 0.3, (rng.next() - 0.5) * 0.3];
    const w = 0.08 + 0.08 * rng.next();
    const contrast = 0.6 + 0.4 * rng.next();
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const image = x.subarray(n * size * size, (n + 1) * size * size);
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        // Pixel centre in image units, then into the shape's own frame (shifted, rotated, scaled).
        const u = ((col + 0.5) / size) * 2 - 1 - cx;
        const v = ((row + 0.5) / size) * 2 - 1 - cy;
        const p: Vec = [(cos * u + sin * v) / scale, (-sin * u + cos * v) / scale];
        // Coverage from the signed distance: an anti-aliased edge one pixel wide.
        const d = (shapeDistance(c, p, w) * scale) / pixel;
        const ink = Math.min(1, Math.max(0, 0.5 - d));
        image[row * size + col] = Math.min(1, Math.max(0, contrast * ink + 0.08 * rng.normal()));
      }
    }
  }
  return { name: `shapes:${size}px:${perClass}x${classes}:seed${seed}`, inputShape: [size, size, 1], x, labels, numClasses: classes, classNames: [...SHAPE_NAMES] };
}
