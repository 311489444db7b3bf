/**
 * Drawing an online signature as an offline one: dark ink on white paper, as
 * scanned signature sets (CEDAR) look, for offline experiments without a corpus.
 */
import { check } from 'contrastive/internal/errors.js';
import type { Trajectory } from './trajectory.js';

/** Options of {@link renderSignature}. @group Synthetic signatures */
export interface RenderOptions {
  /** Image width in pixels. Default 220. */
  width?: number;
  /** Image height in pixels. Default 110. */
  height?: number;
  /** Pen width in pixels at the largest pressure (thinner with less). Default 3. */
  thickness?: number;
  /** Blank border in pixels. Default 6. */
  margin?: number;
}

/**
 * Renders the pen-down segments of a trajectory into an 8-bit grey image
 * (row-major, 255 = paper, 0 = ink), scaled to fit inside the margins with its
 * aspect ratio kept, line width following pressure.
 * @group Synthetic signatures
 */
export function renderSignature(trajectory: Trajectory, options: RenderOptions = {}): { width: number; height: number; pixels: Uint8Array } {
  const width = options.width ?? 220;
  const height = options.height ?? 110;
  const thickness = options.thickness ?? 3;
  const margin = options.margin ?? 6;
  check(Number.isInteger(width) && width > 2 * margin && Number.isInteger(height) && height > 2 * margin, 'renderSignature', `image ${width}x${height} is too small for margin ${margin}`);
  check(thickness > 0, 'renderSignature', `thickness must be positive, got ${thickness}`);
  const { x, y, pressure, penDown } = trajectory;
  const n = x.length;
  let [minX, maxX, minY, maxY, maxP] = [Infinity, -Infinity, Infinity, -Infinity, 0];
  for (let k = 0; k < n; k++) {
    if (!penDown[k]) continue;
    minX = Math.min(minX, x[k]);
    maxX = Math.max(maxX, x[k]);
    minY = Math.min(minY, y[k]);
    maxY = Math.max(maxY, y[k]);
    maxP = Math.max(maxP, pressure[k]);
  }
  const scale = Math.min((width - 2 * margin) / Math.max(maxX - minX, 1e-9), (height - 2 * margin) / Math.max(maxY - minY, 1e-9));
  const offX = (width - (maxX - minX) * scale) / 2;
  const offY = (height - (maxY - minY) * scale) / 2;
  // Tablet y grows upwards, image rows downwards.
  const px = (k: number): [number, number] => [offX + (x[k] - minX) * scale, height - (offY + (y[k] - minY) * scale)];
  const pixels = new Uint8Array(width * height).fill(255);
  const dab = (cx: number, cy: number, r: number): void => {
    for (let yy = Math.max(0, Math.floor(cy - r)); yy <= Math.min(height - 1, Math.ceil(cy + r)); yy++) {
      for (let xx = Math.max(0, Math.floor(cx - r)); xx <= Math.min(width - 1, Math.ceil(cx + r)); xx++) {
        if ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r) pixels[yy * width + xx] = 0;
      }
    }
  };
  for (let k = 0; k < n; k++) {
    if (!penDown[k]) continue;
    const r = (thickness / 2) * (maxP > 0 ? 0.5 + 0.5 * (pressure[k] / maxP) : 1);
    const [x1, y1] = px(k);
    if (k > 0 && penDown[k - 1]) {
      const [x0, y0] = px(k - 1);
      const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
      for (let s = 0; s <= steps; s++) dab(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, r);
    } else dab(x1, y1, r);
  }
  return { width, height, pixels };
}
