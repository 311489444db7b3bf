// Public API of src/distances: re-exports only.
export { DISTANCE_NAMES, checkDistanceName } from './names.js';
export type { DistanceName } from './names.js';
export { pairDistances, checkSameMatrixShape, COSINE_EPS } from './pair-distances.js';
export { pairwiseDistanceMatrix } from './pairwise-matrix.js';
export type { Rows } from './pairwise-matrix.js';
export { indexPairDistances } from './index-pair-distances.js';
export type { Indices } from './index-pair-distances.js';
export { checkDistance, isDistanceObject, distanceName, matrixFromPairs } from './distance.js';
export type { Distance, DistanceLike } from './distance.js';
export { DISTANCES, distanceOf } from './builtin.js';
