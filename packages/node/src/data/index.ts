// Public API of the Node side's datasets (disk loaders): re-exports only. The dataset types and splits are in the core.
export { loadMnist } from './mnist.js';
export { readIdx, loadIdxDataset } from './idx.js';
export type { IdxArray, IdxData, IdxType, IdxSplit, IdxDatasetOptions } from './idx.js';
export { loadFashionMnist, FASHION_MNIST_DEBIAN_DIR, FASHION_MNIST_CLASSES } from './fashion-mnist.js';
export type { FashionMnistOptions } from './fashion-mnist.js';
export { decodeImage, decodeImageBytes, decodeImagePixels, isImageFile, IMAGE_EXTENSIONS } from './image.js';
export { streamedImageExamples, streamCacheStats, DEFAULT_STREAM_CACHE_BYTES } from './streamed-images.js';
export type { StreamedImageOptions } from './streamed-images.js';
export type { ImageOptions, ImageFit } from './image.js';
export { decodeNetpbm } from './netpbm.js';
export type { RawImage } from './netpbm.js';
export { loadImageFolder, listClassFolders, requireTwoClasses, countClasses } from './image-folder.js';
export type { ImageFolderOptions, ClassFolder } from './image-folder.js';
export { loadPairsCsv } from './pairs-csv.js';
export type { PairsCsvOptions } from './pairs-csv.js';
export { loadDataset, DATASET_SPECS, DEFAULT_IMAGE_SIZE, registerDatasetKind } from './load.js';
export { datasetKind, absoluteDatasetSpec, RESIZED_DATASET_KINDS, DATA_DIR_DATASET_KINDS, PATH_DATASET_KINDS } from './specs.js';
export type { LoadDatasetOptions, DatasetKind, LabelledDatasetSpec, PairDatasetSpec } from './load.js';
