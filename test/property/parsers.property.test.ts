// Property-based tests (fast-check) of the file parsers: whatever bytes a file holds, a parser
// either returns data consistent with what it announces or throws a ContrastiveError naming
// the file - never another kind of error, never a hang, never silent garbage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { readIdx } from '../../packages/node/src/data/idx.js';
import { loadPairsCsv } from '../../packages/node/src/data/pairs-csv.js';
import { decodeNetpbm } from '../../packages/node/src/data/netpbm.js';

const RUNS = { seed: 20261130, numRuns: 80 };
let dir = '';
let n = 0;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-prop-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
const fresh = (ext: string) => path.join(dir, `f${n++}${ext}`);

/** A valid uint8 IDX file of the given dims, then mutated: truncated, extended, or with bytes overwritten. */
const idxBytes = fc
  .record({
    dims: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
    type: fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x07, 0x10),
    cut: fc.integer({ min: -8, max: 8 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  })
  .map(({ dims, type, cut, flips }) => {
    const size = ({ 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 } as Record<number, number>)[type] ?? 1;
    const values = dims.reduce((a, b) => a * b, 1) * size;
    const buf = Buffer.alloc(4 + 4 * dims.length + values, 7);
    buf[2] = type;
    buf[3] = dims.length;
    dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
    let out = cut < 0 ? buf.subarray(0, Math.max(0, buf.length + cut)) : Buffer.concat([buf, Buffer.alloc(cut, 1)]);
    out = Buffer.from(out);
    for (const [at, v] of flips) if (out.length > 0) out[at % out.length] = v;
    return out;
  });

test('readIdx: any bytes give consistent data or a ContrastiveError naming the file', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(idxBytes, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), async (bytes) => {
      const file = fresh('.idx');
      await fs.writeFile(file, bytes);
      try {
        const r = await readIdx(file);
        assert.equal(r.data.length, r.dims.reduce((a, b) => a * b, 1), 'values match the announced dims');
      } catch (err) {
        assert.ok(err instanceof ContrastiveError, `unexpected ${String(err)}`);
        assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
      }
    }),
    RUNS,
  );
});

test('decodeNetpbm: any bytes give a consistent image or an Error with a reason', () => {
  const header = fc.constantFrom('P5\n', 'P6\n', 'P2\n', 'P3\n', 'P5 ', 'P7\n');
  const body = fc.tuple(header, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 70000 }), fc.uint8Array({ maxLength: 40 }));
  fc.assert(
    fc.property(body, ([magic, w, h, maxval, rest]) => {
      const bytes = Buffer.concat([Buffer.from(`${magic}${w} ${h}\n${maxval}\n`), Buffer.from(rest)]);
      try {
        const img = decodeNetpbm(bytes);
        assert.equal(img.data.length, img.width * img.height * img.channels);
        assert.ok(img.width > 0 && img.height > 0);
      } catch (err) {
        assert.ok(err instanceof Error && err.message.length > 0);
        assert.ok(!(err instanceof RangeError || err instanceof TypeError), `crash: ${String(err)}`);
      }
    }),
    RUNS,
  );
});

test('loadPairsCsv: any rows load or fail with a ContrastiveError naming the CSV', async () => {
  const png = fresh('.png');
  await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(png);
  const field = fc.oneof(
    fc.constant(path.basename(png)),
    fc.constant('missing.png'),
    fc.constantFrom('0', '1', '2', '-1', '0.5', 'x', '', ' 1 ', '1e0'),
    fc.string({ maxLength: 6 }),
  );
  const row = fc.array(field, { minLength: 0, maxLength: 4 }).map((fs_) => fs_.join(','));
  const csv = fc.tuple(fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.array(row, { minLength: 0, maxLength: 6 })).map(([bom, eol, rows]) => `${bom ? '\ufeff' : ''}${rows.join(eol)}`);
  await fc.assert(
    fc.asyncProperty(csv, async (text) => {
      const file = fresh('.csv');
      await fs.writeFile(file, text);
      try {
        const d = await loadPairsCsv(file, { width: 4, height: 4, channels: 1 });
        assert.equal(d.a.length, d.labels.length);
        assert.equal(d.b.length, d.labels.length);
        const examples = d.x.length / 16;
        assert.ok(Number.isInteger(examples) && [...d.a, ...d.b].every((r) => r >= 0 && r < examples), 'pairs name rows of x');
        for (const y of d.labels) assert.ok(y === 0 || y === 1);
      } catch (err) {
        assert.ok(err instanceof ContrastiveError, `unexpected ${String(err)}`);
        assert.ok(err.message.includes(path.basename(file)), `message names the CSV: ${err.message}`);
      }
    }),
    { ...RUNS, numRuns: 60 },
  );
});
