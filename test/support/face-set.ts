/**
 * The augmented face set the face tests and the threshold calibration use
 * (no labelled face data is installable here): every face the detector finds
 * in face-api's six sample photos is one identity, and seeded augmentations
 * of its crop (flip, brightness, crop shift, small rotation, blur, JPEG
 * re-compression) are that identity's images. Built at run time, never committed.
 */
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { describeFaces, type FaceEngine, FaceCache } from '../../packages/faces/src/index.js';

const require = createRequire(import.meta.url);

/** The six sample photos shipped in @vladmandic/face-api (22 faces in all). */
export function samplePhotos(): string[] {
  const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  return [1, 2, 3, 4, 5, 6].map((i) => path.join(demo, `sample${i}.jpg`));
}

export interface FaceSetOptions {
  /** Folder to write `<identity>/<k>.jpg` into. */
  dir: string;
  /** Images per identity (the first is the plain crop). */
  perIdentity: number;
  seed: number;
  /** Side of the square crops in pixels; default 160. */
  size?: number;
  /** Grey border added around each crop (detectors miss faces that fill the frame); default size / 2. */
  pad?: number;
  /** Engine that finds the faces in the sample photos. */
  engine: FaceEngine;
  cache?: FaceCache | false;
  /** Longest side the sample photos are reduced to for finding the faces; default 1920. */
  maxSide?: number;
}

export interface FaceSet {
  dir: string;
  /** Identity folder names, in order. */
  identities: string[];
  /** Files per identity. */
  files: string[][];
}

/** One seeded augmentation of the square region (cx, cy, side) of a photo. */
async function augment(photo: string, cx: number, cy: number, side: number, size: number, pad: number, rng: Rng, plain: boolean): Promise<Buffer> {
  const meta = await sharp(photo).metadata();
  const W = meta.width!;
  const H = meta.height!;
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const shift = plain ? 0 : 0.08 * side;
  const s = Math.round(side * (plain ? 1 : u(0.92, 1.08)));
  const left = Math.max(0, Math.min(W - s, Math.round(cx - s / 2 + u(-shift, shift))));
  const top = Math.max(0, Math.min(H - s, Math.round(cy - s / 2 + u(-shift, shift))));
  let img = sharp(photo).extract({ left, top, width: Math.min(s, W - left), height: Math.min(s, H - top) }).resize(size, size, { fit: 'fill' });
  let quality = 92;
  if (!plain) {
    if (rng.next() < 0.5) img = img.flop();
    img = img.modulate({ brightness: u(0.7, 1.3) });
    if (rng.next() < 0.5) {
      // Small rotation, then back to the same size around the centre.
      const angle = u(-10, 10);
      const rotated = await img.rotate(angle, { background: { r: 128, g: 128, b: 128 } }).toBuffer({ resolveWithObject: true });
      const { width, height } = rotated.info;
      img = sharp(rotated.data).extract({ left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), width: size, height: size });
    }
    if (rng.next() < 0.4) img = img.blur(u(0.6, 1.4));
    quality = Math.round(u(35, 90));
  }
  const crop = await img.png().toBuffer();
  return sharp(crop).extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 128, g: 128, b: 128 } }).jpeg({ quality }).toBuffer();
}

/**
 * Builds the set: finds the faces of the six photos with `engine`, then writes
 * `perIdentity` images per face into `dir/<photo>-<face>/<k>.jpg`. Same
 * options, same bytes.
 */
export async function buildFaceSet(options: FaceSetOptions): Promise<FaceSet> {
  const size = options.size ?? 160;
  const pad = options.pad ?? Math.round(size / 2);
  const rng = new Rng(options.seed);
  const identities: string[] = [];
  const files: string[][] = [];
  for (const photo of samplePhotos()) {
    const found = await describeFaces(photo, { engine: options.engine, cache: options.cache, maxSide: options.maxSide });
    const scale = ((await sharp(photo).metadata()).width ?? found.width) / found.width;
    const name = path.basename(photo, '.jpg');
    for (let f = 0; f < found.faces.length; f++) {
      const r = found.faces[f].box;
      const b = { x: r.x * scale, y: r.y * scale, width: r.width * scale, height: r.height * scale };
      const side = Math.round(1.5 * Math.max(b.width, b.height));
      const id = `${name}-${f}`;
      const folder = path.join(options.dir, id);
      await fs.mkdir(folder, { recursive: true });
      const list: string[] = [];
      for (let k = 0; k < options.perIdentity; k++) {
        const file = path.join(folder, `${k}.jpg`);
        await fs.writeFile(file, await augment(photo, b.x + b.width / 2, b.y + b.height / 2, side, size, pad, rng, k === 0));
        list.push(file);
      }
      identities.push(id);
      files.push(list);
    }
  }
  return { dir: options.dir, identities, files };
}

/** The set the face tests share, its descriptor cache and the engines that describe it. */
export interface TestFaceSet extends FaceSet {
  /** Descriptor cache shared by every test file of one run. */
  cache: FaceCache;
  cacheDir: string;
  /** Faces found in each sample photo by the SSD detector (the default pipeline). */
  sampleFaces: number[];
}

const FACE_SET_VERSION = 1;
const TEST_SET = { perIdentity: 3, seed: 7, size: 160, maxSide: 1920 } as const;

/**
 * The face set of the tests: 22 identities x 3 images (one plain crop, two
 * augmented), built once into the system temp folder and shared by the test
 * files of a run (built in a temporary folder, then renamed into place).
 * Descriptors of the augmented crops are computed with the tiny detector at
 * input size 320 (a few hundred ms each), cached by file hash beside the set.
 */
export async function testFaceSet(): Promise<TestFaceSet> {
  const os = await import('node:os');
  const { loadFaceEngine } = await import('../../packages/faces/src/index.js');
  // Bump FACE_SET_VERSION when the augmentations change, so a stale set from an earlier run is not reused.
  const root = path.join(os.tmpdir(), `contrastive-test-faces-v${FACE_SET_VERSION}-${TEST_SET.perIdentity}-${TEST_SET.seed}-${TEST_SET.size}-${TEST_SET.maxSide}`);
  // Descriptors depend on the kernels' last bits (a new kernel sums in another order), and the
  // cache is keyed by image bytes only: one cache per version of the kernels, so a cache written
  // by an earlier checkout never answers for this one (tests compare fresh and cached answers).
  const cacheDir = path.join(os.tmpdir(), `contrastive-test-faces-cache-${await kernelsFingerprint()}`);
  const cache = new FaceCache(cacheDir);
  const ssd = await loadFaceEngine();
  const manifest = path.join(root, 'set.json');
  let built: { identities: string[]; files: string[][]; sampleFaces: number[] } | undefined;
  try {
    built = JSON.parse(await fs.readFile(manifest, 'utf8'));
  } catch {
    const tmp = `${root}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    const set = await buildFaceSet({ dir: tmp, perIdentity: TEST_SET.perIdentity, seed: TEST_SET.seed, size: TEST_SET.size, maxSide: TEST_SET.maxSide, engine: ssd, cache });
    const sampleFaces: number[] = [];
    for (const photo of samplePhotos()) sampleFaces.push((await describeFaces(photo, { engine: ssd, cache, maxSide: TEST_SET.maxSide })).faces.length);
    const rel = { identities: set.identities, files: set.files.map((l) => l.map((f) => path.relative(tmp, f))), sampleFaces };
    await fs.writeFile(path.join(tmp, 'set.json'), JSON.stringify(rel));
    try {
      await fs.rename(tmp, root);
    } catch {
      await fs.rm(tmp, { recursive: true, force: true }); // another test file won the race: use its copy
    }
    built = JSON.parse(await fs.readFile(manifest, 'utf8'));
  }
  return {
    dir: root,
    identities: built!.identities,
    files: built!.files.map((l) => l.map((f) => path.join(root, f))),
    sampleFaces: built!.sampleFaces,
    cache,
    cacheDir,
  };
}

/** The engine the tests describe the crops with: tiny detector, input size 320. */
export const TEST_ENGINE = { detector: 'tiny', minConfidence: 0.5, tinyInputSize: 320 } as const;

/** A short hash of the kernel sources and binaries (packages/kernels/src, packages/kernels/wasm), which decide a descriptor's last bits. */
async function kernelsFingerprint(): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  for (const dir of ['packages/kernels/src', 'packages/kernels/wasm']) {
    for (const name of (await fs.readdir(path.join(root, dir), { recursive: true })).sort()) {
      const file = path.join(root, dir, name);
      if ((await fs.stat(file)).isFile()) hash.update(name).update(await fs.readFile(file));
    }
  }
  return hash.digest('hex').slice(0, 12);
}
