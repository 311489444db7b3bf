// Public API of src/data: re-exports only.
export { exampleSize } from './types.js';
export type { LabelledDataset, PairDataset, IndexPairs } from './types.js';
