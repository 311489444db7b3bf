/** Changing a batch's images in place (augmentation's pixel shift). */

/**
 * Shifts each image of a batch by a random whole number of pixels in
 * [-maxShift, maxShift] along both axes (seeded), filling with zeros: the
 * cheapest augmentation that makes small-data image models generalise.
 * `buf` holds `n` images of [height, width, channels], row-major; changed in place.
 */
export function shiftImages(buf: Float32Array, n: number, shape: readonly number[], maxShift: number, rng: { int(n: number): number }): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  const tmp = new Float32Array(size);
  for (let k = 0; k < n; k++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) continue;
    const img = buf.subarray(k * size, (k + 1) * size);
    tmp.fill(0);
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      const sy = y - dy;
      const x0 = Math.max(0, dx);
      const x1 = Math.min(w, w + dx);
      tmp.set(img.subarray((sy * w + x0 - dx) * c, (sy * w + x1 - dx) * c), (y * w + x0) * c);
    }
    img.set(tmp);
  }
}
