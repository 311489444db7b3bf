// Public API of the core's data types: re-exports only (the disk loaders are in @contrastive/node).
export { exampleSize } from './types.js';
// isPairDataset (types.ts) is not re-exported here: train/ exports a guard of the same name.
export type { LabelledDataset, PairDataset, IndexPairs, DataOrigin } from './types.js';
export { splitDataset, splitPairs, subsetDataset, subsetPairs, parseClassList, checkHeldOutParts } from './split.js';
export { classFolds } from './class-folds.js';
export type { SplitOptions, DatasetSplitOptions, DatasetSplit, Split, SplitIndices } from './split.js';
export { float32Examples, uint8Examples, examplesOf, hasExampleStore, datasetWithExamples } from './examples.js';
export type { ExampleStore, ExampleStorage, Uint8ExampleOptions } from './examples.js';
