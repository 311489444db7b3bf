/**
 * Loading signatures from disk into a {@link SignatureDataset} (what
 * `--dataset signatures:DIR` gives), and writing a set in the on-disk layout.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { check } from 'contrastive/internal/errors.js';
import { writeDirAtomic } from 'contrastive/internal/util/atomic.js';
import { decodeImage, DEFAULT_IMAGE_SIZE, type ImageOptions, type LoadDatasetOptions } from '@contrastive/node/internal/data/index.js';
import { mapLimit } from '@contrastive/node/internal/data/map-limit.js';
import { listSignatureFolder, GENUINE_FOLDER, FORGED_FOLDER } from './layout.js';
import { readSignatureFile } from './read-file.js';
import { loadSharp } from '@contrastive/node/internal/util/sharp.js';
import { formatSvc2004 } from './svc2004.js';
import { renderSignature, type RenderOptions } from './render.js';
import { signaturePreprocessing, type SignaturePreprocessing } from './preprocess.js';
import { onlineSignatureDataset, signatureClasses, type SignatureDataset } from './dataset.js';
import type { SignatureSet } from './signature-set.js';

/** Options of {@link loadSignatures}. @group Reading and writing */
export interface LoadSignaturesOptions {
  /** Online signatures: preprocessing settings (defaults: {@link DEFAULT_SIGNATURE_PREPROCESSING}); the length must be fixed. */
  preprocessing?: Partial<SignaturePreprocessing>;
  /** Offline signatures: image size, channels and fit (default 64x64 grey, the image loader's 'cover'). */
  image?: ImageOptions;
  /** Files read at a time. Default 8. */
  concurrency?: number;
}

/**
 * Reads the online signatures of a folder (see {@link listSignatureFolder} for
 * the layout) as a {@link SignatureSet}.
 *
 * @throws ContrastiveError for a bad layout, an image folder, or a bad file (naming it and the line).
 * @group Reading and writing
 */
export async function loadSignatureSet(dir: string, concurrency = 8): Promise<SignatureSet> {
  const folder = await listSignatureFolder(dir);
  check(folder.kind === 'online', 'loadSignatureSet', `${dir} holds images (offline signatures); use loadSignatures for those`);
  const trajectories = await mapLimit(folder.files, concurrency, (f) => readSignatureFile(f.path));
  return {
    writers: folder.writers,
    samples: folder.files.map((f, i) => ({ writer: f.writer, forged: f.forged, trajectory: trajectories[i], source: f.path })),
  };
}

/**
 * Loads `signatures:DIR`: online signatures preprocessed into [length,
 * features] sequences, or offline signature images decoded to [height, width,
 * channels] (the image loader's resizing), with writer and forgery labels.
 * @group Reading and writing
 */
export async function loadSignatures(dir: string, options: LoadSignaturesOptions = {}): Promise<SignatureDataset> {
  const fn = 'loadSignatures';
  const concurrency = options.concurrency ?? 8;
  check(Number.isInteger(concurrency) && concurrency >= 1, fn, `concurrency must be a positive integer, got ${concurrency}`);
  const folder = await listSignatureFolder(dir);
  const name = `signatures:${dir}`;
  if (folder.kind === 'online') {
    const preprocessing = signaturePreprocessing(options.preprocessing ?? {}, fn);
    check(preprocessing.length !== null, fn, 'a signature dataset needs a fixed length (set length, not rateHz)');
    return onlineSignatureDataset(name, await loadSignatureSet(dir, concurrency), preprocessing);
  }
  const image = options.image ?? { width: 64, height: 64, channels: 1 };
  const size = image.width * image.height * image.channels;
  const x = new Float32Array(folder.files.length * size);
  await mapLimit(folder.files, concurrency, async (f, i) => x.set(await decodeImage(f.path, image, fn), i * size));
  const labels = { writer: Int32Array.from(folder.files, (f) => f.writer), forged: Uint8Array.from(folder.files, (f) => (f.forged ? 1 : 0)) };
  const classes = signatureClasses(labels, folder.writers);
  return {
    name,
    inputShape: [image.height, image.width, image.channels],
    x,
    labels: classes.labels,
    numClasses: 2 * folder.writers.length,
    classNames: classes.classNames,
    sources: folder.files.map((f) => f.path),
    signature: { ...labels, writers: folder.writers.slice(), preprocessing: null },
  };
}

/** Options of {@link writeSignatureSet}. @group Reading and writing */
export interface WriteSignatureSetOptions {
  /** 'svc2004' (default): online signatures as SVC2004 text; 'png': offline signatures drawn as images. */
  format?: 'svc2004' | 'png';
  /** Drawing options of 'png'. */
  render?: RenderOptions;
}

/**
 * Writes a set in the folder layout, one file per signature
 * (DIR/<writer>/genuine/001.txt, DIR/<writer>/forged/001.txt, or .png),
 * replacing `dir` atomically.
 * @group Reading and writing
 */
export async function writeSignatureSet(dir: string, set: SignatureSet, options: WriteSignatureSetOptions = {}): Promise<void> {
  const format = options.format ?? 'svc2004';
  check(format === 'svc2004' || format === 'png', 'writeSignatureSet', `format must be 'svc2004' or 'png', got '${String(format)}'`);
  if (format === 'png') loadSharp('writeSignatureSet'); // fail before anything is written
  await writeDirAtomic(dir, async (tmp) => {
    const counters = new Map<string, number>();
    for (const s of set.samples) {
      const sub = path.join(tmp, set.writers[s.writer], s.forged ? FORGED_FOLDER : GENUINE_FOLDER);
      const n = (counters.get(sub) ?? 0) + 1;
      counters.set(sub, n);
      if (n === 1) await fs.mkdir(sub, { recursive: true });
      const name = path.join(sub, String(n).padStart(3, '0'));
      if (format === 'svc2004') {
        await fs.writeFile(`${name}.txt`, formatSvc2004(s.trajectory));
      } else {
        const img = renderSignature(s.trajectory, options.render);
        await loadSharp('writeSignatureSet')(img.pixels, { raw: { width: img.width, height: img.height, channels: 1 } }).png().toFile(`${name}.png`);
      }
    }
  });
}

/** The `signatures:DIR` dataset of loadDataset (registered by src/signatures/index.ts). @group Reading and writing */
export const SIGNATURES_DATASET_KIND = {
  form: 'signatures:DIR',
  /** Loads signatures:DIR with the loader options mapped onto loadSignatures'. */
  load: (dir: string, options: LoadDatasetOptions): Promise<SignatureDataset> =>
    loadSignatures(dir, {
      preprocessing: options.sequenceLength !== undefined ? { length: options.sequenceLength } : {},
      image: { width: options.width ?? DEFAULT_IMAGE_SIZE.width, height: options.height ?? DEFAULT_IMAGE_SIZE.height, channels: options.channels ?? 1, fit: options.fit, background: options.background },
      concurrency: options.concurrency,
    }),
};
