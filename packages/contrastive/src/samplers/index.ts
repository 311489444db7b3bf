// Public API of src/samplers: re-exports only.
export type { MakePairsOptions } from './pairs.js';
export { makePairs } from './pairs.js';
export type { MPerClassSamplerOptions } from './m-per-class.js';
export { mPerClassSampler } from './m-per-class.js';
