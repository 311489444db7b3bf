/**
 * The `faces:DIR` dataset: one sub-folder per person (the layout of LFW and
 * AT&T/ORL), each image described once by the face pipeline (cached on disk
 * by file hash). The examples are the frozen 128-d descriptors, so a head
 * trains on them in seconds. A photo in which the detector finds no face is an
 * error unless `skipNoFace` leaves such photos out (and lists them).
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { listClassFolders } from '@contrastive/node/internal/data/index.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';
import { describeFaces, facePipelineId, type FaceReadOptions } from './describe.js';
import type { DescribedFace } from './engine.js';
import { DEFAULT_FACE_MAX_SIDE, faceDetectorLabel } from './engine.js';
import { loadFaceEngine } from './node-engine.js';
import type { FacePipelineSpec } from './pretrained.js';

/** Options of {@link loadFaceDataset}. @group Datasets */
export interface FaceDatasetOptions extends FaceReadOptions {
  /** An image with several faces: use the largest (default; LFW centres its subject) or skip it. */
  multipleFaces?: 'largest' | 'skip';
  /** People with fewer usable images are left out; default 1. */
  minPerClass?: number;
  /**
   * Leave out photos in which the detector finds no face (listed in `skipped`)
   * instead of failing; default false: such photos are an error that lists
   * them all, raised after every photo is described (and cached, so the rerun is quick).
   */
  skipNoFace?: boolean;
  /** Called after each image (for progress). */
  onImage?: (done: number, total: number, cached: boolean) => void;
}

/** A face dataset: descriptors as examples, plus what was left out and why. @group Datasets */
export interface FaceDataset extends LabelledDataset {
  /** Images without a usable face: no face found (with skipNoFace), or several with multipleFaces 'skip'. */
  skipped: { file: string; reason: string }[];
  /** The pipeline that described the images. */
  pipeline: FacePipelineSpec;
  /** The pipeline's id (cache key). */
  pipelineId: string;
}

function area(f: DescribedFace): number {
  return f.box.width * f.box.height;
}

/**
 * Loads `dir/<person>/<image>` and describes every image's face. Person
 * folders are sorted by name and numbered from 0.
 *
 * @throws ContrastiveError when `dir` is missing or holds no person folder
 *   with images, an image cannot be read (naming the file), or photos hold no
 *   face and `skipNoFace` is not set (naming them).
 * @group Datasets
 */
export async function loadFaceDataset(dir: string, options: FaceDatasetOptions = {}): Promise<FaceDataset> {
  const fn = 'loadFaceDataset';
  check(typeof dir === 'string' && dir.length > 0, fn, 'dir must be a non-empty path');
  const multiple = options.multipleFaces ?? 'largest';
  check(multiple === 'largest' || multiple === 'skip', fn, `multipleFaces must be 'largest' or 'skip', got '${String(multiple)}'`);
  const minPerClass = options.minPerClass ?? 1;
  check(Number.isInteger(minPerClass) && minPerClass >= 1, fn, `minPerClass must be an integer >= 1, got ${minPerClass}`);
  const maxSide = options.maxSide ?? DEFAULT_FACE_MAX_SIDE;
  const engine = options.engine ?? (await loadFaceEngine());

  const listed = (await listClassFolders(dir, fn)).filter((person) => person.files.length > 0);
  const total = listed.reduce((s, c) => s + c.files.length, 0);
  if (total === 0) throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir} has no person sub-folder with images (expected ${dir}/<person>/<image>.jpg)`);

  const skipped: FaceDataset['skipped'] = [];
  const noFace: string[] = [];
  const kept: { name: string; descriptors: Float32Array[]; files: string[] }[] = [];
  let done = 0;
  for (const person of listed) {
    const descriptors: Float32Array[] = [];
    const files: string[] = [];
    for (const file of person.files) {
      const found = await describeFaces(file, { engine, maxSide, cache: options.cache });
      options.onImage?.(++done, total, found.cached);
      if (found.faces.length === 0) {
        skipped.push({ file, reason: 'no face found' });
        noFace.push(file);
        continue;
      }
      if (found.faces.length > 1 && multiple === 'skip') {
        skipped.push({ file, reason: `${found.faces.length} faces found` });
        continue;
      }
      const face = found.faces.reduce((best, f) => (area(f) > area(best) ? f : best));
      descriptors.push(face.descriptor);
      files.push(file);
    }
    if (descriptors.length >= minPerClass) kept.push({ name: person.name, descriptors, files });
  }
  if (noFace.length > 0 && !options.skipNoFace) {
    const shown = noFace.slice(0, 5).join(', ') + (noFace.length > 5 ? `, ... (${noFace.length - 5} more)` : '');
    throw new ContrastiveError(
      'INVALID_DATA',
      `${fn}: ${dir}: ${noFace.length} of ${total} photo${total === 1 ? '' : 's'} hold${noFace.length === 1 ? 's' : ''} no face the ${faceDetectorLabel(engine.settings)} finds: ${shown}; leave them out with { skipNoFace: true }, or remove them`,
    );
  }
  if (kept.length === 0) throw new ContrastiveError('INVALID_DATA', `${fn}: ${dir}: no person has ${minPerClass} image(s) with a face (${skipped.length} of ${total} images had no usable face)`);
  const n = kept.reduce((s, c) => s + c.descriptors.length, 0);
  const x = new Float32Array(n * 128);
  const labels = new Int32Array(n);
  const sources: string[] = [];
  let row = 0;
  kept.forEach((c, k) => {
    c.descriptors.forEach((d, i) => {
      x.set(d, row * 128);
      labels[row] = k;
      sources.push(c.files[i]);
      row++;
    });
  });
  const { detector, minConfidence, tinyInputSize } = engine.settings;
  return {
    name: `faces:${dir}`,
    inputShape: [128],
    x,
    labels,
    numClasses: kept.length,
    classNames: kept.map((c) => c.name),
    sources,
    skipped,
    pipeline: { detector, minConfidence, tinyInputSize, maxSide, multipleFaces: multiple },
    pipelineId: facePipelineId(engine, maxSide),
  };
}
