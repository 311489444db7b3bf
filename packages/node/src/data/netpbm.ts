/**
 * A reader for the Netpbm grey and colour formats (PGM P2/P5, PPM P3/P6).
 * The prebuilt libvips inside `sharp` has no PGM/PPM loader (its `ppm` format
 * reports input: false), and AT&T/ORL faces ship as .pgm, so we decode these
 * few simple formats ourselves and hand raw pixels to sharp for resizing.
 */

/** Raw 8-bit pixels, interleaved, row-major. @group Datasets */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** True when `bytes` start like a PGM or PPM file (P2, P3, P5, P6). */
export function looksLikeNetpbm(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x50 /* P */ && [0x32, 0x33, 0x35, 0x36].includes(bytes[1]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * Decodes a PGM/PPM file. Sample values above 255 (maxval up to 65535) are
 * scaled to 8 bits.
 *
 * @throws Error with a short reason when the bytes are not a valid PGM/PPM; the
 *   caller adds the file name.
 * @group Datasets
 */
export function decodeNetpbm(bytes: Uint8Array): RawImage {
  if (!looksLikeNetpbm(bytes)) throw new Error('not a PGM/PPM file (magic P2, P3, P5 or P6)');
  const kind = bytes[1] - 0x30; // 2, 3, 5 or 6
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  let pos = 2;

  // Reads the next whitespace-separated ASCII integer, skipping '#' comments.
  const readInt = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos])) pos++;
      if (bytes[pos] === 0x23 /* # */) {
        while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    let value = 0;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) value = value * 10 + (bytes[pos++] - 0x30);
    if (pos === start) throw new Error(`header: expected ${what}`);
    return value;
  };

  const width = readInt('width');
  const height = readInt('height');
  const maxval = readInt('maxval');
  if (width === 0 || height === 0) throw new Error(`header: empty image ${width}x${height}`);
  if (maxval === 0 || maxval > 65535) throw new Error(`header: maxval ${maxval} outside 1..65535`);
  const count = width * height * channels;
  const data = new Uint8Array(count);
  const scale = 255 / maxval;

  if (kind === 5 || kind === 6) {
    pos++; // exactly one whitespace byte separates the header from binary data
    const bytesPer = maxval > 255 ? 2 : 1;
    if (bytes.length - pos < count * bytesPer) {
      throw new Error(`truncated: ${width}x${height}x${channels} needs ${count * bytesPer} bytes of pixels, found ${Math.max(0, bytes.length - pos)}`);
    }
    for (let i = 0; i < count; i++) {
      const v = bytesPer === 1 ? bytes[pos + i] : (bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1];
      if (v > maxval) throw new Error(`pixel ${i} has value ${v} above maxval ${maxval}`);
      data[i] = Math.round(v * scale);
    }
  } else {
    for (let i = 0; i < count; i++) {
      let v: number;
      try {
        v = readInt('pixel value');
      } catch {
        throw new Error(`truncated: ${width}x${height}x${channels} needs ${count} values, found ${i}`);
      }
      if (v > maxval) throw new Error(`pixel ${i} has value ${v} above maxval ${maxval}`);
      data[i] = Math.round(v * scale);
    }
  }
  return { width, height, channels, data };
}
