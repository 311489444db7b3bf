/**
 * Image datasets laid out as one sub-folder per class, the layout of LFW
 * (lfw/<person>/<person>_0001.jpg), AT&T/ORL faces (s1/1.pgm ...) and CEDAR
 * signatures once sorted into one folder per writer.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { checkImageOptions, decodeImage, decodeImagePixels, isImageFile, type ImageOptions } from './image.js';
import { streamedImageExamples } from './streamed-images.js';
import { datasetWithExamples, uint8Examples } from 'contrastive/internal/data/examples.js';
import type { ExampleStorage } from 'contrastive/internal/data/types.js';
import { mapLimit } from './map-limit.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';

/** Options of {@link loadImageFolder}. @group Datasets */
export interface ImageFolderOptions extends ImageOptions {
  /** Classes with fewer images are left out (e.g. 2 for LFW, where most people have one photo). Default 1. */
  minPerClass?: number;
  /** How many images are decoded at a time; default 8. */
  concurrency?: number;
  /**
   * Leave out images that cannot be decoded instead of failing; they are listed
   * in the result's `skipped`. Default false: one bad image fails the load, naming it.
   */
  skipBadImages?: boolean;
  /**
   * How the examples are held: 'float32' (default) in memory as floats; 'uint8' in
   * memory as 8-bit pixels, a quarter of the bytes, converted per batch (the same
   * floats); 'stream' not held at all: each file is decoded when a batch needs it,
   * with a cache of `cacheBytes` (see {@link streamedImageExamples}), so a folder
   * larger than memory trains with bounded memory. With 'stream' the files are
   * only listed here, so `skipBadImages` cannot apply (a bad file fails the read
   * that needs it, naming it).
   */
  storage?: ExampleStorage;
  /** storage 'stream': bytes of decoded images cached; default 256 MiB. */
  cacheBytes?: number;
}

/** A class (or person) sub-folder and its image files. @group Datasets */
export interface ClassFolder {
  name: string;
  /** Full paths of the image files, sorted. */
  files: string[];
}

/**
 * The sub-folders of `dir` (sorted by name, hidden ones left out), each with its
 * image files (sorted): the one-folder-per-class layout of ImageNet-style sets,
 * LFW and AT&T/ORL. A sub-folder without images is listed with no files.
 *
 * @throws ContrastiveError naming `dir` when it is missing, not a folder or unreadable.
 * @group Datasets
 */
export async function listClassFolders(dir: string, fn: string): Promise<ClassFolder[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContrastiveError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_DATA', `${fn}: ${dir}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : `cannot read (${code})`}`, { cause: err });
  }
  const names = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const folders: ClassFolder[] = [];
  for (const name of names) {
    const sub = path.join(dir, name);
    const files = (await fs.readdir(sub, { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.') && isImageFile(e.name))
      .map((e) => path.join(sub, e.name))
      .sort();
    folders.push({ name, files });
  }
  return folders;
}

/**
 * Loads every image under `dir/<class>/`. Class sub-folders are sorted by name
 * (code-point order) and numbered from 0, so labels are stable across machines;
 * classNames are the folder names. Inside a class, files are sorted by name.
 * Only files with an image extension are read (see IMAGE_EXTENSIONS); other
 * files, hidden entries and files directly in `dir` are ignored. Images are
 * resized with `fit` (default 'cover', see {@link ImageFit}) and converted to
 * grayscale or RGB floats in [0, 1]; inputShape is [height, width, channels];
 * sources are the image paths.
 *
 * A dataset with one class loads fine (it is usable for embedding); training
 * needs two: call {@link requireTwoClasses}.
 *
 * @throws ContrastiveError when `dir` is missing, holds no class sub-folder with
 *   images, a class sub-folder holds no image, or an image cannot be decoded
 *   (naming the file).
 * @group Datasets
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<LabelledDataset> {
  const fn = 'loadImageFolder';
  check(typeof dir === 'string' && dir.length > 0, fn, 'dir must be a non-empty path');
  const image = checkImageOptions(options, fn);
  const minPerClass = options.minPerClass ?? 1;
  check(Number.isInteger(minPerClass) && minPerClass >= 1, fn, `minPerClass must be an integer >= 1, got ${minPerClass}`);
  const concurrency = options.concurrency ?? 8;
  check(Number.isInteger(concurrency) && concurrency >= 1, fn, `concurrency must be an integer >= 1, got ${concurrency}`);

  const storage = options.storage ?? 'float32';
  check(storage === 'float32' || storage === 'uint8' || storage === 'stream', fn, `storage must be 'float32', 'uint8' or 'stream', got ${JSON.stringify(storage)}`);
  check(!(storage === 'stream' && options.skipBadImages), fn, "skipBadImages needs every image decoded at load, which storage 'stream' does not do: drop one of them");

  const listed = await listClassFolders(dir, fn);
  const classes: ClassFolder[] = [];
  for (const c of listed) {
    if (c.files.length === 0) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: class folder ${path.join(dir, c.name)} holds no image (expected files ending in .png, .jpg, .pgm, ...); remove it or add images`);
    }
    if (c.files.length >= minPerClass) classes.push(c);
  }
  if (classes.length === 0) {
    const why = listed.length === 0 ? 'no class sub-folders' : `no class sub-folder with at least ${minPerClass} images`;
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir} has ${why} (expected ${dir}/<class>/<image>, one sub-folder per class)`);
  }

  const all = classes.flatMap((c, k) => c.files.map((file) => ({ file, label: k })));
  const inputShape = [image.height, image.width, image.channels];
  const fields = { name: `folder:${dir}`, inputShape, numClasses: classes.length, classNames: classes.map((c) => c.name) };
  if (storage === 'stream') {
    const files = all.map((e) => e.file);
    const examples = streamedImageExamples(files, image, { cacheBytes: options.cacheBytes, concurrency });
    return datasetWithExamples({ ...fields, labels: Int32Array.from(all, (e) => e.label), sources: files }, examples);
  }
  const size = image.width * image.height * image.channels;
  const decoded: (Float32Array | Uint8Array | null)[] = new Array(all.length).fill(null);
  const skipped: { file: string; reason: string }[] = [];
  await mapLimit(all, concurrency, async ({ file }, i) => {
    try {
      decoded[i] = storage === 'uint8' ? await decodeImagePixels(file, image, fn) : await decodeImage(file, image, fn);
    } catch (err) {
      if (!options.skipBadImages || !(err instanceof ContrastiveError) || err.code === 'INVALID_ARGUMENT') throw err;
      skipped.push({ file, reason: err.message });
    }
  });
  const kept = all.filter((_, i) => decoded[i] !== null);
  const counts = classes.map((_, k) => kept.filter((e) => e.label === k).length);
  const empty = counts.findIndex((n) => n < minPerClass);
  if (empty >= 0) {
    throw new ContrastiveError(
      'INVALID_DATA',
      `${fn}: class folder ${path.join(dir, classes[empty].name)} keeps ${counts[empty]} decodable image(s) after skipping ${skipped.length} bad one(s) (needs ${minPerClass})`,
    );
  }
  const labels = Int32Array.from(kept, (e) => e.label);
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  if (storage === 'uint8') {
    const bytes = new Uint8Array(kept.length * size);
    let row = 0;
    decoded.forEach((d) => {
      if (d) bytes.set(d, row++ * size);
    });
    return datasetWithExamples({ ...fields, labels, sources: kept.map((e) => e.file), ...(options.skipBadImages ? { skipped } : {}) }, uint8Examples(bytes, size));
  }
  const x = new Float32Array(kept.length * size);
  let row = 0;
  decoded.forEach((d) => {
    if (d) x.set(d, row++ * size);
  });
  return {
    name: `folder:${dir}`,
    inputShape: [image.height, image.width, image.channels],
    x,
    labels,
    numClasses: classes.length,
    classNames: classes.map((c) => c.name),
    sources: kept.map((e) => e.file),
    ...(options.skipBadImages ? { skipped } : {}),
  };
}

/** Number of distinct labels that actually occur in `dataset`. @group Datasets */
export function countClasses(dataset: Pick<LabelledDataset, 'labels'>): number {
  return new Set(dataset.labels).size;
}

/**
 * Throws unless `dataset` holds examples of at least two classes: with one
 * class no dissimilar (label 1) pair exists, so contrastive training is
 * impossible. `purpose` names what the data is for, e.g. 'train' or
 * 'the train split', and appears in the message.
 * @group Datasets
 */
export function requireTwoClasses(dataset: LabelledDataset, purpose: string): void {
  const n = countClasses(dataset);
  if (n < 2) {
    const has = dataset.labels.length === 0 ? 'no examples' : `only one class${dataset.classNames ? ` ('${dataset.classNames[dataset.labels[0]] ?? dataset.labels[0]}')` : ''}`;
    throw new ContrastiveError(
      'INVALID_DATA',
      `${purpose}: dataset '${dataset.name}' has ${has}; at least two classes are needed to form dissimilar pairs`,
    );
  }
}
