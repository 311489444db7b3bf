import path from 'node:path';
import type { ReadPath } from '../util/output-dir.js';

/** Dataset spec forms and loader defaults, apart from the loaders so that option parsing needs none of them. */

/**
 * The spec forms `--dataset` takes. faces:DIR (one sub-folder per person) is
 * described by the face pipeline and trains a head (train, face calibrate);
 * `@contrastive/faces` registers its loader.
 * @group Datasets
 */
export const DATASET_SPECS: readonly string[] = ['mnist', 'fashion-mnist', 'idx:DIR', 'folder:DIR', 'pairs:FILE.csv', 'signatures:DIR', 'faces:DIR'];

/** Default image size for folder: and pairs: datasets when none is given. @group Datasets */
export const DEFAULT_IMAGE_SIZE = { width: 64, height: 64, channels: 1 as const };

/** The kind of a spec: 'mnist', 'fashion-mnist', 'idx', 'folder' or 'pairs' (or whatever precedes the first ':'). @group Datasets */
export function datasetKind(spec: string): string {
  const colon = spec.indexOf(':');
  return colon < 0 ? spec : spec.slice(0, colon);
}

/** Spec kinds whose images are decoded and resized (they take width, height, channels, fit; signatures: when they are images). @group Datasets */
export const RESIZED_DATASET_KINDS: readonly string[] = ['folder', 'pairs', 'signatures'];
/** Spec kinds that read a data directory option (`dataDir`). @group Datasets */
export const DATA_DIR_DATASET_KINDS: readonly string[] = ['fashion-mnist'];

/** Spec kinds followed by a path. @group Datasets */
export const PATH_DATASET_KINDS: readonly string[] = ['idx', 'folder', 'pairs', 'signatures', 'faces'];

/**
 * The spec with its path made absolute (against `cwd`), so a spec recorded in
 * a bundle means the same data from any working directory.
 * @group Datasets
 */
export function absoluteDatasetSpec(spec: string, cwd = process.cwd()): string {
  const kind = datasetKind(spec);
  if (!PATH_DATASET_KINDS.includes(kind) || spec.length === kind.length + 1) return spec;
  return `${kind}:${path.resolve(cwd, spec.slice(kind.length + 1))}`;
}

/**
 * What a dataset spec reads from disk, for output checks (an output must never
 * replace its own data): the path of `KIND:PATH` (idx, folder, pairs,
 * signatures, faces and registered kinds) and the folder of Fashion-MNIST when
 * given; none for the packaged mnist.
 */
export function datasetReadPaths(spec: string | undefined, dataDir?: string): ReadPath[] {
  if (spec === undefined) return [];
  const kind = datasetKind(spec);
  const rest = spec.slice(kind.length + 1);
  const out: ReadPath[] = [];
  if (kind !== spec && rest !== '' && kind !== 'mnist' && kind !== 'fashion-mnist') out.push({ path: rest, what: 'the dataset' });
  if (dataDir !== undefined && DATA_DIR_DATASET_KINDS.includes(kind)) out.push({ path: dataDir, what: 'the data folder' });
  return out;
}
